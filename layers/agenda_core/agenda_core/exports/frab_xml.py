"""``schedule.xml``: the frab schedule (frab.py) in the frab / Pentabarf XML form, valid against
c3voc's schedule.xml.xsd (shared/fixtures/c3voc). The same content as ``schedule.json``.

Built with the standard library's ElementTree (lxml is a test dependency only, to check the XSD),
which escapes ``&``, ``<``, ``>`` and quotes. What it does not do is drop the characters XML 1.0
cannot carry at all (most C0 controls, unpaired surrogates, U+FFFE/U+FFFF); ``_text`` does, or a
title holding one would make the whole document unreadable. Order matters where the XSD says
``sequence``: ``generator``, ``url``, ``version``, ``conference``, then the ``day``s; inside an
event (``xs:all``) we keep frab's own order anyway. Required elements are always written, empty
where we have nothing (``abstract``, ``track``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from agenda_core.exports.frab import GENERATOR, TIMESLOT, Event, Schedule, schedule

# Characters outside XML 1.0's Char production (https://www.w3.org/TR/xml/#charsets).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(body: Mapping[str, Any], base_url: str) -> str:
    """The frab ``schedule.xml`` of the full agenda ``body`` (UTF-8, indented)."""
    root = document(schedule(body, base_url))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _add(parent: ET.Element, tag: str, text: object = None, **attributes: object) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _text(v) for k, v in attributes.items() if v is not None})
    if text is not None:
        element.text = _text(text)
    return element


def document(plan: Schedule) -> ET.Element:
    root = ET.Element("schedule")
    _add(root, "generator", **GENERATOR)
    _add(root, "url", f"{plan.url}/schedule.xml")
    _add(root, "version", plan.version)
    conference = _add(root, "conference")
    _add(conference, "acronym", plan.acronym)
    _add(conference, "title", plan.title)
    _add(conference, "start", plan.start.isoformat())
    _add(conference, "end", plan.end.isoformat())
    _add(conference, "days", len(plan.days))
    _add(conference, "timeslot_duration", TIMESLOT)
    _add(conference, "base_url", plan.base_url)
    if plan.logo:
        _add(conference, "logo", plan.logo)
    _add(conference, "url", plan.url)
    if plan.time_zone_name:
        _add(conference, "time_zone_name", plan.time_zone_name)
    for track in plan.tracks:
        _add(conference, "track", name=track.name, color=track.color, slug=track.slug)
    for day in plan.days:
        element = _add(root, "day", index=day.index, date=day.date.isoformat(), start=day.start, end=day.end)
        for room in plan.rooms:
            room_element = _add(element, "room", name=room.name, guid=room.guid)
            for event in day.rooms[room.name]:
                _event(room_element, event)
    return root


def _event(parent: ET.Element, event: Event) -> None:
    element = _add(parent, "event", guid=event.guid, id=event.id)
    _add(element, "room", event.room)
    _add(element, "title", event.title)
    _add(element, "subtitle", "")
    _add(element, "type", event.type)
    _add(element, "date", event.date)
    _add(element, "start", event.start)
    _add(element, "duration", event.duration)
    _add(element, "abstract", "")
    _add(element, "slug", event.slug)
    _add(element, "track", event.track or "")
    persons = _add(element, "persons")
    for person in event.persons:
        _add(persons, "person", person.name, guid=person.guid)
    if event.language:
        _add(element, "language", event.language)
    _add(element, "description", event.description or "")
    _add(element, "links")  # sessions carry no links (yet)
    _add(element, "url", event.url)
