"""The c3voc "frab" schedule of an agenda (API.md §5 ``schedule.json`` / ``schedule.xml``): what
both formats say, decided once here and written by ``frab_json`` and ``frab_xml``.

The formats are what conference apps (EventFahrplan, Giggity, ConfClerk, the VOC's tools) read;
our answers must validate against c3voc's schema.json and schedule.xml.xsd (shared/fixtures/c3voc),
whose rules, stricter than much real-world data, shape these choices:

- ``guid``s are uuid5 of our ids under one fixed namespace: stable across edits and exports, and
  the same in both formats (an importer matches on them, API.md §8).
- The deprecated but required integer ``id`` of an event is 31 bits of the SHA-256 of its id: an
  int32 for the oldest apps. Both formats want it unique, so a (rare) clash moves the later id
  in id order to the next free number; that keeps every other session's number when sessions come
  and go. There is no ``code``: the XSD wants exactly 6 characters, and ours are unique only at 26.
- The ``acronym`` is the agenda's slug with ``_`` for ``-`` (the schema allows no hyphen but in a
  ``-2026-name`` suffix), padded to the 4 characters both schemas want. An event's ``slug`` is
  ``<acronym>-<its ULID>-<its title, slugified>``: unique, and of the XSD's ``voc-slug-new`` form.
- ``days`` are the agenda's local days, each from local midnight to the next (there is no
  day-change setting); a session belongs to the day it starts on, even when it runs past midnight.
- ``rooms`` are the venues in their order; sessions without a venue share one room of their own
  (named ``General``, or ``General 2``... if a venue has that name); venues with one name get
  ``Name 2``... so that room names, the keys of a day's rooms, stay apart. Every day lists every room.
- Cancelled sessions are left out: neither format can say "cancelled", frab and pretalx drop them
  from their exports too, and apps such as EventFahrplan show a session that left the schedule as
  cancelled (the calendar keeps them, with STATUS:CANCELLED).
- ``duration`` is ``HH:MM``, at most ``99:59`` (the XSD's two digits); ``end`` (JSON) is exact.
- ``time_zone_name`` only where it matches schema.json's pattern (``Europe/Berlin``, ``UTC``, not
  ``Etc/GMT+2``); every date carries its offset anyway.
- ``abstract`` is empty and ``description`` is the session's: we hold one text, not two.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# uuid5(NAMESPACE_URL, "https://agenda-api/frab/guid"): fixed for good, guids depend on it.
GUID_NAMESPACE = uuid.UUID("69844c5b-50a0-577f-b13b-136e4a1995d7")
GENERATOR = {"name": "agenda-api", "version": "v1"}
SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
TIMESLOT = "00:05"
NO_VENUE_ROOM = "General"
# schema.json's time_zone_name pattern, as jsonschema applies it (re.search).
_ZONE_PATTERN = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_TRACK_SLUG = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")  # both schemas' slug rules at once
_MAX_MINUTES = 99 * 60 + 59
_ID_SPACE = 0x7FFFFFFF


def guid(object_id: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, object_id))


@dataclass(frozen=True)
class Person:
    guid: str
    name: str
    biography: str | None
    avatar: str | None
    url: str
    links: list[dict[str, str]]


@dataclass(frozen=True)
class Event:
    guid: str
    id: int
    date: str  # RFC 3339 with the agenda's offset at that instant
    start: str  # HH:MM, local
    end: str
    duration: str  # HH:MM
    room: str
    slug: str
    url: str
    title: str
    track: str | None
    type: str
    language: str | None
    description: str | None
    persons: list[Person]


@dataclass(frozen=True)
class Room:
    name: str
    guid: str
    description: str | None = None
    capacity: int | None = None
    url: str | None = None


@dataclass(frozen=True)
class Track:
    name: str
    slug: str
    color: str | None


@dataclass(frozen=True)
class Day:
    index: int  # from 1
    date: date
    start: str  # local midnight, RFC 3339
    end: str  # the next local midnight
    rooms: dict[str, list[Event]]  # room name -> its events by start, every room


@dataclass(frozen=True)
class Schedule:
    version: str
    base_url: str  # the API's root, with a trailing slash
    url: str  # the agenda's
    acronym: str
    title: str
    description: str | None
    start: date
    end: date
    time_zone_name: str | None
    logo: str | None
    tracks: list[Track]
    rooms: list[Room]
    days: list[Day]


def schedule(body: Mapping[str, Any], base_url: str) -> Schedule:
    """The frab schedule of the full agenda ``body`` (read at ``base_url``)."""
    zone = str(body.get("timezone") or "UTC")
    first, last = date.fromisoformat(body["start_at"]), date.fromisoformat(body["end_at"])
    acronym = body["slug"].replace("-", "_").ljust(4, "_")
    rooms, room_of_venue = _rooms(body)
    tracks = {item["id"]: item for item in body.get("tracks", [])}
    speakers = {item["id"]: _person(item) for item in body.get("speakers", [])}
    sessions = [s for s in body.get("sessions", []) if s.get("status") != "cancelled"]
    numbers = _numbers([s["id"] for s in sessions])
    days = [
        _day(number, first + timedelta(days=number - 1), zone, rooms)
        for number in range(1, (last - first).days + 2)
    ]
    for session in sessions:
        start = datetime.fromisoformat(session["start_at"])
        offset = (start.date() - first).days
        if not 0 <= offset < len(days):
            continue  # outside the agenda's days: the API refuses those, nothing to show
        venue_id = session.get("venue_id")
        room = room_of_venue[venue_id] if venue_id in room_of_venue else room_of_venue[""]
        track = tracks.get(session.get("track_id") or "")
        days[offset].rooms[room].append(
            Event(
                guid=guid(session["id"]),
                id=numbers[session["id"]],
                date=session["start_at"],
                start=f"{start:%H:%M}",
                end=session["end_at"],
                duration=_duration(datetime.fromisoformat(session["end_at"]) - start),
                room=room,
                slug=_event_slug(acronym, session),
                url=session["url"],
                title=session["title"],
                track=track["name"] if track else None,
                type=session.get("kind") or "talk",
                language=session.get("language"),
                description=session.get("description"),
                persons=[speakers[s] for s in session.get("speaker_ids") or () if s in speakers],
            )
        )
    return Schedule(
        version=str(body["version"]),
        base_url=f"{base_url}/",
        url=body["url"],
        acronym=acronym,
        title=body["name"],
        description=body.get("description"),
        start=first,
        end=last,
        time_zone_name=zone if _ZONE_PATTERN.search(zone) else None,
        logo=body.get("icon"),
        tracks=[_track(item) for item in body.get("tracks", [])],
        rooms=rooms,
        days=days,
    )


def _rooms(body: Mapping[str, Any]) -> tuple[list[Room], dict[str, str]]:
    """The rooms (venues in order, then the room of sessions without a venue when there are
    any), their names made distinct, and venue id -> room name."""
    taken: set[str] = set()
    rooms: list[Room] = []
    room_of_venue: dict[str, str] = {}
    for venue in body.get("venues", []):
        name = _distinct(venue["name"], taken)
        room_of_venue[venue["id"]] = name
        rooms.append(
            Room(name, guid(venue["id"]), venue.get("description"), venue.get("capacity"), venue["url"])
        )
    known = set(room_of_venue)
    if any(
        s.get("venue_id") not in known for s in body.get("sessions", []) if s.get("status") != "cancelled"
    ):
        name = _distinct(NO_VENUE_ROOM, taken)
        room_of_venue[""] = name
        rooms.append(Room(name, guid(f"{body['id']}#no-venue")))
    return rooms, room_of_venue


def _distinct(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name} {number}"
    taken.add(candidate)
    return candidate


def _day(index: int, day: date, zone: str, rooms: list[Room]) -> Day:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(), tz)
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    return Day(index, day, start.isoformat(), end.isoformat(), {room.name: [] for room in rooms})


def _person(speaker: Mapping[str, Any]) -> Person:
    return Person(
        guid=guid(speaker["id"]),
        name=speaker["name"],
        biography=speaker.get("bio"),
        avatar=speaker.get("photo"),
        url=speaker["url"],
        links=[{"url": link["url"], "title": link["title"]} for link in speaker.get("links") or ()],
    )


def _track(item: Mapping[str, Any]) -> Track:
    slug = slugify(item["name"])
    if not _TRACK_SLUG.match(slug):
        slug = "track-" + item["id"].partition("_")[2].lower()
    return Track(item["name"], slug, item.get("color"))


def _numbers(ids: list[str]) -> dict[str, int]:
    """Session id -> its integer id: 31 bits of its digest, a clash moved on (in id order)."""
    taken: set[int] = set()
    numbers: dict[str, int] = {}
    for session_id in sorted(ids):
        number = int.from_bytes(hashlib.sha256(session_id.encode()).digest()[:4]) % _ID_SPACE + 1
        while number in taken:
            number = number % _ID_SPACE + 1
        taken.add(number)
        numbers[session_id] = number
    return numbers


def _duration(length: timedelta) -> str:
    minutes = min(int(length.total_seconds()) // 60, _MAX_MINUTES)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def slugify(text: str, limit: int = 48) -> str:
    """``"Köln: the Talk!"`` -> ``"koln-the-talk"`` (possibly empty), at most ``limit`` characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _NOT_ALNUM.sub("-", ascii_text).strip("-")[:limit].rstrip("-")


def _event_slug(acronym: str, session: Mapping[str, Any]) -> str:
    words = slugify(session["title"])
    code = session["id"].partition("_")[2].lower()
    return f"{acronym}-{code}-{words}" if words else f"{acronym}-{code}"
