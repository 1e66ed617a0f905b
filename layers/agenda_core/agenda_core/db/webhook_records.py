"""Webhook subscriptions in the single table (API.md §7; docs/design.md "Webhooks").

Two items per subscription:

- the subscription, ``AGENDA#<agd_id>`` / ``#AGENDA#WEBHOOK#<whk_id>``: in the agenda's
  partition, with a sort key that begins like the agenda item's own, so one Query
  (``begins_with(sk, "#AGENDA")``) reads the agenda (its roles, for the permission check) and all
  its subscriptions, and one BatchGetItem the agenda and one subscription. The partition's other
  readers skip them (they keep only content kinds; services/agenda_partition.py);
- its secrets, ``WEBHOOK#<whk_id>`` / ``SECRET``: apart, so that no read of the agenda's partition
  ever carries one. The secret must be stored to sign with (HMAC needs the key itself); it is
  never in a read. During a rotation the previous secret signs too, until
  ``previous_secret_until``.

A create is capped at 10 per agenda by a condition on the agenda's ``webhooks_count``.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from agenda_core.db.base import TableItem
from agenda_core.db.keys import AGENDA_SK

WEBHOOK_SK_PREFIX = f"{AGENDA_SK}#WEBHOOK#"
SECRET_SK = "SECRET"
DELIVERY_SK_PREFIX = "DELIVERY#"


def webhook_sk(webhook_id: str) -> str:
    return f"{WEBHOOK_SK_PREFIX}{webhook_id}"


def webhook_secret_pk(webhook_id: str) -> str:
    return f"WEBHOOK#{webhook_id}"


# An endpoint's own partition holds its secret and its delivery log.
webhook_pk = webhook_secret_pk


def delivery_sk(message_id: str) -> str:
    """Message ids are time-ordered ULIDs (services/webhook_fanout.py): the log sorts by time."""
    return f"{DELIVERY_SK_PREFIX}{message_id}"


class WebhookRecord(TableItem, discriminator="webhook"):
    id = UnicodeAttribute()
    agenda_id = UnicodeAttribute()
    url = UnicodeAttribute()
    events = ListAttribute[str](of=UnicodeAttribute)  # type: ignore[arg-type]  # pynamodb stubs want the Python type
    description = UnicodeAttribute(null=True)
    active = BooleanAttribute(default=True)  # the organisers' switch
    # Set by the delivery side when it stops delivering (410 Gone, 5 days of failures); cleared
    # when the organisers switch the endpoint on again.
    disabled_reason = UnicodeAttribute(null=True)
    # When the current run of failed attempts began (None: the last attempt succeeded): five days
    # of it disable the endpoint (services/webhook_schedule.py).
    failing_since = UnicodeAttribute(null=True)
    revision = UnicodeAttribute()  # changes with every write: a write pins the revision it read
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class WebhookSecretRecord(TableItem, discriminator="webhook_secret"):
    webhook_id = UnicodeAttribute()
    secret = UnicodeAttribute()
    previous_secret = UnicodeAttribute(null=True)
    previous_secret_until = UnicodeAttribute(null=True)  # RFC 3339, UTC


class DeliveryRecord(TableItem, discriminator="webhook_delivery"):
    """``WEBHOOK#<whk_id>`` / ``DELIVERY#<msg_id>``: one event for one endpoint and its attempts
    (API.md §7 delivery log), kept 30 days (``ttl``). ``attempts_made`` is claimed with a
    condition before each attempt, so a message delivered twice is attempted once."""

    id = UnicodeAttribute()  # the webhook-id header: the same on every attempt
    webhook_id = UnicodeAttribute()
    agenda_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    status = UnicodeAttribute()  # "pending", "retrying", "delivered", "dead"
    attempts_made = NumberAttribute()
    attempts = ListAttribute[MapAttribute[str, object]](of=MapAttribute)
    next_attempt_at = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)  # the event as sent (JSON): the log shows it, a redelivery resends it
    # The last redelivery claimed (POST .../redeliver queues one with a fresh token), so that a
    # redelivery message delivered twice is attempted once.
    redelivery = UnicodeAttribute(null=True)
    # Who holds the attempt under way (a fresh token per attempt): the SDK's retry of a claim
    # whose answer was lost finds its own token and goes on, and the attempt is logged once
    # (the log write holds only while the token is there, and removes it). tests/faults found
    # both: a lost claim answer dropped the message, a retried log write logged it twice.
    claim = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
