from __future__ import annotations

import dataclasses
import itertools
import random

from agenda_core.services.conflicts import (
    Conflict,
    SessionConflict,
    Slot,
    can_conflict,
    conflicts_by_session,
    find_conflicts,
)

HOUR = 3600


def slot(
    id: str,
    starts: int,
    ends: int,
    venue_id: str | None = None,
    *,
    plenary: bool = False,
    cancelled: bool = False,
    speakers: tuple[str, ...] = (),
) -> Slot:
    return Slot(id, starts, ends, venue_id, plenary, cancelled, speakers)


def test_sessions_in_one_venue_at_the_same_time_overlap():
    slots = [slot("ses_b", 10 * HOUR, 11 * HOUR, "ven_1"), slot("ses_a", 9 * HOUR, 10 * HOUR + 1, "ven_1")]

    assert find_conflicts(slots) == [Conflict("venue_overlap", ("ses_a", "ses_b"), venue_id="ven_1")]


def test_touching_sessions_and_other_venues_do_not_overlap():
    slots = [
        slot("ses_a", 9 * HOUR, 10 * HOUR, "ven_1", speakers=("spk_1",)),
        slot("ses_b", 10 * HOUR, 11 * HOUR, "ven_1", speakers=("spk_1",)),
        slot("ses_c", 9 * HOUR, 11 * HOUR, "ven_2"),
        slot("ses_d", 9 * HOUR, 11 * HOUR),
        slot("ses_e", 9 * HOUR, 11 * HOUR),
    ]

    assert find_conflicts(slots) == []


def test_cancelled_sessions_never_conflict():
    slots = [
        slot("ses_a", 9 * HOUR, 11 * HOUR, "ven_1", speakers=("spk_1",)),
        slot("ses_b", 9 * HOUR, 11 * HOUR, "ven_1", cancelled=True, speakers=("spk_1",)),
        slot("ses_c", 9 * HOUR, 11 * HOUR, plenary=True, cancelled=True),
    ]

    assert find_conflicts(slots) == []


def test_a_plenary_clashes_with_every_session_in_a_venue_but_not_with_one_in_none():
    slots = [
        slot("ses_keynote", 9 * HOUR, 10 * HOUR, plenary=True),
        slot("ses_room", 9 * HOUR + 1800, 10 * HOUR, "ven_2"),
        slot("ses_online", 9 * HOUR, 10 * HOUR),
    ]

    assert find_conflicts(slots) == [
        Conflict("venue_overlap", ("ses_keynote", "ses_room"), venue_id="ven_2"),
    ]


def test_a_plenary_with_a_venue_still_reports_the_other_sessions_venue():
    slots = [
        slot("ses_a", 9 * HOUR, 10 * HOUR, "ven_1"),
        slot("ses_b", 9 * HOUR, 10 * HOUR, "ven_main", plenary=True),
    ]

    assert find_conflicts(slots) == [Conflict("venue_overlap", ("ses_a", "ses_b"), venue_id="ven_1")]


def test_two_plenaries_clash_without_a_venue():
    slots = [
        slot("ses_b", 9 * HOUR, 10 * HOUR, plenary=True),
        slot("ses_a", 9 * HOUR, 10 * HOUR, "ven_1", plenary=True),
    ]

    assert find_conflicts(slots) == [Conflict("venue_overlap", ("ses_a", "ses_b"))]


def test_each_shared_speaker_is_a_conflict_in_the_first_sessions_order():
    slots = [
        slot("ses_a", 9 * HOUR, 10 * HOUR, "ven_1", speakers=("spk_z", "spk_x", "spk_y", "spk_z")),
        slot("ses_b", 9 * HOUR + 1800, 11 * HOUR, "ven_2", speakers=("spk_x", "spk_w", "spk_z")),
    ]

    assert find_conflicts(slots) == [
        Conflict("speaker_overlap", ("ses_a", "ses_b"), speaker_id="spk_z"),
        Conflict("speaker_overlap", ("ses_a", "ses_b"), speaker_id="spk_x"),
    ]


