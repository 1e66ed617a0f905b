"""Public snapshots (API.md §5): rebuilt from the table's stream, one per agenda in each batch.

The event source (template.yaml ``SnapshotsFunction``) passes only INSERTs of change records
(``CHANGES#<agenda>``, db/commits.py). A batch may hold many changes of one agenda (an import):
the snapshot is rebuilt once, from the agenda's current state. A failed rebuild reports that
agenda's first record as failed, and Lambda retries from there (ReportBatchItemFailures).
"""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports (see functions/agendas/app.py).
gc.disable()

from typing import Any

from agenda_core.observability import logger
from agenda_core.services import snapshot_builder

_CHANGES_PREFIX = "CHANGES#"


def _agendas_in(records: list[dict[str, Any]]) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """Agenda id -> the sequence number of its first change record in the batch, and the records'
    new images."""
    found: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for record in records:
        change = record.get("dynamodb") or {}
        pk = ((change.get("Keys") or {}).get("pk") or {}).get("S", "")
        if record.get("eventName") == "INSERT" and pk.startswith(_CHANGES_PREFIX):
            first = found.setdefault(
                pk.removeprefix(_CHANGES_PREFIX), (str(change.get("SequenceNumber")), [])
            )
            first[1].append(change.get("NewImage") or {})
    return found


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failed = []
    for agenda_id, (sequence_number, images) in _agendas_in(event.get("Records") or []).items():
        try:
            if snapshot_builder.needs_rebuild(images):
                snapshot_builder.rebuild(agenda_id)
        except Exception:  # noqa: BLE001 - retried by the stream from this record on
            logger.exception("snapshot rebuild failed", extra={"agenda_id": agenda_id})
            failed.append(sequence_number)
    return {"batchItemFailures": [{"itemIdentifier": number} for number in failed]}


gc.freeze()  # STYLE.md 5.13
gc.enable()
