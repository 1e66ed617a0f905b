"""Speakers (API.md §4). ``email`` is for the organisers: members see it, the public never does."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field, StrictStr, StringConstraints, field_validator

from agenda_core.schemas.common import (
    Pagination,
    PublicModel,
    RequestModel,
    Timestamp,
    UploadId,
    document_not_nullable,
    refuse_null,
)
from agenda_core.schemas.content_fields import ContentName, LongText, ShortText
from agenda_core.schemas.users import Email

MAX_LINKS = 10

# No control characters or white space in a URL, spelled out: `\s` means other characters to
# pydantic's (Rust) regex than to JSON Schema's (ECMA-262) and to Python's (e.g. U+0085, U+001C),
# so the published pattern and the check would disagree.
_NOT_IN_URL = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
LinkUrl = Annotated[
    StrictStr,
    StringConstraints(
        pattern=rf"^[hH][tT][tT][pP][sS]?://[^{_NOT_IN_URL}/?#]+[^{_NOT_IN_URL}]*$", max_length=2000
    ),
    Field(description="An http(s) URL.", examples=["https://example.com/ada"]),
]


class SpeakerLink(RequestModel):
    title: Annotated[StrictStr, StringConstraints(min_length=1, max_length=100)]
    url: LinkUrl


Links = Annotated[list[SpeakerLink], Field(max_length=MAX_LINKS)]


class SpeakerCreate(RequestModel):
    """POST /v1/agendas/{agenda_id}/speakers, and PUT (optional fields left out are cleared)."""

    name: ContentName
    bio: LongText | None = None
    organization: ShortText | None = None
    job_title: ShortText | None = None
    photo: UploadId | None = Field(default=None, description="An upload id (`upl_…`).")
    links: Links = Field(default_factory=list)
    email: Email | None = Field(default=None, description="Shown to members only, never public.")


class SpeakerReplace(SpeakerCreate):
    """PUT /v1/agendas/{agenda_id}/speakers/{speaker_id}: the whole writable representation."""


class SpeakerUpdate(RequestModel):
    """PATCH /v1/agendas/{agenda_id}/speakers/{speaker_id}: an RFC 7396 merge patch."""

    model_config = ConfigDict(json_schema_extra=document_not_nullable("name"))

    name: ContentName | None = None
    bio: LongText | None = None
    organization: ShortText | None = None
    job_title: ShortText | None = None
    photo: UploadId | None = None
    links: Links | None = None
    email: Email | None = None

    _not_null = field_validator("name", mode="before")(refuse_null)


class SpeakerLinkPublic(PublicModel):
    title: str
    url: str


class SpeakerPublic(PublicModel):
    id: str
    url: str
    name: str
    bio: str | None = None
    organization: str | None = None
    job_title: str | None = None
    photo: str | None = Field(default=None, description="URL of the photo.")
    links: list[SpeakerLinkPublic] = Field(default_factory=list)
    email: str | None = Field(default=None, description="Members only.")
    created_at: Timestamp
    updated_at: Timestamp


class SpeakerPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"speakers"})

    speakers: list[SpeakerPublic]
    pagination: Pagination
