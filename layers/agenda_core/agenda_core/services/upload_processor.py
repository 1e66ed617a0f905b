"""Checks an uploaded file after it is stored (API.md §6), and cleans up after expired uploads.

A new object under ``incoming/`` (S3's Object Created event, functions/upload_events) is checked
against what its upload declared: its stored size and type, then its content
(services/upload_content.py: the real image type, completeness and dimensions from the first and
last bytes, or a schedule file that parses). A file that passes is copied where it is kept
(``v1/media/<id>`` for images, ``imports/<id>`` for schedule files) and the upload becomes
``ready``; one that fails becomes ``rejected`` with its reason. Either way the incoming object is
deleted. The decision is a conditional write on a ``pending`` upload, so a notification that
comes twice decides nothing twice; an object nobody asked for (or whose upload expired) is
deleted.

When DynamoDB's TTL removes an upload (a day after it was made, unless something references it),
its stream REMOVE deletes the upload's objects.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PynamoDBException

from agenda_core.db.base import get_or_none
from agenda_core.db.ids import iso, utcnow
from agenda_core.db.transactions import is_condition_failure, storage_errors
from agenda_core.db.upload_records import (
    INCOMING_PREFIX,
    UPLOAD_SK,
    UploadRecord,
    incoming_key,
    stored_key,
    upload_pk,
)
from agenda_core.integrations import upload_storage
from agenda_core.observability import logger
from agenda_core.schemas.uploads import MAX_BYTES
from agenda_core.services.upload_content import (
    HEAD_BYTES,
    TAIL_BYTES,
    Verdict,
    check_image,
    check_schedule,
)


def _verdict(record: UploadRecord, key: str, stored: dict[str, Any]) -> Verdict:
    size = int(stored.get("ContentLength") or 0)
    declared_type = str(record.content_type)
    if size > MAX_BYTES[record.purpose]:
        return Verdict(
            "too_large", f"The file has {size} bytes; at most {MAX_BYTES[record.purpose]} are taken."
        )
    if size != int(record.content_length):
        return Verdict(
            "size_mismatch", f"The file has {size} bytes, not the {int(record.content_length)} declared."
        )
    if str(stored.get("ContentType") or "") != declared_type:
        return Verdict("not_the_declared_type", f"The file was not stored as {declared_type}.")
    if record.purpose == "schedule_import":
        return check_schedule(declared_type, upload_storage.read(key))
    head = upload_storage.read(key, f"bytes=0-{HEAD_BYTES - 1}")
    tail = upload_storage.read(key, f"bytes=-{TAIL_BYTES}") if size > len(head) else head[-TAIL_BYTES:]
    return check_image(declared_type, head, tail, size)


def _decide(record: UploadRecord, verdict: Verdict, size: int) -> bool:
    """Marks the pending upload ready or rejected. False: it was decided already."""
    now = iso(utcnow())
    actions: list[Any] = [
        UploadRecord.status.set("ready" if verdict.accepted else "rejected"),
        UploadRecord.size.set(size),
        UploadRecord.updated_at.set(now),
    ]
    if verdict.width is not None and verdict.height is not None:
        actions += [UploadRecord.width.set(verdict.width), UploadRecord.height.set(verdict.height)]
    if not verdict.accepted:
        actions += [UploadRecord.reason.set(str(verdict.reason)), UploadRecord.detail.set(verdict.detail)]
    try:
        with storage_errors():
            record.update(actions=actions, condition=UploadRecord.status == "pending")
    except PynamoDBException as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def on_object_created(key: str) -> str:
    """Checks the object at ``key``. Returns what became of it (for the logs and the tests):
    "ready", "rejected", "ignored" (not an upload's), "deleted" (nobody's) or "duplicate".
    Raises on storage trouble (the event is then delivered again)."""
    if not key.startswith(INCOMING_PREFIX):
        return "ignored"
    upload_id = key.removeprefix(INCOMING_PREFIX)
    with storage_errors():
        record = get_or_none(UploadRecord, upload_pk(upload_id), UPLOAD_SK, consistent=True)
    if record is None or record.expired(int(utcnow().timestamp())):
        upload_storage.delete(key)
        return "deleted"
    if record.status != "pending":
        # Decided by an earlier delivery, which may have failed before it deleted the incoming
        # object (tests/faults/test_consumers.py: then nothing ever did): delete it now.
        upload_storage.delete(key)
        return "duplicate"
    stored = upload_storage.head(key)
    if stored is None:
        return "duplicate"  # decided and deleted by an earlier delivery of this event
    verdict = _verdict(record, key, stored)
    if verdict.accepted:
        upload_storage.copy(key, stored_key(upload_id, record.purpose), str(record.content_type))
    decided = _decide(record, verdict, int(stored.get("ContentLength") or 0))
    upload_storage.delete(key)
    outcome = ("ready" if verdict.accepted else "rejected") if decided else "duplicate"
    logger.info(
        "upload checked", extra={"upload_id": upload_id, "outcome": outcome, "reason": verdict.reason}
    )
    return outcome


def on_upload_removed(upload_id: str, purpose: str) -> None:
    """The upload is gone (DynamoDB's TTL): so are its objects."""
    upload_storage.delete(incoming_key(upload_id), stored_key(upload_id, purpose))
