from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from agenda_core.services.schedule_time import day_window, local_datetime, local_day, local_iso, to_epoch

HOUR = 3600


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Epoch seconds of a UTC wall time, computed independently of the module under test."""
    return calendar.timegm((year, month, day, hour, minute, second))


def local(epoch: int, zone: str) -> tuple[str, int]:
    # Aware datetimes sharing a tzinfo compare by wall time and ignore fold, so compare the
    # offset-bearing text and fold instead of the objects (PEP 495).
    moment = local_datetime(epoch, zone)
    return moment.isoformat(), moment.fold


def test_berlin_spring_forward_day_is_23_hours():
    assert day_window(date(2026, 3, 29), 1, "Europe/Berlin") == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert [
        local_iso(utc(2026, 3, 29, 0, 30), "Europe/Berlin"),
        local_iso(utc(2026, 3, 29, 1, 30), "Europe/Berlin"),
    ] == [
        "2026-03-29T01:30:00+01:00",
        "2026-03-29T03:30:00+02:00",
    ]


def test_berlin_fall_back_day_is_25_hours_and_repeats_an_hour():
    first, end = day_window(date(2026, 10, 25), 1, "Europe/Berlin")

    assert (first, end, end - first) == (utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), 25 * HOUR)
    assert [
        local(utc(2026, 10, 25, 0, 30), "Europe/Berlin"),
        local(utc(2026, 10, 25, 1, 30), "Europe/Berlin"),
    ] == [
        ("2026-10-25T02:30:00+02:00", 0),
        ("2026-10-25T02:30:00+01:00", 1),
    ]


def test_new_york_spring_forward():
    first, end = day_window(date(2026, 3, 8), 1, "America/New_York")

    assert (first, end, end - first) == (utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23 * HOUR)
    assert [
        local_iso(utc(2026, 3, 8, 6, 30), "America/New_York"),
        local_iso(utc(2026, 3, 8, 7), "America/New_York"),
    ] == [
        "2026-03-08T01:30:00-05:00",
        "2026-03-08T03:00:00-04:00",
    ]


def test_new_york_fall_back():
    first, end = day_window(date(2026, 11, 1), 1, "America/New_York")

    assert (first, end, end - first) == (utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 25 * HOUR)
    assert [
        local(utc(2026, 11, 1, 5, 30), "America/New_York"),
        local(utc(2026, 11, 1, 6, 30), "America/New_York"),
    ] == [
        ("2026-11-01T01:30:00-04:00", 0),
        ("2026-11-01T01:30:00-05:00", 1),
    ]


def test_multi_day_window_spans_the_dst_switch():
    first, end = day_window(date(2026, 3, 27), 4, "Europe/Berlin")

    assert (first, end, end - first) == (utc(2026, 3, 26, 23), utc(2026, 3, 30, 22), 4 * 24 * HOUR - HOUR)


def test_utc_days_are_24_hours_and_show_plus_zero():
    assert day_window(date(2026, 6, 1), 3, "UTC") == (utc(2026, 6, 1), utc(2026, 6, 4))
    assert local_iso(utc(2026, 6, 1, 9, 5, 7), "UTC") == "2026-06-01T09:05:07+00:00"


def test_a_session_across_local_midnight_belongs_to_its_start_day():
    # 22:30-00:30 New York time on 12 June is already 13 June in UTC.
    starts, ends = utc(2026, 6, 13, 2, 30), utc(2026, 6, 13, 4, 30)

    assert [local_day(starts, "America/New_York"), local_day(ends, "America/New_York")] == [
        date(2026, 6, 12),
        date(2026, 6, 13),
    ]
    assert [local_iso(starts, "America/New_York"), local_iso(ends, "America/New_York")] == [
        "2026-06-12T22:30:00-04:00",
        "2026-06-13T00:30:00-04:00",
    ]


def test_a_day_whose_midnight_does_not_exist_starts_at_the_transition():
    # Chile jumped from 00:00 -04 to 01:00 -03 on 2022-09-11; Lebanon from 00:00 +02 to 01:00 +03
    # on 2022-03-27.
    santiago = day_window(date(2022, 9, 11), 1, "America/Santiago")
    beirut = day_window(date(2022, 3, 27), 1, "Asia/Beirut")

    assert (santiago, santiago[1] - santiago[0]) == ((utc(2022, 9, 11, 4), utc(2022, 9, 12, 3)), 23 * HOUR)
    assert local_iso(santiago[0], "America/Santiago") == "2022-09-11T01:00:00-03:00"
    assert local_iso(santiago[0] - 1, "America/Santiago") == "2022-09-10T23:59:59-04:00"
    assert (beirut, beirut[1] - beirut[0]) == ((utc(2022, 3, 26, 22), utc(2022, 3, 27, 21)), 23 * HOUR)
    assert local_iso(beirut[0], "Asia/Beirut") == "2022-03-27T01:00:00+03:00"


def test_a_gap_that_starts_before_midnight_starts_the_day_at_the_transition():
    # Toronto jumped from 23:30 -05 to 00:30 -04 on 1919-03-31: the day's first instant is 00:30,
    # not the 01:00 that midnight with fold=0 maps to.
    first, _ = day_window(date(1919, 3, 31), 1, "America/Toronto")

    assert [local_iso(first - 1, "America/Toronto"), local_iso(first, "America/Toronto")] == [
        "1919-03-30T23:29:59-05:00",
        "1919-03-31T00:30:00-04:00",
    ]
    assert first == utc(1919, 3, 31, 4, 30)


def test_a_skipped_day_is_an_empty_window():
    # Samoa crossed the date line: 2011-12-29 23:59:59 -10 was followed by 2011-12-31 00:00 +14.
    assert day_window(date(2011, 12, 30), 1, "Pacific/Apia") == (utc(2011, 12, 30, 10), utc(2011, 12, 30, 10))
    assert day_window(date(2011, 12, 29), 3, "Pacific/Apia") == (utc(2011, 12, 29, 10), utc(2011, 12, 31, 10))


def test_local_datetime_is_aware_in_the_zone():
    moment = local_datetime(utc(2026, 7, 1, 12), "Asia/Kolkata")

    assert (moment.tzinfo, moment.isoformat()) == (ZoneInfo("Asia/Kolkata"), "2026-07-01T17:30:00+05:30")


def test_to_epoch_honours_offsets_and_fold():
    berlin = ZoneInfo("Europe/Berlin")

    assert [
        to_epoch(datetime(2026, 10, 25, 2, 30, tzinfo=berlin)),
        to_epoch(datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=berlin)),
        to_epoch(datetime(2026, 6, 1, 12, tzinfo=timezone(timedelta(hours=-3)))),
        to_epoch(datetime(2026, 6, 1, 12, 0, 0, 999_999, tzinfo=UTC)),
        to_epoch(datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)),
    ] == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), utc(2026, 6, 1, 15), utc(2026, 6, 1, 12), -1]


def test_to_epoch_round_trips_local_datetime_across_the_repeated_hour():
    epochs = range(utc(2026, 10, 24, 23), utc(2026, 10, 25, 3), 15 * 60)

    assert [to_epoch(local_datetime(epoch, "Europe/Berlin")) for epoch in epochs] == list(epochs)


def test_to_epoch_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        to_epoch(datetime(2026, 6, 1, 12))


def test_an_unknown_zone_is_refused():
    with pytest.raises(ZoneInfoNotFoundError):
        local_iso(0, "Mars/Olympus_Mons")
