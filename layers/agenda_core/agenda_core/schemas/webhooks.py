"""Webhook subscriptions of an agenda (API.md §7)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, field_validator

from agenda_core.content_names import CONTENT
from agenda_core.schemas.common import (
    Pagination,
    PublicModel,
    RequestModel,
    Timestamp,
    document_not_nullable,
    refuse_null,
)

# Every event a subscription may ask for, from the declarations they follow (db/commits.py
# records them): the agenda's, and created/updated/deleted of each content kind.
EVENT_TYPES: tuple[str, ...] = (
    "agenda.updated",
    "agenda.published",
    "agenda.unpublished",
    "agenda.deleted",
    *(f"{kind.name}.{what}" for kind in CONTENT for what in ("created", "updated", "deleted")),
)
EVENT_FILTER_DOC = 'Event types to deliver (API.md §7), or `["*"]` for all of them.'

WebhookUrl = Annotated[
    str,
    Field(
        min_length=8,
        max_length=2048,
        description="Where events are POSTed: https, a public host, no user name or password.",
        examples=["https://example.com/hooks/agenda"],
    ),
]
EventName = Annotated[
    str,
    # Documented as the names there are; an unknown one is the service's 422 naming it.
    Field(min_length=1, max_length=64, json_schema_extra={"enum": [*EVENT_TYPES, "*"]}),
]
Events = Annotated[
    list[EventName], Field(min_length=1, max_length=len(EVENT_TYPES) + 1, description=EVENT_FILTER_DOC)
]
Description = Annotated[str, Field(max_length=500)]


class WebhookCreate(RequestModel):
    """POST /v1/agendas/{agenda_id}/webhooks."""

    url: WebhookUrl
    events: Events
    description: Description | None = None


class WebhookUpdate(RequestModel):
    """PATCH /v1/agendas/{agenda_id}/webhooks/{webhook_id}: an RFC 7396 merge patch (``null``
    clears ``description`` only)."""

    model_config = ConfigDict(json_schema_extra=document_not_nullable("url", "events", "active"))

    url: WebhookUrl | None = None
    events: Events | None = None
    description: Description | None = None
    active: bool | None = Field(default=None, description="false pauses deliveries; true resumes them.")

    _not_null = field_validator("url", "events", "active", mode="before")(refuse_null)


class WebhookPublic(PublicModel):
    id: str
    url: str = Field(description="Where events are POSTed.")
    events: list[str]
    description: str | None = None
    active: bool = Field(description="Whether the organisers want deliveries (PATCH `active`).")
    status: Literal["active", "paused", "disabled"] = Field(
        description="`disabled`: the service stopped delivering (`disabled_reason` says why); "
        "PATCH `active: true` turns it on again."
    )
    disabled_reason: str | None = None
    created_at: Timestamp
    updated_at: Timestamp


class WebhookWithSecret(WebhookPublic):
    """The answer of a create or a secret rotation: the only answers that show the secret."""

    secret: str = Field(description="`whsec_…`: verifies the `webhook-signature` header. Shown only here.")


class WebhookPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"webhooks"})

    webhooks: list[WebhookPublic]
    pagination: Pagination


PING_EVENT = "webhook.ping"  # POST .../ping: sent to one endpoint whatever its filter


class DeliveryAttempt(PublicModel):
    """One attempt of a delivery, as the delivery log keeps it (30 days)."""

    at: Timestamp
    duration_ms: int
    status: int | None = Field(default=None, description="The receiver's HTTP status, if it answered.")
    error: str | None = Field(
        default=None,
        description="Why the attempt failed without a status: `timeout` (15 s in all), "
        "`connect`, `tls`, `protocol`, `dns` (the name did not resolve) or `private_address` (it "
        "resolved to an address that is not public); or, beside a status, `answer_too_large` (more "
        "than 64 KiB came back: a failure whatever the status).",
    )
    answer: str | None = Field(default=None, description="The first 1 KiB of the receiver's answer.")
    next_attempt_at: Timestamp | None = Field(default=None, description="When the next attempt is due.")
    redelivery: bool = Field(default=False, description="Made by POST .../redeliver.")


class WebhookDelivery(PublicModel):
    """One event for one endpoint (its `id` is the `webhook-id` header) and its attempts."""

    always_present: ClassVar[frozenset[str]] = frozenset({"attempts"})

    id: str = Field(description="`msg_…`: the `webhook-id` header of every attempt and redelivery.")
    event_type: str
    status: Literal["pending", "retrying", "delivered", "dead"] = Field(
        description="`pending`: an attempt is being made; `retrying`: the next one is scheduled; "
        "`delivered`: a 2xx came back; `dead`: the schedule ran out or the endpoint was disabled."
    )
    attempts: list[DeliveryAttempt] = Field(description="Oldest first.")
    next_attempt_at: Timestamp | None = Field(default=None, description="When the next attempt is due.")
    event: dict[str, Any] = Field(description="The body delivered: `{type, timestamp, data}`.")
    created_at: Timestamp
    updated_at: Timestamp


class WebhookDeliveryPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"deliveries"})

    deliveries: list[WebhookDelivery] = Field(description="Newest first.")
    pagination: Pagination


class DeliveryAccepted(PublicModel):
    """The answer of a ping or a redelivery (202): what was queued."""

    id: str = Field(description="`msg_…`: the `webhook-id` the receiver will see.")
    event_type: str
    status: Literal["queued"]
