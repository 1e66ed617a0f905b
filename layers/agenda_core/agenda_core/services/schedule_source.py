"""Reading a c3voc schedule ("frab JSON" as frab and pretalx export it, or frab XML made into the
same shape by services/schedule_xml.py) into what an import writes (services/schedule_sync.py).

Why lenient: real exports break the format's own schema (upper-case acronyms, no time zone, frab
days that run past midnight, odd colours), so the reader fixes what it can and lists every fix
(``Fixes``); a person the API would refuse is left out and noted. Everything the API's request
schemas accept is what an import may write: venues, tracks and speakers are validated here with
the POST's own models; sessions, which name the others, when their ids are known (the sync).

Every thing read carries its **source key**, what the next import of the same schedule finds it
by: an event's guid (c3voc's stable id), a person's guid, code or id (else their name), a room's
or a track's name (pretalx gives rooms the same guid in one export).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError

from agenda_core.errors import FieldError, ValidationFailed
from agenda_core.schemas.common import TIME_ZONES
from agenda_core.schemas.content_fields import Language
from agenda_core.schemas.sessions import MAX_SPEAKERS_PER_SESSION
from agenda_core.schemas.speakers import SpeakerCreate
from agenda_core.schemas.tracks import TrackCreate
from agenda_core.schemas.venues import VenueCreate
from agenda_core.services import slugs

MAX_DAYS = 60  # AgendaCreate.duration's cap
_LANGUAGE = TypeAdapter(Language)
_DURATION = re.compile(r"^(?:(\d+):)?(\d+):(\d{2})$")  # "HH:MM" (hours may pass 24), or "D:HH:MM"
_HEX = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
# c3voc `type` is free text ("lecture", "Talk 30 min + 10min Q&A"): the first word found decides.
_KIND_WORDS = {
    "keynote": ("keynote",),
    "panel": ("panel", "podium"),
    "workshop": ("workshop",),
    "break": ("break", "pause"),
    "talk": ("lecture", "talk"),
}
Span = tuple[datetime, datetime]


def text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def label(title: str) -> str:
    """How a note names an event."""
    return repr(title if len(title) <= 60 else title[:59] + "…")


def reason(refused: ValidationError | ValidationFailed) -> str:
    if isinstance(refused, ValidationFailed):
        return refused.detail
    return "; ".join(f"/{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in refused.errors())


class Fixes:
    """What an import fixed or left out, one line per kind of fix (63 dropped subtitles are one
    line with an example, not 63)."""

    def __init__(self) -> None:
        self._seen: dict[str, list[str]] = {}

    def note(self, fix: str, example: str = "") -> None:
        self._seen.setdefault(fix, []).append(example)

    def lines(self) -> list[str]:
        lines = []
        for fix, examples in self._seen.items():
            count = f"{len(examples)} times, e.g. " if len(examples) > 1 else ""
            lines.append(f"{fix}: {count}{examples[0]}" if examples[0] else fix)
        return lines

    def cap(self, value: Any, limit: int, what: str) -> str:
        found = text(value)
        if len(found) > limit:
            self.note(f"{what} shortened to {limit} characters", repr(found[:40]))
            found = found[: limit - 1].rstrip() + "…"
        return found


@dataclass(frozen=True)
class SourceSession:
    key: str
    label: str
    fields: dict[str, Any]  # SessionCreate's fields but the references
    venue: str | None  # source keys of what it references
    track: str | None
    speakers: list[str]


@dataclass
class Source:
    """A schedule as an import writes it, in the export's order."""

    zone: str  # the conference's IANA zone (UTC when it has none)
    first_day: date
    duration: int  # whole local days holding every event
    agenda: dict[str, Any]  # AgendaCreate's fields for an import into a new agenda
    venues: dict[str, VenueCreate] = field(default_factory=dict)  # by source key
    tracks: dict[str, TrackCreate] = field(default_factory=dict)
    speakers: dict[str, SpeakerCreate] = field(default_factory=dict)
    sessions: list[SourceSession] = field(default_factory=list)


