"""Upload events (API.md §6): S3's Object Created events of the upload bucket (through
EventBridge) are checked (services/upload_processor.py); from the table's stream, an agenda or a
speaker that stopped showing an image releases it (services/upload_references.py), and the
REMOVE of an expired upload deletes its files.

An EventBridge event is one object; a failure raises, and Lambda retries the asynchronous
invocation. A stream batch reports the records it could not handle (ReportBatchItemFailures).
"""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports (see functions/agendas/app.py).
gc.disable()

from typing import Any

from agenda_core.observability import logger
from agenda_core.services import upload_processor, upload_references


def _stream(records: list[dict[str, Any]]) -> dict[str, Any]:
    failed = []
    for record in records:
        change = record.get("dynamodb") or {}
        old = change.get("OldImage") or {}
        try:
            if str((change.get("Keys") or {}).get("pk", {}).get("S", "")).startswith("UPLOAD#"):
                if record.get("eventName") == "REMOVE" and "id" in old and "purpose" in old:
                    upload_processor.on_upload_removed(old["id"]["S"], old["purpose"]["S"])
                continue
            for upload_id, field, item_id in upload_references.released(record):
                upload_references.release(upload_id, field, item_id, change["Keys"])
        except Exception:  # noqa: BLE001 - retried by the stream from this record on
            logger.exception("removing an expired upload's files failed")
            failed.append({"itemIdentifier": change.get("SequenceNumber")})
            break
    return {"batchItemFailures": failed}


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" in event:
        return _stream(event["Records"])
    key = str(((event.get("detail") or {}).get("object") or {}).get("key") or "")
    return {"outcome": upload_processor.on_object_created(key)}


gc.freeze()  # STYLE.md 5.13
gc.enable()
