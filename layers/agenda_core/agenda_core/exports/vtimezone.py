"""VTIMEZONE components (RFC 5545 §3.6.5) generated from the IANA database (``zoneinfo``).

Why generate them: a calendar that names ``TZID=Europe/Berlin`` must define that zone itself;
clients that do not know the name (or know an older rule) read the wall times by the definition
given. We write what the tz database says for a window around the agenda, one year before its
first day to one year after its last, which covers every session with room to spare:

- one observance for the offset in effect when the window opens, so every instant of the window
  is covered even when the zone's last change lies before it (a zone that never changes, UTC or
  Asia/Kolkata, has just this one, a STANDARD component);
- then one observance per change of UTC offset inside the window, DAYLIGHT when the new offset
  is summer time (``dst()`` positive), else STANDARD (the tz database's negative DST, Irish
  winter time or Morocco's Ramadan offset, is STANDARD: clients expect DAYLIGHT ahead), each with its own ``DTSTART``
  (the onset in the local time in effect before it, as §3.6.5 wants) and no RRULE: explicit
  onsets stay right when a zone changes its rules, which an RRULE read off one year would not.

A change of abbreviation alone (same offset) is not an observance of its own. Offsets with
seconds (local mean time) are written with seconds, as §3.3.14 allows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# How far the window reaches beyond the agenda's days.
WINDOW = timedelta(days=366)
# The scan's step: no zone changes its offset twice within six hours.
_STEP = 6 * 3600


@dataclass(frozen=True)
class Observance:
    """From ``onset`` (a UTC instant) on, the zone is ``offset`` from UTC, called ``name``."""

    onset: datetime
    offset_from: timedelta
    offset: timedelta
    name: str
    daylight: bool


def _state(zone: ZoneInfo, epoch: int) -> tuple[timedelta, timedelta, str]:
    moment = datetime.fromtimestamp(epoch, zone)
    return moment.utcoffset() or timedelta(0), moment.dst() or timedelta(0), moment.tzname() or ""


def observances(zone_name: str, first_day: date, last_day: date) -> list[Observance]:
    """What the zone observes from ``WINDOW`` before ``first_day`` to ``WINDOW`` after
    ``last_day``: the observance in effect at the start, then one per offset change."""
    zone = ZoneInfo(zone_name)
    start = int(datetime.combine(first_day - WINDOW, datetime.min.time(), UTC).timestamp())
    end = int(datetime.combine(last_day + WINDOW, datetime.min.time(), UTC).timestamp())
    offset, dst, name = _state(zone, start)
    found = [Observance(datetime.fromtimestamp(start, UTC), offset, offset, name, dst > timedelta(0))]
    for onset in _changes(zone, start, end):
        before = _state(zone, onset - 1)[0]
        offset, dst, name = _state(zone, onset)
        found.append(Observance(datetime.fromtimestamp(onset, UTC), before, offset, name, dst > timedelta(0)))
    return found


def _changes(zone: ZoneInfo, start: int, end: int) -> Iterator[int]:
    """The first second of each new UTC offset in ``(start, end]``: a scan in steps, then a
    bisection to the second inside the step where the offset moved."""
    current = _state(zone, start)[0]
    low = start
    while low < end:
        high = min(low + _STEP, end)
        if _state(zone, high)[0] == current:
            low = high
            continue
        while high - low > 1:  # the offset at low is `current`, at high it is not
            middle = (low + high) // 2
            if _state(zone, middle)[0] == current:
                low = middle
            else:
                high = middle
        yield high
        current, low = _state(zone, high)[0], high


def _offset(delta: timedelta) -> str:
    """RFC 5545 §3.3.14 UTC-OFFSET: ``+0100``, ``-0330``, ``+001932``; never ``-0000``."""
    total = int(delta.total_seconds())
    sign = "-" if total < 0 else "+"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


@lru_cache(maxsize=64)
def vtimezone(zone_name: str, first_day: date, last_day: date) -> tuple[str, ...]:
    """The VTIMEZONE component's content lines (unfolded, unescaped: TZNAMEs are abbreviations
    such as ``CEST`` or ``+0530``, TZIDs IANA names). Cached: a warm container renders one
    agenda's calendar many times."""
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone_name}"]
    for observance in observances(zone_name, first_day, last_day):
        kind = "DAYLIGHT" if observance.daylight else "STANDARD"
        # DTSTART is the onset in the local time in effect before it (§3.6.5, "DTSTART").
        local_onset = (observance.onset + observance.offset_from).replace(tzinfo=None)
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{local_onset:%Y%m%dT%H%M%S}",
            f"TZOFFSETFROM:{_offset(observance.offset_from)}",
            f"TZOFFSETTO:{_offset(observance.offset)}",
        ]
        if observance.name:
            lines.append(f"TZNAME:{observance.name}")
        lines.append(f"END:{kind}")
    lines.append("END:VTIMEZONE")
    return tuple(lines)