def test_conflicts_are_ordered_by_first_then_second_session_then_code():
    slots = [
        slot("ses_d", 9 * HOUR + 600, 10 * HOUR, "ven_1", speakers=("spk_1",)),
        slot("ses_c", 9 * HOUR, 10 * HOUR, "ven_1", speakers=("spk_1",)),
        slot("ses_b", 8 * HOUR, 12 * HOUR, plenary=True),
        slot("ses_a", 9 * HOUR, 9 * HOUR + 900, "ven_2", speakers=("spk_1",)),
    ]
    expected = [
        Conflict("venue_overlap", ("ses_b", "ses_a"), venue_id="ven_2"),
        Conflict("venue_overlap", ("ses_b", "ses_c"), venue_id="ven_1"),
        Conflict("venue_overlap", ("ses_b", "ses_d"), venue_id="ven_1"),
        Conflict("speaker_overlap", ("ses_a", "ses_c"), speaker_id="spk_1"),
        Conflict("speaker_overlap", ("ses_a", "ses_d"), speaker_id="spk_1"),
        Conflict("speaker_overlap", ("ses_c", "ses_d"), speaker_id="spk_1"),
        Conflict("venue_overlap", ("ses_c", "ses_d"), venue_id="ven_1"),
    ]

    assert find_conflicts(slots) == expected
    assert find_conflicts(reversed(slots)) == expected


def test_each_session_sees_its_conflicts_by_the_other_sessions_start():
    conflicts = find_conflicts(
        [
            slot("ses_b", 8 * HOUR, 12 * HOUR, plenary=True),
            slot("ses_a", 9 * HOUR, 9 * HOUR + 900, "ven_2", speakers=("spk_1",)),
            slot("ses_c", 9 * HOUR, 10 * HOUR, "ven_1", speakers=("spk_1",)),
            slot("ses_d", 11 * HOUR, 13 * HOUR, "ven_3"),
        ]
    )

    assert conflicts_by_session(conflicts) == {
        "ses_b": [
            SessionConflict("venue_overlap", "ses_a", venue_id="ven_2"),
            SessionConflict("venue_overlap", "ses_c", venue_id="ven_1"),
            SessionConflict("venue_overlap", "ses_d", venue_id="ven_3"),
        ],
        "ses_a": [
            SessionConflict("venue_overlap", "ses_b", venue_id="ven_2"),
            SessionConflict("speaker_overlap", "ses_c", speaker_id="spk_1"),
        ],
        "ses_c": [
            SessionConflict("venue_overlap", "ses_b", venue_id="ven_1"),
            SessionConflict("speaker_overlap", "ses_a", speaker_id="spk_1"),
        ],
        "ses_d": [SessionConflict("venue_overlap", "ses_b", venue_id="ven_3")],
    }


def test_no_conflicts_means_no_entries():
    assert (find_conflicts([]), conflicts_by_session([])) == ([], {})


def brute_force(slots: list[Slot]) -> list[Conflict]:
    """The rules of API.md §4 applied to every pair, written independently of the sweep."""

    def occupied(s: Slot) -> set[str] | None:  # None stands for every venue
        return None if s.plenary else {s.venue_id} if s.venue_id is not None else set()

    found = []
    for one, two in itertools.combinations(slots, 2):
        if one.cancelled or two.cancelled or max(one.starts, two.starts) >= min(one.ends, two.ends):
            continue
        first, second = sorted((one, two), key=lambda s: (s.starts, s.id))
        pair = (first.id, second.id)
        mine, theirs = occupied(first), occupied(second)
        if mine is None and theirs is None:
            found.append(Conflict("venue_overlap", pair))
        else:
            shared = theirs if mine is None else mine if theirs is None else mine & theirs
            assert shared is not None
            found.extend(Conflict("venue_overlap", pair, venue_id=venue) for venue in shared)
        for speaker in dict.fromkeys(first.speaker_ids):
            if speaker in second.speaker_ids:
                found.append(Conflict("speaker_overlap", pair, speaker_id=speaker))
    starts = {s.id: s.starts for s in slots}
    return sorted(
        found,
        key=lambda c: (
            starts[c.session_ids[0]],
            c.session_ids[0],
            starts[c.session_ids[1]],
            c.session_ids[1],
            c.code,
            # Within a pair the speakers keep the first session's order, which sorted() keeps
            # because it is stable; the venue is unique per pair.
        ),
    )


