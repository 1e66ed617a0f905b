"""The calendar's own pieces (agenda_core/exports): VTIMEZONE components generated from the tz
database, read back by the ``icalendar`` package from their definition alone (not by the TZID's
name), and the content lines: escaping, folding at 75 octets, local times that are ambiguous."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from agenda_core.exports import ical
from agenda_core.exports.vtimezone import WINDOW, observances, vtimezone

FIRST, LAST = date(2026, 10, 24), date(2026, 10, 26)
ZONES = [
    "Europe/Berlin",  # the usual two changes a year
    "America/New_York",
    "Australia/Lord_Howe",  # a 30-minute shift
    "Pacific/Chatham",  # +12:45 / +13:45
    "Europe/Dublin",  # the tz database's negative DST in winter
    "Africa/Casablanca",  # back an hour for Ramadan
    "Asia/Kolkata",  # no change at all
    "UTC",
    "Etc/GMT+3",
]


def _parsed(zone: str, first: date = FIRST, last: date = LAST) -> icalendar.Timezone:
    text = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:test", *vtimezone(zone, first, last), "END:VCALENDAR"]
    )
    [component] = icalendar.Calendar.from_ical(text + "\r\n").walk("VTIMEZONE")
    return component


def _ambiguous(moment: datetime, zone: ZoneInfo) -> bool:
    """A local time shown twice (clocks going back): readers may pick either."""
    local = moment.astimezone(zone).replace(tzinfo=None)
    return local.replace(tzinfo=zone, fold=0).utcoffset() != local.replace(tzinfo=zone, fold=1).utcoffset()


@pytest.mark.parametrize("zone", ZONES)
def test_the_vtimezone_gives_the_tz_databases_offset_at_every_hour_of_the_window(zone):
    tz = _parsed(zone).to_tz(lookup_tzid=False)  # from the components, not the zone's name
    real = ZoneInfo(zone)
    start = datetime.combine(FIRST - WINDOW, datetime.min.time(), UTC) + timedelta(days=1)
    moments = [start + timedelta(hours=n) for n in range((LAST - FIRST + 2 * WINDOW).days * 24 - 48)]

    wrong = [
        m
        for m in moments
        if not _ambiguous(m, real) and m.astimezone(tz).utcoffset() != m.astimezone(real).utcoffset()
    ]

    assert wrong == []


@pytest.mark.parametrize("zone", ZONES)
def test_each_observance_starts_where_the_offset_changes(zone):
    real = ZoneInfo(zone)
    found = observances(zone, FIRST, LAST)
    first, changes = found[0], found[1:]

    assert first.offset_from == first.offset == first.onset.astimezone(real).utcoffset()
    for change in changes:
        assert (change.onset - timedelta(seconds=1)).astimezone(real).utcoffset() == change.offset_from
        assert change.onset.astimezone(real).utcoffset() == change.offset != change.offset_from
        assert change.daylight == bool(change.onset.astimezone(real).dst() > timedelta(0))


def test_berlin_in_2026_2027():
    lines = vtimezone("Europe/Berlin", FIRST, LAST)
    onsets = [line for line in lines if line.startswith("DTSTART:")]

    # The window's first observance, then each change from a year before to a year after.
    assert onsets == [
        "DTSTART:20251023T020000",
        "DTSTART:20251026T030000",
        "DTSTART:20260329T020000",
        "DTSTART:20261025T030000",
        "DTSTART:20270328T020000",
    ]
    component = _parsed("Europe/Berlin")
    assert [str(c["TZNAME"]) for c in component.subcomponents] == ["CEST", "CET", "CEST", "CET", "CEST"]
    assert [c.name for c in component.subcomponents] == [
        "DAYLIGHT",
        "STANDARD",
        "DAYLIGHT",
        "STANDARD",
        "DAYLIGHT",
    ]


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "UTC", "Etc/GMT+3"])
def test_a_zone_without_changes_has_one_standard_component(zone):
    component = _parsed(zone)

    assert [c.name for c in component.subcomponents] == ["STANDARD"]
    [standard] = component.subcomponents
    offset = ZoneInfo(zone).utcoffset(datetime(2026, 10, 25))
    assert standard.decoded("TZOFFSETFROM") == standard.decoded("TZOFFSETTO") == offset


def test_negative_dst_is_standard_time():
    names = {c.name for c in _parsed("Europe/Dublin").subcomponents}

    assert names == {"STANDARD"}  # IST (summer) is Irish standard time; GMT in winter is DST -1 h


# --- content lines -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("a;b,c\\d", "a\\;b\\,c\\\\d"),
        ("one\ntwo\r\nthree\rfour", "one\\ntwo\\nthree\\nfour"),
        ("tab\tkept, bell\x07 and nul\x00 dropped", "tab\tkept\\, bell and nul dropped"),
    ],
)
def test_text_is_escaped(text, escaped):
    assert ical.escape(text) == escaped


@pytest.mark.parametrize(
    "text", ["x" * 200, "ä" * 100, "日本語のテキスト" * 20, "a" + "😀" * 40, "é" * 37 + "x"]
)
def test_folding_keeps_lines_within_75_octets_and_characters_whole(text):
    line = f"SUMMARY:{text}"

    folded = ical.fold(line)

    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join([parts[0], *(part[1:] for part in parts[1:])]) == line  # each part decoded whole
    assert ical.unfold(parts) == [line]


def test_a_short_line_is_not_folded():
    assert ical.fold("X" * 75) == "X" * 75


def _body(*sessions: dict[str, str]) -> dict[str, object]:
    stamp = "2026-10-01T12:00:00.000Z"
    return {
        "name": "DST",
        "timezone": "Europe/Berlin",
        "start_at": "2026-10-24",
        "end_at": "2026-10-26",
        "sessions": [
            {
                "id": f"ses_{n:026d}",
                "url": f"http://x/{n}",
                "title": f"S{n}",
                "status": "confirmed",
                "created_at": stamp,
                "updated_at": "2026-10-01T12:01:40.999Z",
                **times,
            }
            for n, times in enumerate(sessions)
        ],
    }


def test_the_repeated_hour_is_written_in_utc_where_local_time_would_name_the_other_instant():
    # 2026-10-25 in Berlin: 02:30 happens at +02:00, then again at +01:00.
    text = ical.render(
        _body(
            {"start_at": "2026-10-25T02:30:00+02:00", "end_at": "2026-10-25T02:45:00+02:00"},
            {"start_at": "2026-10-25T02:30:00+01:00", "end_at": "2026-10-25T02:45:00+01:00"},
        )
    )
    events = icalendar.Calendar.from_ical(text).walk("VEVENT")

    assert "DTSTART;TZID=Europe/Berlin:20261025T023000" in text  # the first 02:30: what TZID names
    assert "DTSTART:20261025T013000Z" in text  # the second: only UTC can say it
    starts = [event.decoded("DTSTART").astimezone(UTC) for event in events]
    assert starts == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)]
    assert [int(event["SEQUENCE"]) for event in events] == [100, 100]  # whole seconds since created
