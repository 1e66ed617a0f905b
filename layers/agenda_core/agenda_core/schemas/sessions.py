"""Sessions (API.md §4): what happens when, where, and by whom."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, field_validator
from pydantic_core import PydanticCustomError

from agenda_core.schemas.common import (
    Pagination,
    PublicModel,
    RequestModel,
    Timestamp,
    document_not_nullable,
    refuse_null,
)
from agenda_core.schemas.content_fields import (
    CategoryId,
    ContentName,
    Language,
    LongText,
    SessionKind,
    SessionStatus,
    SessionTime,
    SpeakerId,
    TrackId,
    VenueId,
)

MAX_SPEAKERS_PER_SESSION = 20
MAX_CATEGORIES_PER_SESSION = 10


def _unique(ids: list[str]) -> list[str]:
    if len(set(ids)) != len(ids):
        raise PydanticCustomError("duplicate_id", "lists an id more than once")
    return ids


SpeakerIds = Annotated[
    list[SpeakerId],
    Field(max_length=MAX_SPEAKERS_PER_SESSION, description="Speakers in the order they are shown."),
    AfterValidator(_unique),
]
CategoryIds = Annotated[
    list[CategoryId], Field(max_length=MAX_CATEGORIES_PER_SESSION), AfterValidator(_unique)
]


class SessionCreate(RequestModel):
    """POST /v1/agendas/{agenda_id}/sessions, and PUT (optional fields left out are cleared).

    ``start_at`` < ``end_at``, both inside the agenda's days in its time zone; referenced ids must
    exist in the same agenda (422 naming the field)."""

    title: ContentName
    description: LongText | None = None
    start_at: SessionTime
    end_at: SessionTime
    kind: SessionKind = "talk"
    plenary: StrictBool = Field(default=False, description="Takes place in all venues.")
    status: SessionStatus = Field(default="confirmed", description="Cancelled sessions stay visible.")
    track_id: TrackId | None = None
    venue_id: VenueId | None = None
    speaker_ids: SpeakerIds = Field(default_factory=list)
    category_ids: CategoryIds = Field(default_factory=list)
    language: Language | None = None


class SessionReplace(SessionCreate):
    """PUT /v1/agendas/{agenda_id}/sessions/{session_id}: the whole writable representation."""


_NOT_NULLABLE = ("title", "start_at", "end_at", "kind", "plenary", "status")


class SessionUpdate(RequestModel):
    """PATCH /v1/agendas/{agenda_id}/sessions/{session_id}: an RFC 7396 merge patch."""

    model_config = ConfigDict(json_schema_extra=document_not_nullable(*_NOT_NULLABLE))

    title: ContentName | None = None
    description: LongText | None = None
    start_at: SessionTime | None = None
    end_at: SessionTime | None = None
    kind: SessionKind | None = None
    plenary: StrictBool | None = None
    status: SessionStatus | None = None
    track_id: TrackId | None = None
    venue_id: VenueId | None = None
    speaker_ids: SpeakerIds | None = None
    category_ids: CategoryIds | None = None
    language: Language | None = None

    _not_null = field_validator(*_NOT_NULLABLE, mode="before")(refuse_null)


ConflictCode = Literal["venue_overlap", "speaker_overlap"]


class SessionConflict(PublicModel):
    """One schedule conflict of a session, seen from that session (members only)."""

    code: ConflictCode
    session_id: str = Field(description="The other session.")
    venue_id: str | None = Field(default=None, description="The shared venue (venue_overlap).")
    speaker_id: str | None = Field(default=None, description="The speaker in both (speaker_overlap).")


class ScheduleConflict(PublicModel):
    """One conflict between two sessions, as the agenda lists them (members only)."""

    code: ConflictCode
    session_ids: list[str] = Field(description="The two sessions, the earlier first.")
    venue_id: str | None = None
    speaker_id: str | None = None


_LOCAL_TIME = "RFC 3339 in the agenda's time zone's offset for that instant."


class SessionPublic(PublicModel):
    id: str
    url: str
    title: str
    description: str | None = None
    start_at: str = Field(description=_LOCAL_TIME, json_schema_extra={"format": "date-time"})
    end_at: str = Field(description=_LOCAL_TIME, json_schema_extra={"format": "date-time"})
    kind: SessionKind
    plenary: bool
    status: SessionStatus
    track_id: str | None = None
    venue_id: str | None = None
    speaker_ids: list[str] = Field(default_factory=list)
    category_ids: list[str] = Field(default_factory=list)
    language: str | None = None
    conflicts: list[SessionConflict] = Field(
        default_factory=list, description="Schedule conflicts (members only; left out when none)."
    )
    created_at: Timestamp
    updated_at: Timestamp


class SessionPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"sessions"})

    sessions: list[SessionPublic]
    pagination: Pagination
