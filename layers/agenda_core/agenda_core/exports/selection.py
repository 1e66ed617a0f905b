"""Which sessions an export shows: the calendar's filters (API.md §5 ``calendar.ics``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SessionFilter:
    """Filters that combine with AND; one left unset lets every session through. An id that names
    nothing in the agenda matches nothing (an empty calendar, not an error)."""

    track_id: str | None = None
    venue_id: str | None = None
    speaker_id: str | None = None
    session_ids: frozenset[str] | None = None  # a personal calendar

    @classmethod
    def of(
        cls,
        *,
        track_id: str | None = None,
        venue_id: str | None = None,
        speaker_id: str | None = None,
        session_ids: str | None = None,
    ) -> SessionFilter:
        """From the query: ``session_ids`` is a comma-separated list (the edge checked its form)."""
        ids = frozenset(part for part in session_ids.split(",") if part) if session_ids is not None else None
        return cls(track_id=track_id, venue_id=venue_id, speaker_id=speaker_id, session_ids=ids)

    def matches(self, session: Mapping[str, Any]) -> bool:
        return (
            (self.track_id is None or session.get("track_id") == self.track_id)
            and (self.venue_id is None or session.get("venue_id") == self.venue_id)
            and (self.speaker_id is None or self.speaker_id in (session.get("speaker_ids") or ()))
            and (self.session_ids is None or session["id"] in self.session_ids)
        )

    def variant(self) -> tuple[str, ...]:
        """The filters in one normal form, for the export's ETag: the same selection asked in
        another order (or with an id repeated) is the same representation."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("track_id", self.track_id),
                ("venue_id", self.venue_id),
                ("speaker_id", self.speaker_id),
            )
            if value is not None
        ]
        if self.session_ids is not None:
            parts.append("session_ids=" + ",".join(sorted(self.session_ids)))
        return tuple(parts)
