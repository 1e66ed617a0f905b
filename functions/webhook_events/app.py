"""Webhook events (API.md §7): the change log's new records, from the table's stream, become
messages on the delivery queue (services/webhook_fanout.py), one per subscribed endpoint.

The event source (template.yaml ``WebhookEventsFunction``) passes only INSERTs of change records.
A batch is taken agenda by agenda, in commit order; when an agenda's messages cannot be queued,
its first record is reported failed and Lambda retries from there (ReportBatchItemFailures). The
records before it were queued already; queued twice, a message is still delivered once.
"""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports (see functions/agendas/app.py).
gc.disable()

from typing import Any

from agenda_core.observability import logger
from agenda_core.services import webhook_fanout


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failed = []
    for agenda_id, changes in webhook_fanout.changes_by_agenda(event.get("Records") or []).items():
        try:
            webhook_fanout.fan_out(change for _, change in changes)
        except Exception:  # noqa: BLE001 - retried by the stream from this agenda's first record on
            logger.exception("queueing webhook events failed", extra={"agenda_id": agenda_id})
            failed.append(changes[0][0])
    return {"batchItemFailures": [{"itemIdentifier": number} for number in failed]}


gc.freeze()  # STYLE.md 5.13
gc.enable()
