"""Import a c3voc ``schedule.json`` ("frab JSON", as frab and pretalx export it) as a new agenda.

Why: organisers arrive with their schedule in the format conference tools already export
(shared/fixtures/c3voc). What: the conference becomes an agenda, rooms venues, tracks tracks,
persons speakers and events sessions, each written through ``agendas.create_agenda`` and
``content.add_item`` (the POST's write) with the API's request schemas, so every rule of API.md §3-§4 applies.
Real exports break the format's own schema (upper-case acronyms, no time zone, frab days that
run past midnight), so the import is lenient: it fixes what it can and lists every fix in
``ImportReport.notes``; a person or event the API still refuses is skipped and noted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter, ValidationError

from agenda_core.errors import Conflict, FieldError, ValidationFailed
from agenda_core.schemas.agendas import AgendaCreate
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.common import TIME_ZONES
from agenda_core.schemas.content_fields import Language
from agenda_core.schemas.sessions import MAX_SPEAKERS_PER_SESSION, SessionCreate
from agenda_core.schemas.speakers import SpeakerCreate
from agenda_core.schemas.tracks import TrackCreate
from agenda_core.schemas.venues import VenueCreate
from agenda_core.services import agendas, content, slugs
from agenda_core.services.content_kinds import SESSIONS, SPEAKERS, TRACKS, VENUES, ContentKind

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


@dataclass(frozen=True)
class ImportReport:
    agenda_id: str
    counts: dict[str, int]  # created, by plural: {"sessions": 79, "speakers": 90, ...}
    notes: list[str]  # every fix and every skipped item, one line per kind of fix


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _label(title: str) -> str:
    return repr(title if len(title) <= 60 else title[:59] + "…")


def _reason(refused: ValidationError | ValidationFailed) -> str:
    if isinstance(refused, ValidationFailed):
        return refused.detail
    return "; ".join(f"/{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in refused.errors())


def _events(conference: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(room name, event) in the export's order: days, then rooms, then events."""
    for day in conference.get("days") or ():
        for room, events in (day.get("rooms") or {}).items():
            for event in events or ():
                yield _text(event.get("room")) or room, event


def _person_key(person: Mapping[str, Any]) -> str:
    for field in ("guid", "code", "id"):
        if person.get(field) not in (None, ""):
            return f"{field}:{person[field]}"
    return "name:" + (_text(person.get("public_name")) or _text(person.get("name"))).casefold()


