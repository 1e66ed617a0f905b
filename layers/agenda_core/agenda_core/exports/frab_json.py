"""``schedule.json``: the frab schedule (frab.py) in c3voc's JSON form, valid against its
schema.json (shared/fixtures/c3voc), modelled on what pretalx exports.

The schema decides the shape: ``schedule.rooms`` may not exist (rooms belong to the
conference), events and rooms take no other fields than it lists, a person must match exactly
one of its two person shapes (ours is pretalx's: ``name``, no integer ``id``), and an event's
required fields are all there, null where we have nothing (``abstract``, ``language``, ``track``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from agenda_core.exports.frab import GENERATOR, SCHEMA_URL, TIMESLOT, Event, Person, Room, Schedule, schedule


def render(body: Mapping[str, Any], base_url: str) -> str:
    """The c3voc ``schedule.json`` of the full agenda ``body`` (compact UTF-8 JSON)."""
    return json.dumps(document(schedule(body, base_url)), ensure_ascii=False, separators=(",", ":"))


def document(plan: Schedule) -> dict[str, Any]:
    conference: dict[str, Any] = {
        "acronym": plan.acronym,
        "title": plan.title,
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "daysCount": len(plan.days),
        "timeslot_duration": TIMESLOT,
        "url": plan.url,
    }
    if plan.description:
        conference["description"] = plan.description
    if plan.time_zone_name:
        conference["time_zone_name"] = plan.time_zone_name
    if plan.logo:
        conference["logo"] = plan.logo
    conference["tracks"] = [_present({"name": t.name, "slug": t.slug, "color": t.color}) for t in plan.tracks]
    conference["rooms"] = [_room(room) for room in plan.rooms]
    conference["days"] = [
        {
            "index": day.index,
            "date": day.date.isoformat(),
            "day_start": day.start,
            "day_end": day.end,
            "rooms": {name: [_event(event) for event in events] for name, events in day.rooms.items()},
        }
        for day in plan.days
    ]
    return {
        "$schema": SCHEMA_URL,
        "generator": dict(GENERATOR),
        "schedule": {"version": plan.version, "base_url": plan.base_url, "conference": conference},
    }


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def _room(room: Room) -> dict[str, Any]:
    return _present(
        {
            "name": room.name,
            "guid": room.guid,
            "description": room.description,
            "capacity": room.capacity,
            "url": room.url,
        }
    )


def _event(event: Event) -> dict[str, Any]:
    return {
        "guid": event.guid,
        "id": event.id,
        "date": event.date,
        "start": event.start,
        "end": event.end,
        "duration": event.duration,
        "room": event.room,
        "slug": event.slug,
        "url": event.url,
        "title": event.title,
        "subtitle": "",
        "track": event.track,
        "type": event.type,
        "language": event.language,
        "abstract": "",
        "description": event.description,
        "persons": [_person(person) for person in event.persons],
        "links": [],
    }


def _person(person: Person) -> dict[str, Any]:
    return _present(
        {
            "guid": person.guid,
            "name": person.name,
            "public_name": person.name,  # what older readers look for (FrabPerson's name)
            "biography": person.biography,
            "avatar": person.avatar,
            "url": person.url,
            "links": person.links or None,
        }
    )