def random_agenda(count: int, seed: int) -> list[Slot]:
    rng = random.Random(seed)
    venues = [f"ven_{n}" for n in range(12)]
    speakers = [f"spk_{n:03d}" for n in range(400)]
    slots = []
    for n in range(count):
        # Three days of 12 hours, on a 5-minute grid, so that touching and equal starts happen.
        starts = rng.randrange(3) * 24 * HOUR + rng.randrange(12 * 12) * 300
        slots.append(
            Slot(
                id=f"ses_{n:04d}",
                starts=starts,
                ends=starts + rng.choice([15, 30, 45, 60, 90]) * 60,
                venue_id=rng.choice([*venues, None]),
                plenary=rng.random() < 0.02,
                cancelled=rng.random() < 0.1,
                speaker_ids=tuple(rng.sample(speakers, rng.choice([0, 1, 1, 1, 2, 3]))),
            )
        )
    rng.shuffle(slots)
    return slots


class CountedSlot(Slot):
    """A slot that counts how often anyone looks at its end: the sweep looks once per session
    still running when a later one starts, an all-pairs loop once per pair. Work is counted,
    not timed, so the bound holds on any machine under any load."""

    looks = 0

    @property  # type: ignore[override]
    def ends(self) -> int:
        CountedSlot.looks += 1
        return int(Slot.ends.__get__(self))  # type: ignore[attr-defined]

    @ends.setter
    def ends(self, value: int) -> None:  # the dataclass's __init__ sets it
        Slot.ends.__set__(self, value)  # type: ignore[attr-defined]


def sweep_counting_looks(slots: list[Slot]) -> tuple[list[Conflict], int]:
    counted = [CountedSlot(*(getattr(s, f.name) for f in dataclasses.fields(s))) for s in slots]
    CountedSlot.looks = 0
    return find_conflicts(counted), CountedSlot.looks


def test_a_thousand_sessions_match_the_pairwise_rules_without_comparing_all_pairs():
    slots = random_agenda(1000, seed=20260329)

    conflicts, looks = sweep_counting_looks(slots)

    assert conflicts == brute_force(slots)
    assert {c.code for c in conflicts} == {"venue_overlap", "speaker_overlap"}
    assert any(c.venue_id is None and c.code == "venue_overlap" for c in conflicts)  # two plenaries
    # All pairs would be ~500 000 looks; the sweep's grow with the sessions running at once.
    assert looks < 50 * len(slots)


def test_the_sweep_scales_with_overlapping_sessions_not_with_all_pairs():
    # 20 000 back-to-back sessions in 10 venues: 2·10⁸ pairs, a few seconds at least for any
    # all-pairs loop, but only about ten overlapping sessions at any moment for the sweep.
    slots = [
        slot(f"ses_{venue}_{n:05d}", n * 1800, (n + 1) * 1800, f"ven_{venue}", speakers=(f"spk_{venue}_{n}",))
        for venue in range(10)
        for n in range(2000)
    ]
    slots.append(slot("ses_extra", 1000 * 1800 + 60, 1000 * 1800 + 120, "ven_3", speakers=("spk_7_1000",)))

    conflicts, looks = sweep_counting_looks(slots)

    assert conflicts == [
        Conflict("venue_overlap", ("ses_3_01000", "ses_extra"), venue_id="ven_3"),
        Conflict("speaker_overlap", ("ses_7_01000", "ses_extra"), speaker_id="spk_7_1000"),
    ]
    assert looks < 50 * len(slots)


def test_a_slot_that_cannot_conflict_is_never_in_a_conflict():
    """What a write's answer relies on to skip reading the other sessions (content_reads.written)."""
    assert can_conflict(slot("a", 0, HOUR, "ven_1"))
    assert can_conflict(slot("a", 0, HOUR, plenary=True))
    assert can_conflict(slot("a", 0, HOUR, speakers=("spk_1",)))
    assert not can_conflict(slot("a", 0, HOUR))
    assert not can_conflict(slot("a", 0, HOUR, "ven_1", cancelled=True))
    assert not can_conflict(slot("a", HOUR, HOUR, "ven_1"))
    for seed in range(20):
        slots = random_agenda(300, seed=seed)
        in_conflict = {session_id for c in find_conflicts(slots) for session_id in c.session_ids}
        assert in_conflict, seed  # the random agendas do clash
        assert all(can_conflict(s) for s in slots if s.id in in_conflict), seed
        assert any(not can_conflict(s) for s in slots), seed