class _Import:
    """One import: the notes so far, and the ids created, by the export's names and keys."""

    def __init__(self, caller: Caller, base_url: str) -> None:
        self.caller, self.base_url, self.agenda_id = caller, base_url, ""
        self.fixes: dict[str, list[str]] = {}  # what was fixed -> an example per time
        self.counts = {"venues": 0, "tracks": 0, "speakers": 0, "sessions": 0}
        self.ids: dict[str, dict[str, str]] = {"venues": {}, "tracks": {}, "speakers": {}}

    def note(self, fix: str, example: str = "") -> None:
        self.fixes.setdefault(fix, []).append(example)

    def notes(self) -> list[str]:
        """One line per kind of fix, so 63 dropped subtitles are one line, not 63."""
        lines = []
        for fix, examples in self.fixes.items():
            count = f"{len(examples)} times, e.g. " if len(examples) > 1 else ""
            lines.append(f"{fix}: {count}{examples[0]}" if examples[0] else fix)
        return lines

    def cap(self, value: Any, limit: int, what: str) -> str:
        text = _text(value)
        if len(text) > limit:
            self.note(f"{what} shortened to {limit} characters", repr(text[:40]))
            text = text[: limit - 1].rstrip() + "…"
        return text

    # --- the agenda ---------------------------------------------------------------------------

    def zone(self, conference: Mapping[str, Any]) -> str:
        name = _text(conference.get("time_zone_name"))
        if name in TIME_ZONES:
            return name
        self.note(
            f"time_zone_name {name!r} is not an IANA zone: used UTC"
            if name
            else "no time_zone_name: used UTC"
        )
        return "UTC"

    def span(self, event: Mapping[str, Any], tz: ZoneInfo) -> Span | None:
        try:
            start = datetime.fromisoformat(_text(event.get("date")))
            if start.tzinfo is None:
                self.note(f"date without an offset: read in {tz.key}", _label(_text(event.get("title"))))
                start = start.replace(tzinfo=tz)
            if event.get("end"):
                end = datetime.fromisoformat(_text(event["end"]))
                return start, end if end.tzinfo else end.replace(tzinfo=tz)
            duration = _DURATION.fullmatch(_text(event.get("duration")))
            if duration is None:
                raise ValueError("no duration")
            days, hours, minutes = (int(part or 0) for part in duration.groups())
            return start, start + timedelta(days=days, hours=hours, minutes=minutes)
        except ValueError:
            self.note("event skipped: no readable date and duration", _label(_text(event.get("title"))))
            return None

    def days(self, conference: Mapping[str, Any], spans: list[Span], tz: ZoneInfo) -> tuple[date, int]:
        """The first day, and enough whole local days to hold every event (at least daysCount)."""
        declared = conference.get("daysCount")
        if not isinstance(declared, int) or declared < 1:
            declared = len(conference.get("days") or ()) or 1
        earliest = min((start.astimezone(tz).date() for start, _ in spans), default=None)
        try:
            first = date.fromisoformat(_text(conference.get("start"))[:10])
        except ValueError:
            first = earliest or date.today()
            self.note(f"no readable conference start: used {first}")
        if earliest and earliest < first:
            self.note(f"start moved from {first} to {earliest}, the first event's local day in {tz.key}")
            first = earliest
        last_end = max((end for _, end in spans), default=None)
        # An event ending at midnight ends on the day before; frab's days run on past midnight.
        needed = ((last_end - timedelta(seconds=1)).astimezone(tz).date() - first).days + 1 if last_end else 1
        if needed > declared:
            self.note(
                f"duration extended from daysCount {declared} to {needed} days: events run until {last_end}"
            )
        duration = max(declared, needed)
        if duration > MAX_DAYS:
            self.note(f"duration capped at {MAX_DAYS} days: later events are skipped")
            duration = MAX_DAYS
        end = _text(conference.get("end"))[:10]
        if end and end > (first + timedelta(days=duration - 1)).isoformat():
            self.note(
                f"conference end {end} ignored: no event runs into it (frab days may end after midnight)"
            )
        return first, duration

    def agenda(self, conference: Mapping[str, Any], days: tuple[date, int], zone: str) -> None:
        acronym = _text(conference.get("acronym"))
        slug = slugs.slugify(acronym) if acronym else None
        if slug and slug != acronym:
            self.note(f"acronym {acronym!r} made into the slug {slug!r}")
        fields: dict[str, Any] = {
            "name": self.cap(
                _text(conference.get("title")) or acronym or "Untitled", 200, "conference title"
            ),
            "description": self.cap(conference.get("description"), 10_000, "conference description") or None,
            "start_at": days[0].isoformat(),
            "duration": days[1],
            "timezone": zone,
        }
        try:
            created = agendas.create_agenda(self.caller, AgendaCreate(**fields, slug=slug), self.base_url)
        except Conflict as taken:
            if taken.error_code != "slug_taken":
                raise
            self.note(f"slug {slug!r} is taken: generated one from the name")
            created = agendas.create_agenda(self.caller, AgendaCreate(**fields), self.base_url)
        self.agenda_id = created.body.id

    # --- its content --------------------------------------------------------------------------

    def create(self, kind: ContentKind, data: Any) -> str:
        # Ids, not answers: a session's answer would cost a Query of the agenda's sessions.
        item_id = content.add_item(kind, self.caller, self.agenda_id, data)
        self.counts[kind.plural] += 1
        return item_id

    def venues(self, names: list[str]) -> None:
        venues = self.ids["venues"]
        for name in dict.fromkeys(name for name in names if name):  # by name: pretalx repeats guids
            venues[name] = self.create(
                VENUES, VenueCreate(name=self.cap(name, 200, "room name"), position=len(venues))
            )

    def tracks(self, listed: Mapping[str, Mapping[str, Any]], names: list[str]) -> None:
        tracks = self.ids["tracks"]
        for name in dict.fromkeys(name for name in [*listed, *names] if name):
            color = self.color(listed.get(name, {}).get("color"), name)
            data = TrackCreate(name=self.cap(name, 200, "track name"), color=color, position=len(tracks))
            tracks[name] = self.create(TRACKS, data)

    def color(self, value: Any, track: str) -> str | None:
        match = _HEX.fullmatch(_text(value))
        if match is None:
            if _text(value):
                self.note("track colour not #rrggbb: left out", f"{track} {value!r}")
            return None
        digits = match[1] if len(match[1]) != 3 else "".join(c * 2 for c in match[1])
        return "#" + digits[:6].lower()  # #rrggbbaa: the alpha goes

    def kind(self, value: Any) -> str:
        text = _text(value).casefold()
        kind = next((kind for kind, words in _KIND_WORDS.items() if any(w in text for w in words)), "other")
        if text != kind:
            self.note(f"type {_text(value)!r} read as {kind!r}")
        return kind

    def speaker_ids(self, persons: list[Mapping[str, Any]], label: str) -> list[str]:
        speakers, ids = self.ids["speakers"], []
        for person in persons:
            key = _person_key(person)
            if key not in speakers:
                name = _text(person.get("public_name")) or _text(person.get("name"))
                try:
                    bio = self.cap(person.get("biography"), 10_000, "biography") or None
                    speakers[key] = self.create(
                        SPEAKERS, SpeakerCreate(name=self.cap(name, 200, "person name"), bio=bio)
                    )
                except (ValidationError, ValidationFailed) as refused:
                    self.note("person skipped", f"{name!r} on {label} ({_reason(refused)})")
                    continue
            if speakers[key] in ids:
                self.note("person listed twice on an event: kept once", label)
            else:
                ids.append(speakers[key])
        if len(ids) > MAX_SPEAKERS_PER_SESSION:
            self.note(f"speakers after the first {MAX_SPEAKERS_PER_SESSION} left out", label)
        return ids[:MAX_SPEAKERS_PER_SESSION]

    def session(self, room: str, event: Mapping[str, Any], span: Span) -> None:
        title = _text(event.get("title"))
        label = _label(title)
        if not title:
            self.note("event without a title: called 'Untitled'", _text(event.get("date")))
        if _text(event.get("subtitle")):
            self.note("subtitle left out (title kept)", label)
        description, abstract = _text(event.get("description")), _text(event.get("abstract"))
        if description and abstract:
            self.note("abstract left out (description kept)", label)
        language = _text(event.get("language"))
        try:
            language = _LANGUAGE.validate_python(language) if language else ""
        except ValidationError:
            self.note(f"language {language!r} is not a BCP 47 tag: left out", label)
            language = ""
        try:
            data = SessionCreate(
                title=self.cap(title, 200, "event title") or "Untitled",
                description=self.cap(description or abstract, 10_000, "event description") or None,
                start_at=span[0].isoformat(timespec="seconds"),
                end_at=span[1].isoformat(timespec="seconds"),
                kind=self.kind(event.get("type")),
                language=language or None,
                venue_id=self.ids["venues"].get(room),
                track_id=self.ids["tracks"].get(_text(event.get("track"))),
                speaker_ids=self.speaker_ids(event.get("persons") or [], label),
            )
            self.create(SESSIONS, data)
        except (ValidationError, ValidationFailed) as refused:
            self.note("event skipped", f"{label} ({_reason(refused)})")