def conference_of(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``conference`` of a whole schedule.json or of its ``schedule``. Raises
    ``ValidationFailed``."""
    schedule = document.get("schedule")
    conference = (schedule if isinstance(schedule, Mapping) else document).get("conference")
    if not isinstance(conference, Mapping):
        raise ValidationFailed(
            [
                FieldError(
                    "/schedule/conference", "not_a_schedule", "No conference to import: not a c3voc schedule."
                )
            ]
        )
    return conference


def _events(conference: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(room name, event) in the export's order: days, then rooms, then events."""
    for day in conference.get("days") or ():
        if not isinstance(day, Mapping) or not isinstance(day.get("rooms") or {}, Mapping):
            continue
        for room, events in (day.get("rooms") or {}).items():
            for event in events if isinstance(events, list) else ():
                if isinstance(event, Mapping):
                    yield text(event.get("room")) or text(room), event


def _person_key(person: Mapping[str, Any]) -> str:
    for name in ("guid", "code", "id"):
        if person.get(name) not in (None, ""):
            return f"person:{name}:{person[name]}"
    return "person:name:" + (text(person.get("public_name")) or text(person.get("name"))).casefold()


def _event_key(event: Mapping[str, Any]) -> str:
    for name in ("guid", "code", "id"):
        if event.get(name) not in (None, ""):
            return f"event:{name}:{event[name]}"
    return f"event:at:{text(event.get('date'))}:{text(event.get('title'))}"


class _Reader:
    def __init__(self, fixes: Fixes) -> None:
        self.fixes = fixes

    def zone(self, conference: Mapping[str, Any]) -> str:
        name = text(conference.get("time_zone_name"))
        if name in TIME_ZONES:
            return name
        self.fixes.note(
            f"time_zone_name {name!r} is not an IANA zone: used UTC"
            if name
            else "no time_zone_name: used UTC"
        )
        return "UTC"

    def span(self, event: Mapping[str, Any], tz: ZoneInfo) -> Span | None:
        title = text(event.get("title"))
        try:
            start = datetime.fromisoformat(text(event.get("date")))
            if start.tzinfo is None:
                self.fixes.note(f"date without an offset: read in {tz.key}", label(title))
                start = start.replace(tzinfo=tz)
            if event.get("end"):
                end = datetime.fromisoformat(text(event["end"]))
                return start, end if end.tzinfo else end.replace(tzinfo=tz)
            duration = _DURATION.fullmatch(text(event.get("duration")))
            if duration is None:
                raise ValueError("no duration")
            days, hours, minutes = (int(part or 0) for part in duration.groups())
            return start, start + timedelta(days=days, hours=hours, minutes=minutes)
        except (ValueError, OverflowError):
            self.fixes.note("event skipped: no readable date and duration", label(title))
            return None

    def days(self, conference: Mapping[str, Any], spans: list[Span], tz: ZoneInfo) -> tuple[date, int]:
        """The first day, and enough whole local days to hold every event (at least daysCount)."""
        declared = conference.get("daysCount")
        if not isinstance(declared, int) or isinstance(declared, bool) or declared < 1:
            declared = len(conference.get("days") or ()) or 1
        earliest = min((start.astimezone(tz).date() for start, _ in spans), default=None)
        try:
            first = date.fromisoformat(text(conference.get("start"))[:10])
        except ValueError:
            first = earliest or date.today()
            self.fixes.note(f"no readable conference start: used {first}")
        if earliest and earliest < first:
            self.fixes.note(
                f"start moved from {first} to {earliest}, the first event's local day in {tz.key}"
            )
            first = earliest
        last_end = max((end for _, end in spans), default=None)
        # An event ending at midnight ends on the day before; frab's days run on past midnight.
        needed = ((last_end - timedelta(seconds=1)).astimezone(tz).date() - first).days + 1 if last_end else 1
        if needed > declared:
            self.fixes.note(
                f"duration extended from daysCount {declared} to {needed} days: events run until {last_end}"
            )
        duration = min(max(declared, needed), 10_000)
        if duration > MAX_DAYS:
            self.fixes.note(f"duration capped at {MAX_DAYS} days: later events are skipped")
            duration = MAX_DAYS
        end = text(conference.get("end"))[:10]
        if end and end > (first + timedelta(days=duration - 1)).isoformat():
            self.fixes.note(
                f"conference end {end} ignored: no event runs into it (frab days may end after midnight)"
            )
        return first, duration

    def agenda(self, conference: Mapping[str, Any], first: date, duration: int, zone: str) -> dict[str, Any]:
        acronym = text(conference.get("acronym"))
        slug = slugs.slugify(acronym) if acronym else None
        if slug and slug != acronym:
            self.fixes.note(f"acronym {acronym!r} made into the slug {slug!r}")
        return {
            "name": self.fixes.cap(
                text(conference.get("title")) or acronym or "Untitled", 200, "conference title"
            ),
            "description": self.fixes.cap(conference.get("description"), 10_000, "conference description")
            or None,
            "start_at": first.isoformat(),
            "duration": duration,
            "timezone": zone,
            "slug": slug or None,
        }

    def color(self, value: Any, track: str) -> str | None:
        match = _HEX.fullmatch(text(value))
        if match is None:
            if text(value):
                self.fixes.note("track colour not #rrggbb: left out", f"{track} {value!r}")
            return None
        digits = match[1] if len(match[1]) != 3 else "".join(c * 2 for c in match[1])
        return "#" + digits[:6].lower()  # #rrggbbaa: the alpha goes

    def kind(self, value: Any) -> str:
        found = text(value).casefold()
        kind = next((kind for kind, words in _KIND_WORDS.items() if any(w in found for w in words)), "other")
        if found != kind:
            self.fixes.note(f"type {text(value)!r} read as {kind!r}")
        return kind

    def persons(self, source: Source, persons: Any, event_label: str) -> list[str]:
        keys: list[str] = []
        for person in persons if isinstance(persons, list) else ():
            if not isinstance(person, Mapping):
                continue
            key = _person_key(person)
            if key not in source.speakers:
                name = text(person.get("public_name")) or text(person.get("name"))
                try:
                    bio = self.fixes.cap(person.get("biography"), 10_000, "biography") or None
                    source.speakers[key] = SpeakerCreate(
                        name=self.fixes.cap(name, 200, "person name"), bio=bio
                    )
                except (ValidationError, ValidationFailed) as refused:
                    self.fixes.note("person skipped", f"{name!r} on {event_label} ({reason(refused)})")
                    continue
            if key in keys:
                self.fixes.note("person listed twice on an event: kept once", event_label)
            else:
                keys.append(key)
        if len(keys) > MAX_SPEAKERS_PER_SESSION:
            self.fixes.note(f"speakers after the first {MAX_SPEAKERS_PER_SESSION} left out", event_label)
        return keys[:MAX_SPEAKERS_PER_SESSION]

    def session(self, source: Source, room: str, event: Mapping[str, Any], span: Span) -> SourceSession:
        title = text(event.get("title"))
        event_label = label(title)
        if not title:
            self.fixes.note("event without a title: called 'Untitled'", text(event.get("date")))
        if text(event.get("subtitle")):
            self.fixes.note("subtitle left out (title kept)", event_label)
        description, abstract = text(event.get("description")), text(event.get("abstract"))
        if description and abstract:
            self.fixes.note("abstract left out (description kept)", event_label)
        language = text(event.get("language"))
        try:
            language = _LANGUAGE.validate_python(language) if language else ""
        except ValidationError:
            self.fixes.note(f"language {language!r} is not a BCP 47 tag: left out", event_label)
            language = ""
        fields = {
            "title": self.fixes.cap(title, 200, "event title") or "Untitled",
            "description": self.fixes.cap(description or abstract, 10_000, "event description") or None,
            "start_at": span[0].isoformat(timespec="seconds"),
            "end_at": span[1].isoformat(timespec="seconds"),
            "kind": self.kind(event.get("type")),
            "language": language or None,
        }
        track = text(event.get("track"))
        return SourceSession(
            key=_event_key(event),
            label=event_label,
            fields=fields,
            venue=f"room:{room}" if room else None,
            track=f"track:{track}" if track else None,
            speakers=self.persons(source, event.get("persons"), event_label),
        )


def read_source(document: Mapping[str, Any], fixes: Fixes) -> Source:
    """The schedule in ``document`` (a parsed schedule.json, or schedule_xml's reading of a
    schedule.xml), every fix noted in ``fixes``. Raises ``ValidationFailed`` (no conference)."""
    conference = conference_of(document)
    reader = _Reader(fixes)
    zone = reader.zone(conference)
    tz = ZoneInfo(zone)
    events = []
    for room, event in _events(conference):
        span = reader.span(event, tz)
        if span is not None:
            events.append((room, event, span))
            if span[0].utcoffset() != span[0].astimezone(tz).utcoffset():
                fixes.note(f"event offsets are not {zone}'s: kept the instants", text(event.get("date")))
    first, duration = reader.days(conference, [span for *_, span in events], tz)
    source = Source(zone, first, duration, reader.agenda(conference, first, duration, zone))
    rooms = [text(room.get("name")) for room in conference.get("rooms") or () if isinstance(room, Mapping)]
    for name in dict.fromkeys(name for name in [*rooms, *(r for r, *_ in events)] if name):
        venue = VenueCreate(name=fixes.cap(name, 200, "room name"), position=len(source.venues))
        source.venues[f"room:{name}"] = venue
    listed = {
        text(track.get("name")): track
        for track in conference.get("tracks") or ()
        if isinstance(track, Mapping)
    }
    for name in dict.fromkeys(n for n in [*listed, *(text(e.get("track")) for _, e, _ in events)] if n):
        color = reader.color(listed.get(name, {}).get("color"), name)
        track = TrackCreate(name=fixes.cap(name, 200, "track name"), color=color, position=len(source.tracks))
        source.tracks[f"track:{name}"] = track
    seen: set[str] = set()
    for room, event, span in events:
        session = reader.session(source, room, event, span)
        if session.key in seen:
            fixes.note("event listed twice (same guid): kept the first", session.label)
            continue
        seen.add(session.key)
        source.sessions.append(session)
    return source
