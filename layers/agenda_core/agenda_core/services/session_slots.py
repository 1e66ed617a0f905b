"""Stored sessions -> schedule conflicts as the API shows them (API.md §4: members only).

Sessions come as plain attribute values (``content_kinds.values_of`` or ``db/raw.py``); conflicts
go out JSON-ready, empty fields left out, in the shapes of ``SessionConflict`` (on a session) and
``ScheduleConflict`` (the agenda's list) in schemas/sessions.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from agenda_core.services import conflicts


def slot_of(session: Mapping[str, Any]) -> conflicts.Slot:
    return conflicts.Slot(
        id=session["id"],
        starts=int(session["starts"]),
        ends=int(session["ends"]),
        venue_id=session.get("venue_id"),
        plenary=bool(session.get("plenary")),
        cancelled=session.get("status") == "cancelled",
        speaker_ids=tuple(session.get("speaker_ids") or ()),
    )


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def schedule_conflicts(sessions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every conflict of the agenda, each pair once, the earlier session first."""
    return [
        _present(
            {
                "code": found.code,
                "session_ids": list(found.session_ids),
                "venue_id": found.venue_id,
                "speaker_id": found.speaker_id,
            }
        )
        for found in conflicts.find_conflicts(slot_of(s) for s in sessions)
    ]


def session_conflicts(sessions: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each session's conflicts, seen from that session, by session id (none: no key)."""
    found = conflicts.find_conflicts(slot_of(s) for s in sessions)
    return {
        session_id: [
            _present(
                {
                    "code": c.code,
                    "session_id": c.session_id,
                    "venue_id": c.venue_id,
                    "speaker_id": c.speaker_id,
                }
            )
            for c in entries
        ]
        for session_id, entries in conflicts.conflicts_by_session(found).items()
    }


def may_conflict(session: Mapping[str, Any]) -> bool:
    """Whether the session could conflict with another (else its conflicts are known: none)."""
    return conflicts.can_conflict(slot_of(session))
