"""Peer: the design card's stack without our optimisations (Powertools + pydantic + pynamodb).

What the stack gives when written by its documentation: ``APIGatewayRestResolver`` with
``enable_validation=True``, pynamodb models for the single table (a discriminator picks each
item's class, as pynamodb documents for polymorphic tables), one ``Model.query`` of the agenda's
partition (pynamodb follows the pages), and a pydantic response model: the route returns
``AgendaFull`` and Powertools validates and serialises it. None of what ours adds on this path:
no raw decoding instead of pynamodb's models, no JSON built without pydantic, no micro-cache, no
garbage-collector pause or freeze at import, no shared botocore session. Lambda handler:
``lambda_handler``. Null fields stay in the JSON (Powertools' serialiser has no option to drop them).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.models import Model

from .models import AgendaFull
from .shape import base_url, full_agenda, partition_key


class PartitionItem(Model):
    class Meta:
        table_name = os.environ["TABLE_NAME"]
        region = os.environ.get("AWS_REGION") or "us-east-1"
        # Same endpoint as the bare handler (AWS_ENDPOINT_URL: the emulator), read the same way.
        host = os.environ.get("AWS_ENDPOINT_URL") or None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()


class Stamped(PartitionItem):
    id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class AgendaItem(Stamped, discriminator="agenda"):
    slug = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    location = UnicodeAttribute(null=True)
    published = BooleanAttribute(default=False)
    icon = UnicodeAttribute(null=True)
    start_at = UnicodeAttribute()
    duration = NumberAttribute()
    timezone = UnicodeAttribute()
    version = NumberAttribute()


class MemberItem(PartitionItem, discriminator="member"):
    """Memberships share the partition: the query returns them, the read skips them."""


class SessionItem(Stamped, discriminator="session"):
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    starts = NumberAttribute()
    ends = NumberAttribute()
    kind = UnicodeAttribute()
    plenary = BooleanAttribute(default=False)
    status = UnicodeAttribute()
    track_id = UnicodeAttribute(null=True)
    venue_id = UnicodeAttribute(null=True)
    speaker_ids = ListAttribute(of=UnicodeAttribute, null=True)
    category_ids = ListAttribute(of=UnicodeAttribute, null=True)
    language = UnicodeAttribute(null=True)


class Link(MapAttribute[str, str]):
    title = UnicodeAttribute()
    url = UnicodeAttribute()


class SpeakerItem(Stamped, discriminator="speaker"):
    name = UnicodeAttribute()
    bio = UnicodeAttribute(null=True)
    organization = UnicodeAttribute(null=True)
    job_title = UnicodeAttribute(null=True)
    photo = UnicodeAttribute(null=True)
    links = ListAttribute(of=Link, null=True)


class TrackItem(Stamped, discriminator="track"):
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    color = UnicodeAttribute(null=True)
    position = NumberAttribute(null=True)


class VenueItem(Stamped, discriminator="venue"):
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    capacity = NumberAttribute(null=True)
    position = NumberAttribute(null=True)


class CategoryItem(Stamped, discriminator="category"):
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    color = UnicodeAttribute(null=True)
    position = NumberAttribute(null=True)


_KINDS: dict[type[PartitionItem], str] = {
    SessionItem: "session",
    SpeakerItem: "speaker",
    TrackItem: "track",
    VenueItem: "venue",
    CategoryItem: "category",
}

app = APIGatewayRestResolver(enable_validation=True)


def _values(record: PartitionItem) -> dict[str, Any]:
    return {**record.attribute_values, "type": _KINDS.get(type(record), "")}


@app.get("/v1/agendas/<agenda_id>")
def get_agenda(agenda_id: str) -> AgendaFull:
    records = list(PartitionItem.query(partition_key(agenda_id)))
    agenda = next((record for record in records if isinstance(record, AgendaItem)), None)
    if agenda is None or not agenda.published:
        raise NotFoundError("No agenda with this id.")
    body = full_agenda(
        agenda.attribute_values,
        [_values(record) for record in records if type(record) in _KINDS],
        base_url(app.current_event.raw_event),
    )
    return AgendaFull.model_validate(body)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
