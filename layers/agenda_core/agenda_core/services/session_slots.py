"""Stored sessions -> schedule conflicts as the API shows them (API.md §4: members only)."""

from __future__ import annotations

from collections.abc import Iterable

from agenda_core.db.content_records import SessionRecord
from agenda_core.schemas.sessions import ScheduleConflict, SessionConflict
from agenda_core.services import conflicts


def slot_of(session: SessionRecord) -> conflicts.Slot:
    return conflicts.Slot(
        id=session.id,
        starts=int(session.starts),
        ends=int(session.ends),
        venue_id=session.venue_id,
        plenary=bool(session.plenary),
        cancelled=session.status == "cancelled",
        speaker_ids=tuple(session.speaker_ids or ()),
    )


def schedule_conflicts(sessions: Iterable[SessionRecord]) -> list[ScheduleConflict]:
    """Every conflict of the agenda, each pair once, the earlier session first."""
    return [
        ScheduleConflict(
            code=found.code,  # one of the two codes conflicts.py emits
            session_ids=list(found.session_ids),
            venue_id=found.venue_id,
            speaker_id=found.speaker_id,
        )
        for found in conflicts.find_conflicts(slot_of(s) for s in sessions)
    ]


def session_conflicts(sessions: Iterable[SessionRecord]) -> dict[str, list[SessionConflict]]:
    """Each session's conflicts, seen from that session, by session id (none: no key)."""
    found = conflicts.find_conflicts(slot_of(s) for s in sessions)
    return {
        session_id: [
            SessionConflict(
                code=c.code,
                session_id=c.session_id,
                venue_id=c.venue_id,
                speaker_id=c.speaker_id,
            )
            for c in entries
        ]
        for session_id, entries in conflicts.conflicts_by_session(found).items()
    }
