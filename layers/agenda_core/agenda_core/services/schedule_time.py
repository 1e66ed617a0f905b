"""Session times: stored as instants (int epoch seconds), shown in the agenda's IANA zone (API.md §1).

Pure: stdlib ``zoneinfo`` only. A zone is passed by its IANA name; an unknown name raises
``zoneinfo.ZoneInfoNotFoundError`` (a ``KeyError``), a malformed one ``ValueError``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

# No cache of our own: ``ZoneInfo(key)`` already returns the cached instance (about 50 ns here),
# and going through it keeps ``ZoneInfo.clear_cache()`` and ``zoneinfo.reset_tzpath()`` working.

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def day_window(start: date, duration_days: int, zone: str) -> tuple[int, int]:
    """The agenda's days as a half-open interval ``[first, end)`` of epoch seconds.

    ``first`` is the first instant of local day ``start``, ``end`` the first instant of local day
    ``start + duration_days``; DST days make the window 23 or 25 hours per day long.
    """
    tz = ZoneInfo(zone)
    return _day_start(start, tz), _day_start(start + timedelta(days=duration_days), tz)


def local_datetime(epoch: int, zone: str) -> datetime:
    """The aware datetime in ``zone`` for the instant (``fold=1`` in a repeated hour's second pass)."""
    return datetime.fromtimestamp(epoch, ZoneInfo(zone))


def local_iso(epoch: int, zone: str) -> str:
    """RFC 3339 with the zone's offset at that instant, e.g. ``2026-03-29T03:30:00+02:00``. An
    offset with seconds (local mean time, before the zone kept standard time: Europe/Amsterdam's
    +00:19:32) is rounded to the minute, which is all RFC 3339 can write, and the clock time moves
    with it: the same instant."""
    moment = datetime.fromtimestamp(epoch, ZoneInfo(zone))
    offset = moment.utcoffset()
    if offset is not None and int(offset.total_seconds()) % 60:
        moment = moment.astimezone(timezone(timedelta(minutes=round(offset.total_seconds() / 60))))
    return moment.isoformat(timespec="seconds")


def local_day(epoch: int, zone: str) -> date:
    """The local calendar date of the instant."""
    return datetime.fromtimestamp(epoch, ZoneInfo(zone)).date()


def to_epoch(moment: datetime) -> int:
    """Epoch seconds of an aware datetime (fractions floored); ``ValueError`` for a naive one."""
    if moment.utcoffset() is None:
        raise ValueError("a naive datetime is not an instant: give it an offset or a zone")
    # Exact integer arithmetic (no float), honouring ``fold`` through ``utcoffset()``.
    return (moment - _EPOCH) // _SECOND


def _day_start(day: date, tz: ZoneInfo) -> int:
    """The first instant whose local date is ``day`` or later (later only for a day the zone skipped)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    # fold=0 is the first of two midnights when clocks go back over it.
    candidate = to_epoch(midnight)
    if datetime.fromtimestamp(candidate, tz).replace(tzinfo=None) == midnight.replace(tzinfo=None):
        return candidate
    # Midnight is in a gap (clocks jumped over it: America/Santiago, Asia/Beirut, ...), so the day
    # starts at the transition. PEP 495 maps a gap time with fold=1 to an instant before the jump and
    # with fold=0 to one after it; the transition lies between, and need not be ``candidate``:
    # America/Toronto jumped 23:30 -> 00:30 on 1919-03-31, so that day began at 00:30, not 01:00.
    before = to_epoch(midnight.replace(fold=1))
    after = candidate
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).date() >= day:
            after = middle
        else:
            before = middle
    return after
