"""From committed changes to delivery messages (API.md §7): one event per change, one message per
subscribed endpoint.

The table's stream brings the change log's new records (functions/webhook_events). For each
agenda in a batch, one Query reads the agenda item and its subscriptions (db/webhook_records.py);
each change becomes its event (services/webhook_events.py) and each active endpoint whose filter
takes it gets a message on the delivery queue (functions/webhook_delivery delivers it). Events of
unpublished agendas go out too: the receivers belong to the agenda's organisers.

A message's id (the ``webhook-id`` header, the delivery log's key) is derived from the agenda,
the version and the endpoint, in a ULID whose time is the commit's: the same change delivered
twice by the stream makes the same message, which the delivering side attempts once; and the
delivery log sorts by commit time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ulid import ULID

from agenda_core.db.raw import decode_item
from agenda_core.db.webhook_records import WebhookRecord
from agenda_core.integrations import webhook_queue
from agenda_core.services.webhook_events import UNDELIVERED, event_of, subscribed
from agenda_core.services.webhooks import agenda_and_webhooks
from agenda_core.settings import get_settings


def message_id(agenda_id: str, version: int, webhook_id: str, committed_at: str) -> str:
    """``msg_<ULID>``: the commit's time, and 80 bits that only this change and endpoint give."""
    millis = int(datetime.fromisoformat(committed_at).timestamp() * 1000)
    digest = hashlib.sha256(f"{agenda_id}|{version}|{webhook_id}".encode()).digest()
    return f"msg_{ULID.from_bytes(millis.to_bytes(6, 'big') + digest[:10])}"


def _delivering(webhook: WebhookRecord) -> bool:
    return bool(webhook.active) and not webhook.disabled_reason


def messages_for(changes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The delivery messages of one agenda's changes (decoded change records, in commit order)."""
    changes = list(changes)
    if not changes:
        return []
    if all(str(change.get("event")) in UNDELIVERED for change in changes):
        return []  # a new agenda: nobody can have subscribed yet
    agenda_id = str(changes[0]["agenda_id"])
    agenda, webhooks = agenda_and_webhooks(agenda_id)
    endpoints = [w for w in webhooks if _delivering(w)]
    if not endpoints:
        return []
    zone = agenda.timezone if agenda is not None else "UTC"
    base_url = get_settings().snapshot_base_url
    messages = []
    for change in changes:
        event = event_of(change, zone, base_url)
        if event is None:
            continue
        body = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        for webhook in endpoints:
            if subscribed(webhook.events, event["type"]):
                messages.append(
                    {
                        "message_id": message_id(
                            agenda_id, int(change["version"]), webhook.id, str(change["at"])
                        ),
                        "webhook_id": webhook.id,
                        "agenda_id": agenda_id,
                        "event_type": event["type"],
                        "body": body,
                        "attempt": 1,
                    }
                )
    return messages


_CHANGES_PREFIX = "CHANGES#"


def changes_by_agenda(records: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Stream records (INSERTs of change records) -> per agenda, in the batch's order, each
    record's sequence number and decoded change."""
    grouped: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for record in records:
        change = record.get("dynamodb") or {}
        pk = ((change.get("Keys") or {}).get("pk") or {}).get("S", "")
        image = change.get("NewImage")
        if record.get("eventName") == "INSERT" and pk.startswith(_CHANGES_PREFIX) and image:
            agenda_id = pk.removeprefix(_CHANGES_PREFIX)
            grouped.setdefault(agenda_id, []).append((str(change.get("SequenceNumber")), decode_item(image)))
    return grouped


def fan_out(changes: Iterable[Mapping[str, Any]]) -> int:
    """Queues the messages of one agenda's changes. Returns how many. Raises what the queue
    raises (the stream then retries the batch from this agenda's first record)."""
    messages = messages_for(changes)
    webhook_queue.send(messages)
    return len(messages)
