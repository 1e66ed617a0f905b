"""An endpoint's delivery log, and what its owners ask of it (API.md §7): redeliver one delivery,
ping the endpoint.

The log lives in the endpoint's own partition (db/webhook_records.py ``DeliveryRecord``, sort keys
``DELIVERY#<msg id>``, time-ordered), apart from the agenda whose roles say who may read it; a page
is therefore one BatchGetItem (the agenda and the subscription: the permission check and the 404)
and one Query, newest first (docs/design.md "Request budget": a documented exception). Entries
older than 30 days are left out even before DynamoDB's TTL removes them.

A redelivery and a ping change nothing in the table: they read (one BatchGetItem) and queue a
message for the delivering function (services/webhook_delivery.py), which logs the attempt. A
redelivery carries the delivery's own id, so the receiver sees the same ``webhook-id``; a ping is
a new delivery of a ``webhook.ping`` event, whatever the endpoint's ``events`` filter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ulid import ULID

from agenda_core.db import keys
from agenda_core.db.base import TableItem
from agenda_core.db.cursors import decode_cursor, encode_cursor, query_fingerprint
from agenda_core.db.ids import iso, new_id, utcnow
from agenda_core.db.records import AgendaRecord
from agenda_core.db.transactions import storage_errors
from agenda_core.db.webhook_records import (
    DELIVERY_SK_PREFIX,
    DeliveryRecord,
    WebhookRecord,
    delivery_sk,
    webhook_pk,
    webhook_sk,
)
from agenda_core.errors import Conflict, NotFound
from agenda_core.integrations import webhook_queue
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.common import Pagination
from agenda_core.schemas.webhooks import (
    PING_EVENT,
    DeliveryAccepted,
    WebhookDelivery,
    WebhookDeliveryPage,
)
from agenda_core.services.agenda_partition import authorize, is_agenda_id
from agenda_core.services.cursor_keys import LIST_PAGES, cursor_key

_NO_AGENDA = "No agenda with this id."
_NO_WEBHOOK = "No webhook with this id on this agenda."
_NO_DELIVERY = "No delivery with this id for this webhook."


def _read(agenda_id: str, webhook_id: str, delivery_id: str | None = None) -> list[Any]:
    """One BatchGetItem: the agenda, the subscription and, if asked, one delivery."""
    if not is_agenda_id(agenda_id):
        raise NotFound(_NO_AGENDA)
    wanted = [
        (keys.agenda_pk(agenda_id), keys.AGENDA_SK),
        (keys.agenda_pk(agenda_id), webhook_sk(webhook_id)),
    ]
    if delivery_id is not None:
        wanted.append((webhook_pk(webhook_id), delivery_sk(delivery_id)))
    with storage_errors():
        return list(TableItem.batch_get(wanted, consistent_read=True))


def _endpoint(
    caller: Caller, agenda_id: str, webhook_id: str, operation: str, delivery_id: str | None = None
) -> tuple[AgendaRecord, WebhookRecord, DeliveryRecord | None]:
    """The agenda, the subscription (and the delivery) after the permission check. Raises
    ``NotFound``, ``PermissionDenied``."""
    items = _read(agenda_id, webhook_id, delivery_id)
    agenda = next((i for i in items if isinstance(i, AgendaRecord)), None)
    if agenda is None:
        raise NotFound(_NO_AGENDA)
    authorize(agenda, caller, operation)
    webhook = next((i for i in items if isinstance(i, WebhookRecord)), None)
    if webhook is None:
        raise NotFound(_NO_WEBHOOK)
    delivery = next((i for i in items if isinstance(i, DeliveryRecord)), None)
    return agenda, webhook, delivery


def _plain(attempt: Any) -> dict[str, Any]:
    """A logged attempt (pynamodb hands a raw map as a dict or a MapAttribute)."""
    return dict(attempt.as_dict() if hasattr(attempt, "as_dict") else attempt)


def _public(record: DeliveryRecord) -> WebhookDelivery:
    return WebhookDelivery(
        id=record.id,
        event_type=record.event_type,
        status=record.status,
        attempts=[_plain(attempt) for attempt in record.attempts or []],
        next_attempt_at=record.next_attempt_at,
        event=json.loads(record.body) if record.body else {},
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def list_deliveries(
    caller: Caller,
    agenda_id: str,
    webhook_id: str,
    *,
    per_page: int,
    cursor: str | None,
    page_url: Callable[[str], str],
) -> WebhookDeliveryPage:
    """A page of the endpoint's delivery log, newest first. Raises ``NotFound``,
    ``PermissionDenied``, ``InvalidCursor``."""
    agenda, webhook, _ = _endpoint(caller, agenda_id, webhook_id, "webhooks.deliveries")
    fingerprint = query_fingerprint(route="webhook_deliveries", agenda=agenda.id, webhook=webhook.id)
    key = cursor_key(agenda, LIST_PAGES)
    before = str(decode_cursor(cursor, fingerprint, key)["before"]) if cursor else None
    now = utcnow()
    found: list[DeliveryRecord] = []
    with storage_errors():
        for item in DeliveryRecord.query(
            webhook_pk(webhook.id),
            DeliveryRecord.sk.startswith(DELIVERY_SK_PREFIX),
            # Kept 30 days: what DynamoDB's TTL has not removed yet is left out all the same.
            filter_condition=DeliveryRecord.ttl > int(now.timestamp()),
            scan_index_forward=False,
            consistent_read=True,
            last_evaluated_key={"pk": {"S": webhook_pk(webhook.id)}, "sk": {"S": delivery_sk(before)}}
            if before
            else None,
            limit=per_page + 1,
            page_size=per_page + 1,
        ):
            found.append(item)
    page = found[:per_page]
    next_url = None
    if len(found) > per_page:
        next_url = page_url(encode_cursor({"before": page[-1].id}, fingerprint, key))
    return WebhookDeliveryPage(
        deliveries=[_public(d) for d in page], pagination=Pagination(next=next_url, per_page=per_page)
    )


def _delivering(webhook: WebhookRecord) -> None:
    """Raises ``Conflict`` for an endpoint that takes no deliveries now."""
    if webhook.disabled_reason:
        raise Conflict(
            f"This webhook is disabled ({webhook.disabled_reason}); PATCH `active: true` turns it on again.",
            code="webhook_disabled",
        )
    if not webhook.active:
        raise Conflict("This webhook is paused; PATCH `active: true` resumes it.", code="webhook_paused")


def redeliver(caller: Caller, agenda_id: str, webhook_id: str, delivery_id: str) -> DeliveryAccepted:
    """Queues one more attempt of a logged delivery, with its own ``webhook-id``. Raises
    ``NotFound``, ``PermissionDenied``, ``Conflict(webhook_disabled|webhook_paused)``."""
    _, webhook, delivery = _endpoint(caller, agenda_id, webhook_id, "webhooks.redeliver", delivery_id)
    if delivery is None or not delivery.body or int(delivery.ttl or 0) <= int(utcnow().timestamp()):
        raise NotFound(_NO_DELIVERY)
    _delivering(webhook)
    message = {
        "message_id": delivery.id,
        "webhook_id": webhook.id,
        "agenda_id": agenda_id,
        "event_type": delivery.event_type,
        "body": delivery.body,
        "attempt": int(delivery.attempts_made),
        "redelivery": str(ULID()),
    }
    webhook_queue.send([message])
    return DeliveryAccepted(id=delivery.id, event_type=delivery.event_type, status="queued")


def ping(caller: Caller, agenda_id: str, webhook_id: str) -> DeliveryAccepted:
    """Queues a ``webhook.ping`` event for this endpoint alone. Raises ``NotFound``,
    ``PermissionDenied``, ``Conflict(webhook_disabled|webhook_paused)``."""
    _, webhook, _ = _endpoint(caller, agenda_id, webhook_id, "webhooks.ping")
    _delivering(webhook)
    now = utcnow()
    message_id = new_id("message", now)
    event = {
        "type": PING_EVENT,
        "timestamp": iso(now),
        "data": {"agenda_id": agenda_id, "webhook_id": webhook.id},
    }
    message = {
        "message_id": message_id,
        "webhook_id": webhook.id,
        "agenda_id": agenda_id,
        "event_type": PING_EVENT,
        "body": json.dumps(event, separators=(",", ":")),
        "attempt": 1,
    }
    webhook_queue.send([message])
    return DeliveryAccepted(id=message_id, event_type=PING_EVENT, status="queued")
