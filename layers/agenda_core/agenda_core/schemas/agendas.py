"""The agenda contract (API.md §3)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)

from agenda_core.schemas.categories import CategoryPublic
from agenda_core.schemas.common import (
    LocalDate,
    Pagination,
    PublicModel,
    RequestModel,
    Slug,
    Timestamp,
    TimeZoneName,
    UploadId,
    document_not_nullable,
    refuse_null,
)
from agenda_core.schemas.sessions import ScheduleConflict, SessionPublic
from agenda_core.schemas.speakers import SpeakerPublic
from agenda_core.schemas.tracks import TrackPublic
from agenda_core.schemas.venues import VenuePublic

AgendaName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=10_000)]
Location = Annotated[str, StringConstraints(max_length=200)]


def _whole_number(value: Any) -> Any:
    # JSON has one number type: 3 and 3.0 are the same number (JSON Schema calls both integers).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Duration = Annotated[
    StrictInt, Field(ge=1, le=60, description="Whole days, 1-60."), BeforeValidator(_whole_number)
]


class AgendaCreate(RequestModel):
    """POST /v1/agendas, and PUT (a PUT replaces the whole writable representation)."""

    name: AgendaName
    description: Description | None = None
    location: Location | None = None
    published: StrictBool = False
    icon: UploadId | None = Field(default=None, description="An upload id (`upl_…`).")
    start_at: LocalDate
    duration: Duration
    timezone: TimeZoneName = "UTC"
    slug: Slug | None = Field(default=None, description="Generated from the name unless given.")


class AgendaReplace(AgendaCreate):
    """PUT /v1/agendas/{agenda_id}: the same fields as a create; optional ones left out are cleared."""


# Fields a merge patch may not set to null: they have no "absent" state.
_NOT_NULLABLE = ("name", "published", "start_at", "duration", "timezone", "slug")


class AgendaUpdate(RequestModel):
    """PATCH /v1/agendas/{agenda_id}: an RFC 7396 merge patch; ``null`` clears an optional field."""

    model_config = ConfigDict(json_schema_extra=document_not_nullable(*_NOT_NULLABLE))

    name: AgendaName | None = None
    description: Description | None = None
    location: Location | None = None
    published: StrictBool | None = None
    icon: UploadId | None = None
    start_at: LocalDate | None = None
    duration: Duration | None = None
    timezone: TimeZoneName | None = None
    slug: Slug | None = None

    _not_null = field_validator(*_NOT_NULLABLE, mode="before")(refuse_null)


class AgendaPublic(PublicModel):
    id: str
    url: str
    slug: str
    name: str
    description: str | None = None
    location: str | None = None
    published: bool
    icon: str | None = Field(default=None, description="URL of the icon image.")
    start_at: date
    end_at: date = Field(description="start_at + duration - 1 day.")
    duration: int
    timezone: str
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class AgendaFull(AgendaPublic):
    """GET /v1/agendas/{agenda_id}: the agenda and everything in it, in one response."""

    always_present: ClassVar[frozenset[str]] = frozenset(
        {"sessions", "speakers", "tracks", "venues", "categories"}
    )

    sessions: list[SessionPublic] = Field(description="Every session, by start time.")
    speakers: list[SpeakerPublic] = Field(description="Every speaker, by name.")
    tracks: list[TrackPublic] = Field(description="Every track, by position, then name.")
    venues: list[VenuePublic] = Field(description="Every venue, by position, then name.")
    categories: list[CategoryPublic] = Field(description="Every category, by position, then name.")
    conflicts: list[ScheduleConflict] = Field(
        default_factory=list,
        description="The schedule's conflicts, each pair once (members only; left out when none).",
    )
    changes_cursor: str = Field(
        description="Where the change feed goes on from this read: "
        "`GET /v1/agendas/{agenda_id}/changes?since=<changes_cursor>` (also the `Changes-Cursor` header)."
    )


class ChangeEntry(PublicModel):
    """One committed change (API.md §5): an object upserted (shown as the caller may see it, as
    of this change) or deleted."""

    type: Literal["agenda", "session", "speaker", "track", "venue", "category"]
    id: str
    action: Literal["upserted", "deleted"]
    object: dict[str, Any] | None = Field(
        default=None,
        description="The object as the caller may see it (upserts only): the shape its own GET "
        "returns, without a session's `conflicts`.",
    )
    version: int = Field(description="The agenda's version this change committed as.")


class ChangesPage(PublicModel):
    """GET /v1/agendas/{agenda_id}/changes: changes after the cursor, in commit order."""

    always_present: ClassVar[frozenset[str]] = frozenset({"changes"})

    changes: list[ChangeEntry]
    cursor: str = Field(description="Send it as `since` next time: everything up to here is applied.")
    pagination: Pagination


class AgendaPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"agendas"})

    agendas: list[AgendaPublic]
    pagination: Pagination
