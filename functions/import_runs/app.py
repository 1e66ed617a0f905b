"""Runs schedule imports (API.md §8): the table's stream hands over each new import item
(template.yaml ``ImportRunsFunction``: INSERTs under ``IMPORTS#``), one per batch.

An import's outcome, failure included, is written on the import (services/imports.py), so the
batch succeeds whatever the schedule held. Only when even that write fails does the batch fail,
and the stream retries it: the run claims the import again and, matching what it already wrote,
completes it without duplicates. What still fails after the retries goes to the dead-letter queue.
"""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports (see functions/agendas/app.py).
gc.disable()

from typing import Any

from agenda_core.observability import logger
from agenda_core.services import imports


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    failed = []
    for record in event.get("Records") or []:
        asked = imports.asked_in(record)
        if asked is None:
            continue
        agenda_id, import_id = asked
        try:
            imports.run_import(agenda_id, import_id)
        except Exception:  # noqa: BLE001 - retried by the stream from this record on
            logger.exception("import run failed", extra={"agenda_id": agenda_id, "import_id": import_id})
            failed.append(str((record.get("dynamodb") or {}).get("SequenceNumber")))
            break  # later records wait for this one (the stream keeps their order)
    return {"batchItemFailures": [{"itemIdentifier": number} for number in failed]}


gc.freeze()  # STYLE.md 5.13
gc.enable()
