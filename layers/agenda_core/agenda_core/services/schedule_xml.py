"""Reading a frab ``schedule.xml`` (shared/fixtures/c3voc/schedule.xml.xsd) into the shape of a
``schedule.json``, so that one reader (services/schedule_source.py) imports both formats.

The XML format carries the same things as the JSON one: ``<conference>`` with its fields and
``<track>``s, then ``<day>``s of ``<room name>``s of ``<event guid id>``s whose children are the
JSON event's fields, and ``<persons><person guid id>Name</person></persons>``. A document type is
refused before parsing (the upload check refuses it too): no entity expansion, no external
entities.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any

from agenda_core.errors import FieldError, ValidationFailed

# Event children kept as text fields (the JSON event's names).
_EVENT_FIELDS = (
    "date", "start", "duration", "room", "slug", "url", "title", "subtitle", "track", "type",
    "language", "abstract", "description",
)  # fmt: skip
_CONFERENCE_FIELDS = ("acronym", "title", "start", "end", "time_zone_name", "url", "base_url")


def _refused(detail: str) -> ValidationFailed:
    return ValidationFailed([FieldError("/", "not_a_schedule", detail)])


def _text(element: ElementTree.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def read_xml(data: bytes) -> dict[str, Any]:
    """The schedule as a schedule.json document. Raises ``ValidationFailed`` (not XML, a document
    type, not a frab schedule)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _refused("The XML declares a document type or entities; a schedule.xml has none.")
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - no DTD, so no entities (above)
    except ElementTree.ParseError as error:
        raise _refused(f"The file is not well-formed XML ({error}).") from None
    if root.tag != "schedule" or root.find("conference") is None:
        raise _refused("The XML is not a frab schedule: no <schedule> with a <conference>.")
    xml_conference = root.find("conference")
    assert xml_conference is not None
    conference: dict[str, Any] = {name: _text(xml_conference.find(name)) for name in _CONFERENCE_FIELDS}
    days_count = _text(xml_conference.find("days"))
    if days_count.isdigit():
        conference["daysCount"] = int(days_count)
    conference["tracks"] = [
        {"name": track.get("name") or _text(track), "color": track.get("color")}
        for track in xml_conference.findall("track")
    ]
    conference["days"] = [
        {
            "index": day.get("index"),
            "date": day.get("date"),
            "rooms": {
                room.get("name") or "": [_event(e) for e in room.findall("event")]
                for room in day.findall("room")
            },
        }
        for day in root.findall("day")
    ]
    return {"schedule": {"version": _text(root.find("version")), "conference": conference}}


def _event(element: ElementTree.Element) -> dict[str, Any]:
    event: dict[str, Any] = {name: _text(element.find(name)) or None for name in _EVENT_FIELDS}
    event.update({name: element.get(name) for name in ("guid", "id", "code") if element.get(name)})
    event["persons"] = [
        {
            **{name: person.get(name) for name in ("guid", "id", "code") if person.get(name)},
            "public_name": _text(person),
        }
        for person in element.findall("persons/person")
    ]
    return event
