"""Venues (API.md §4): the rooms and stages sessions take place in."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, field_validator

from agenda_core.schemas.common import (
    Pagination,
    PublicModel,
    RequestModel,
    Timestamp,
    document_not_nullable,
    refuse_null,
)
from agenda_core.schemas.content_fields import Capacity, ContentName, LongText, Position


class VenueCreate(RequestModel):
    """POST /v1/agendas/{agenda_id}/venues, and PUT (optional fields left out are cleared)."""

    name: ContentName
    description: LongText | None = None
    capacity: Capacity | None = None
    position: Position | None = None


class VenueReplace(VenueCreate):
    """PUT /v1/agendas/{agenda_id}/venues/{venue_id}: the whole writable representation."""


class VenueUpdate(RequestModel):
    """PATCH /v1/agendas/{agenda_id}/venues/{venue_id}: an RFC 7396 merge patch."""

    model_config = ConfigDict(json_schema_extra=document_not_nullable("name"))

    name: ContentName | None = None
    description: LongText | None = None
    capacity: Capacity | None = None
    position: Position | None = None

    _not_null = field_validator("name", mode="before")(refuse_null)


class VenuePublic(PublicModel):
    id: str
    url: str
    name: str
    description: str | None = None
    capacity: int | None = None
    position: int | None = None
    created_at: Timestamp
    updated_at: Timestamp


class VenuePage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"venues"})

    venues: list[VenuePublic]
    pagination: Pagination
