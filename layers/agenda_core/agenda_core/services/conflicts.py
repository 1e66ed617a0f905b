"""Schedule conflicts (API.md §4): sessions sharing a venue or a speaker at the same time.

Conflicts are data, not errors: sessions are saved anyway and carry them. Cancelled sessions never
conflict. Pure: callers map their records to ``Slot`` and the results to their schemas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

VENUE_OVERLAP = "venue_overlap"
SPEAKER_OVERLAP = "speaker_overlap"


@dataclass(frozen=True, slots=True)
class Slot:
    """A session as conflict detection sees it: ``[starts, ends)`` in epoch seconds.

    ``plenary`` means the session takes place in every venue. Ids are unique per agenda.
    """

    id: str
    starts: int
    ends: int
    venue_id: str | None
    plenary: bool
    cancelled: bool
    speaker_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two overlapping sessions that clash, ``session_ids`` ordered by the sessions' (starts, id).

    ``venue_overlap`` names the shared venue (None when both are plenary); ``speaker_overlap`` the
    shared speaker.
    """

    code: str
    session_ids: tuple[str, str]
    venue_id: str | None = None
    speaker_id: str | None = None


@dataclass(frozen=True, slots=True)
class SessionConflict:
    """One conflict as one session carries it (API.md §4): ``session_id`` is the *other* session."""

    code: str
    session_id: str
    venue_id: str | None = None
    speaker_id: str | None = None


def find_conflicts(slots: Iterable[Slot]) -> list[Conflict]:
    """Every conflict between the slots, sorted by first then second session's (starts, id), then code.

    Several ``speaker_overlap``s of one pair follow the first session's ``speaker_ids``. Sweeps the
    slots in start order, so the cost grows with the overlapping pairs, not with all pairs.
    """
    # An empty interval overlaps nothing (half-open), and cancelled sessions never conflict.
    live = sorted((s for s in slots if not s.cancelled and s.ends > s.starts), key=_order)
    found: list[tuple[tuple[int, str, int, str, str], Conflict]] = []
    active: list[tuple[Slot, frozenset[str]]] = []
    for slot in live:
        speakers = frozenset(slot.speaker_ids)
        # Touching is not overlapping: a session ending when this one starts has left.
        active = [entry for entry in active if entry[0].ends > slot.starts]
        for earlier, their_speakers in active:
            # Most overlapping pairs share nothing: rule them out before building any result.
            if not (
                slot.plenary
                or earlier.plenary
                or (slot.venue_id is not None and slot.venue_id == earlier.venue_id)
                or not speakers.isdisjoint(their_speakers)
            ):
                continue
            for conflict in _clashes(earlier, slot):
                key = (earlier.starts, earlier.id, slot.starts, slot.id, conflict.code)
                found.append((key, conflict))
        active.append((slot, speakers))
    # A stable sort on the pair and code keeps one pair's speakers in the organiser's order.
    found.sort(key=lambda item: item[0])
    return [conflict for _, conflict in found]


def can_conflict(slot: Slot) -> bool:
    """Could this slot conflict with any other at all? Not when cancelled or empty, nor when it is
    in no venue, not plenary and without speakers (a plenary fills every venue, but a session with
    no venue is in none of them): ``find_conflicts`` never reports such a slot."""
    live = not slot.cancelled and slot.ends > slot.starts
    return live and (slot.plenary or slot.venue_id is not None or bool(slot.speaker_ids))


def conflicts_by_session(conflicts: Iterable[Conflict]) -> dict[str, list[SessionConflict]]:
    """Each conflict seen from both of its sessions, keyed by session id; no key without a conflict.

    Keeps the input's order. On ``find_conflicts``' output that means each list runs by the other
    session's (starts, id), then code: the pairs where the other session comes first sort before
    those where it comes second, each group by the other session.
    """
    by_session: dict[str, list[SessionConflict]] = {}
    for conflict in conflicts:
        first, second = conflict.session_ids
        for own, other in ((first, second), (second, first)):
            seen = SessionConflict(conflict.code, other, conflict.venue_id, conflict.speaker_id)
            by_session.setdefault(own, []).append(seen)
    return by_session


def _order(slot: Slot) -> tuple[int, str]:
    return slot.starts, slot.id


def _clashes(first: Slot, second: Slot) -> list[Conflict]:
    """The conflicts of two overlapping live slots, ``first`` before ``second`` by (starts, id)."""
    pair = (first.id, second.id)
    clashes: list[Conflict] = []
    if first.plenary and second.plenary:
        clashes.append(Conflict(VENUE_OVERLAP, pair))
    elif first.plenary or second.plenary:
        # A plenary fills every venue, but a session with no venue is in none of them.
        venue = second.venue_id if first.plenary else first.venue_id
        if venue is not None:
            clashes.append(Conflict(VENUE_OVERLAP, pair, venue_id=venue))
    elif first.venue_id is not None and first.venue_id == second.venue_id:
        clashes.append(Conflict(VENUE_OVERLAP, pair, venue_id=first.venue_id))
    if first.speaker_ids and second.speaker_ids:
        theirs = set(second.speaker_ids)
        # dict.fromkeys: a speaker listed twice in one session still clashes once.
        for speaker in dict.fromkeys(first.speaker_ids):
            if speaker in theirs:
                clashes.append(Conflict(SPEAKER_OVERLAP, pair, speaker_id=speaker))
    return clashes
