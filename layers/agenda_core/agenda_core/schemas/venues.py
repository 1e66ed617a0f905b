"""Venues (API.md §4): the rooms and stages sessions take place in."""

from __future__ import annotations

from typing import ClassVar

from agenda_core.schemas.common import Pagination, PublicModel
from agenda_core.schemas.content_fields import Capacity, NamedCreate, NamedPublic, NamedUpdate


class VenueCreate(NamedCreate):
    """POST /v1/agendas/{agenda_id}/venues, and PUT (optional fields left out are cleared)."""

    capacity: Capacity | None = None


class VenueReplace(VenueCreate):
    """PUT /v1/agendas/{agenda_id}/venues/{venue_id}: the whole writable representation."""


class VenueUpdate(NamedUpdate):
    """PATCH /v1/agendas/{agenda_id}/venues/{venue_id}: an RFC 7396 merge patch."""

    capacity: Capacity | None = None


class VenuePublic(NamedPublic):
    capacity: int | None = None


class VenuePage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"venues"})

    venues: list[VenuePublic]
    pagination: Pagination
