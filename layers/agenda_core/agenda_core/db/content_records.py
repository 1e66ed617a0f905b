"""Agenda content (API.md §4): one item per session, speaker, track, venue and category, in the
agenda's partition (``AGENDA#<agenda>`` / ``<KIND>#<id>``, db/keys.py), so that the full agenda is
one Query.

Session times are stored as instants (epoch seconds, ``starts``/``ends``) and shown in the agenda's
time zone when read (services/schedule_time.py): changing the agenda's zone moves no session.
``revision`` is the item's own change stamp (its ETag's first part): random, set by every write,
so a write never needs to read the item to know its new ETag.
"""

from __future__ import annotations

import secrets
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from agenda_core.db.base import TableItem


class ContentRecord(TableItem):
    """What every content item carries (not stored itself: each kind below has a discriminator)."""

    id = UnicodeAttribute()
    revision = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # Where an import found it (services/schedule_sync.py), e.g. "event:<guid>": what the next
    # import of the same schedule matches it by. Content made through the API has none, and no
    # import touches it. No request writes it, and a PUT keeps it (services/content.py).
    source = UnicodeAttribute(null=True)


class SessionRecord(ContentRecord, discriminator="session"):
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    starts = NumberAttribute()  # epoch seconds (UTC instant)
    ends = NumberAttribute()
    kind = UnicodeAttribute()
    plenary = BooleanAttribute(default=False)
    status = UnicodeAttribute()
    track_id = UnicodeAttribute(null=True)
    venue_id = UnicodeAttribute(null=True)
    speaker_ids = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]  # pynamodb stubs want the Python type  # ordered
    category_ids = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]  # pynamodb stubs want the Python type
    language = UnicodeAttribute(null=True)


class LinkMap(MapAttribute[str, str]):
    title = UnicodeAttribute()
    url = UnicodeAttribute()


class SpeakerRecord(ContentRecord, discriminator="speaker"):
    name = UnicodeAttribute()
    bio = UnicodeAttribute(null=True)
    organization = UnicodeAttribute(null=True)
    job_title = UnicodeAttribute(null=True)
    photo = UnicodeAttribute(null=True)
    links = ListAttribute[LinkMap](of=LinkMap, null=True)
    email = UnicodeAttribute(null=True)  # members only, never public


class TrackRecord(ContentRecord, discriminator="track"):
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    color = UnicodeAttribute(null=True)
    position = NumberAttribute(null=True)


class VenueRecord(ContentRecord, discriminator="venue"):
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    capacity = NumberAttribute(null=True)
    position = NumberAttribute(null=True)


class CategoryRecord(ContentRecord, discriminator="category"):
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    color = UnicodeAttribute(null=True)
    position = NumberAttribute(null=True)


def replacement(record: ContentRecord) -> list[Any]:
    """A PUT as update actions: every attribute the kind declares set, or removed when absent, but
    ``source``, which no request writes: an imported item edited through the API keeps it, so the
    next import of its schedule still finds it instead of adding a twin."""
    values = record.attribute_values
    return [
        attribute.set(values[name]) if values.get(name) is not None else attribute.remove()
        for name, attribute in type(record).get_attributes().items()
        if not (attribute.is_hash_key or attribute.is_range_key or name == "source")
    ]


def new_revision() -> int:
    """A write's new ``revision``: random, not counted, so a write sets it without reading the item."""
    return secrets.randbelow(2**52) + 1