def import_schedule(caller: Caller, document: Mapping[str, Any], base_url: str) -> ImportReport:
    """Creates an agenda owned by ``caller`` from a parsed schedule.json (the whole document or
    its ``schedule``). Raises what ``create_agenda`` and ``create_item`` raise for the agenda,
    venues and tracks (``ValidationFailed``, also for a document without a conference;
    ``Conflict``); persons and events the API refuses are skipped and noted."""
    conference = (document.get("schedule") or document).get("conference")
    if not isinstance(conference, Mapping):
        raise ValidationFailed([FieldError("/schedule/conference", "required", "No conference to import.")])
    run = _Import(caller, base_url)
    zone = run.zone(conference)
    tz = ZoneInfo(zone)
    events = []
    for room, event in _events(conference):
        span = run.span(event, tz)
        if span is not None:
            events.append((room, event, span))
            if span[0].utcoffset() != span[0].astimezone(tz).utcoffset():
                run.note(f"event offsets are not {zone}'s: kept the instants", _text(event.get("date")))
    run.agenda(conference, run.days(conference, [span for *_, span in events], tz), zone)
    run.venues([_text(room.get("name")) for room in conference.get("rooms") or ()] + [r for r, *_ in events])
    listed = {_text(track.get("name")): track for track in conference.get("tracks") or ()}
    run.tracks(listed, [_text(event.get("track")) for _, event, _ in events])
    for room, event, span in events:
        run.session(room, event, span)
    return ImportReport(agenda_id=run.agenda_id, counts=run.counts, notes=run.notes())
