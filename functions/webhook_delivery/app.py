"""Webhook deliveries (API.md §7): each message of the delivery queue is one attempt at one
endpoint (services/webhook_delivery.py).

The messages of a batch are attempted side by side, so an endpoint that hangs costs the others
nothing but its own attempt's deadline (15 s). A message whose handling fails (storage or queue
trouble, never the receiver's answer: that is logged and scheduled) is reported failed and SQS
delivers it again (ReportBatchItemFailures); after the queue's receive limit it goes to the
dead-letter queue, whose alarm tells the operators.
"""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports (see functions/agendas/app.py).
gc.disable()

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agenda_core.observability import logger
from agenda_core.services import webhook_delivery

_WORKERS = 10  # the event source's batch size: every message of a batch at once


def _attempt(record: dict[str, Any]) -> str | None:
    """The record's message id when it must come again, else None."""
    try:
        webhook_delivery.deliver(json.loads(record["body"]))
    except Exception:  # noqa: BLE001 - SQS delivers it again, then the dead-letter queue
        logger.exception("webhook delivery failed", extra={"sqs_message_id": record.get("messageId")})
        return str(record.get("messageId"))
    return None


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or []
    with ThreadPoolExecutor(max_workers=max(1, min(_WORKERS, len(records)))) as pool:
        failed = [number for number in pool.map(_attempt, records) if number]
    return {"batchItemFailures": [{"itemIdentifier": number} for number in failed]}


gc.freeze()  # STYLE.md 5.13
gc.enable()
