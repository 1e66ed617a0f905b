"""Tracks (API.md §4), each with an optional colour."""

from __future__ import annotations

from typing import ClassVar

from agenda_core.schemas.common import Pagination, PublicModel
from agenda_core.schemas.content_fields import Color, NamedCreate, NamedPublic, NamedUpdate


class TrackCreate(NamedCreate):
    """POST /v1/agendas/{agenda_id}/tracks, and PUT (optional fields left out are cleared)."""

    color: Color | None = None


class TrackReplace(TrackCreate):
    """PUT /v1/agendas/{agenda_id}/tracks/{track_id}: the whole writable representation."""


class TrackUpdate(NamedUpdate):
    """PATCH /v1/agendas/{agenda_id}/tracks/{track_id}: an RFC 7396 merge patch."""

    color: Color | None = None


class TrackPublic(NamedPublic):
    color: str | None = None


class TrackPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"tracks"})

    tracks: list[TrackPublic]
    pagination: Pagination
