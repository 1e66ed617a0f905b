"""The agenda's sessions as an RFC 5545 calendar (API.md §5 ``calendar.ics``), for calendar apps
that subscribe to it (and re-read it now and then: what changed must update events in place).

Choices, each for a reason:

- ``UID`` is ``<session id>@agenda-api``: ids never change, so an edited session stays the same
  event in the subscriber's calendar (§3.8.4.7), and the host part keeps it apart from others'.
- ``SEQUENCE`` is the whole seconds from the session's ``created_at`` to its ``updated_at``:
  §3.8.7.4 wants a number that rises with each revision, and the body carries no revision
  counter. Every change of the session moves ``updated_at`` on, so the number rises; two changes
  within one second share it, and a renamed venue or track (not a change of the session) keeps
  it while LOCATION or CATEGORIES change. It is 0 for a session never changed.
- ``DTSTAMP`` and ``LAST-MODIFIED`` are ``updated_at`` and ``CREATED`` is ``created_at``: in a
  published calendar (no METHOD) DTSTAMP is when the information last changed (§3.8.7.2), and
  "now" would make every read of one version different bytes under one ETag.
- ``DTSTART``/``DTEND`` are local wall times with ``TZID`` = the agenda's zone, defined by a
  VTIMEZONE generated from the tz database (vtimezone.py), so clients show the times of the
  agenda's place across DST. A wall time the zone shows twice (the hour repeated when clocks go
  back) names its first occurrence (§3.3.5); a session in the second is written in UTC instead,
  and so is a time whose offset the body rounded (local mean time, no modern date).
- Cancelled sessions stay in, with ``STATUS:CANCELLED``, so subscribers see them cancelled
  instead of silently gone; every other session is ``CONFIRMED``.
- ``LOCATION`` is the venue's name, ``CATEGORIES`` the track's, ``DESCRIPTION`` the
  description then the speakers' names, ``URL`` the session's own.

Text is escaped (§3.3.11: backslash, semicolon, comma, newline as ``\\n``; other control
characters dropped, the grammar has no place for them), lines are folded at 75 octets without
splitting a UTF-8 sequence (§3.1) and end with CRLF.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from agenda_core.exports.selection import SessionFilter
from agenda_core.exports.vtimezone import vtimezone

PRODID = "-//Agenda API//Agenda API v1//EN"
UID_DOMAIN = "agenda-api"
_LINE_OCTETS = 75
# Control characters TEXT cannot hold (HTAB is allowed; CR and LF become "\n").
_CONTROLS = {code: None for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)}


def render(body: Mapping[str, Any], selection: SessionFilter | None = None) -> str:
    """The calendar of the full agenda ``body``: every session ``selection`` lets through, in the
    body's order (by start)."""
    selection = selection or SessionFilter()
    zone = str(body.get("timezone") or "UTC")
    names = {
        plural: {item["id"]: item["name"] for item in body.get(plural, [])}
        for plural in ("tracks", "venues", "speakers")
    }
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape(str(body['name']))}",
        f"X-WR-TIMEZONE:{zone}",
    ]
    if body.get("description"):
        lines.append(f"X-WR-CALDESC:{escape(str(body['description']))}")
    lines += vtimezone(zone, date.fromisoformat(body["start_at"]), date.fromisoformat(body["end_at"]))
    for session in body.get("sessions", []):
        if selection.matches(session):
            lines += _event(session, zone, names)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _event(session: Mapping[str, Any], zone: str, names: Mapping[str, Mapping[str, str]]) -> list[str]:
    created, updated = _utc(session["created_at"]), _utc(session["updated_at"])
    lines = [
        "BEGIN:VEVENT",
        f"UID:{session['id']}@{UID_DOMAIN}",
        f"DTSTAMP:{updated:%Y%m%dT%H%M%SZ}",
        _when("DTSTART", session["start_at"], zone),
        _when("DTEND", session["end_at"], zone),
        f"SEQUENCE:{max(0, int((updated - created).total_seconds()))}",
        f"CREATED:{created:%Y%m%dT%H%M%SZ}",
        f"LAST-MODIFIED:{updated:%Y%m%dT%H%M%SZ}",
        f"SUMMARY:{escape(session['title'])}",
        f"STATUS:{'CANCELLED' if session.get('status') == 'cancelled' else 'CONFIRMED'}",
    ]
    venue = names["venues"].get(session.get("venue_id") or "")
    if venue:
        lines.append(f"LOCATION:{escape(venue)}")
    speakers = [names["speakers"][s] for s in session.get("speaker_ids") or () if s in names["speakers"]]
    description = "\n\n".join(
        part
        for part in (session.get("description"), f"Speakers: {', '.join(speakers)}" if speakers else None)
        if part
    )
    if description:
        lines.append(f"DESCRIPTION:{escape(description)}")
    lines.append(f"URL:{session['url']}")
    track = names["tracks"].get(session.get("track_id") or "")
    if track:
        lines.append(f"CATEGORIES:{escape(track)}")  # one value: its commas are escaped
    lines.append("END:VEVENT")
    return lines


def _utc(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp).astimezone(UTC)


def _when(name: str, moment_text: str, zone: str) -> str:
    """``DTSTART;TZID=<zone>:<local wall time>``, or in UTC where the wall time would name
    another instant (see the module's docstring)."""
    moment = datetime.fromisoformat(moment_text)
    wall = moment.replace(tzinfo=None)
    if wall.replace(tzinfo=ZoneInfo(zone)).utcoffset() == moment.utcoffset():
        return f"{name};TZID={param(zone)}:{wall:%Y%m%dT%H%M%S}"
    return f"{name}:{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def escape(text: str) -> str:
    """RFC 5545 §3.3.11 TEXT: ``\\`` ``;`` ``,`` escaped, any newline as ``\\n``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def param(value: str) -> str:
    """A parameter value (§3.2): quoted when it holds ``:``, ``;`` or ``,``."""
    return f'"{value}"' if any(c in value for c in ":;,") else value


def fold(line: str) -> str:
    """§3.1: lines longer than 75 octets go on in continuation lines that start with a space (which
    counts in their 75), split between characters, never inside a UTF-8 sequence."""
    data = line.encode()
    if len(data) <= _LINE_OCTETS:
        return line
    parts: list[str] = []
    start, room = 0, _LINE_OCTETS
    while start < len(data):
        end = min(start + room, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation byte: back off
            end -= 1
        parts.append(data[start:end].decode())
        start, room = end, _LINE_OCTETS - 1
    return "\r\n ".join(parts)


def unfold(lines: Iterable[str]) -> list[str]:
    """The inverse of ``fold`` over CRLF-split lines (for readers and tests)."""
    joined: list[str] = []
    for line in lines:
        if line.startswith(" ") and joined:
            joined[-1] += line[1:]
        else:
            joined.append(line)
    return joined
