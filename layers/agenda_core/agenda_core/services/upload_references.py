"""Images referenced by what shows them (API.md §6): an agenda's ``icon``, a speaker's ``photo``.

Referencing happens in the referencing write's own transaction: one more item, an update of the
upload that holds only for the caller's own ``ready`` upload of the matching purpose that has not
expired (or one this very item references already: another editor may send the photo back
unchanged). It records the referrer (``agd_…#icon``, ``spk_…#photo``) and removes the upload's
TTL, so a referenced upload is never deleted. A failure is the 422 ``unknown_upload``.

Releasing happens off the request path, from the table's stream (functions/upload_events): when
an item that referenced an upload stops doing so (the field changed or cleared, the item
deleted), the referrer is removed from the upload in a transaction that checks the item does not
reference it again by now, and an upload left with no referrer gets its one-day TTL back.
Both steps are idempotent, so a stream record delivered twice changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.operand import Path

from agenda_core.db.base import TableItem
from agenda_core.db.ids import utcnow
from agenda_core.db.transactions import (
    Transaction,
    TransactionFailed,
    is_condition_failure,
    storage_errors,
    transaction,
)
from agenda_core.db.upload_records import UNREFERENCED_SECONDS, UPLOAD_SK, UploadRecord, upload_pk
from agenda_core.errors import FieldError, ValidationFailed
from agenda_core.schemas.auth import Caller

# field -> the upload purpose it takes
PURPOSES = {"icon": "agenda_icon", "photo": "speaker_photo"}


def referrer(item_id: str, field: str) -> str:
    return f"{item_id}#{field}"


def reference(tx: Transaction, caller: Caller, field: str, upload_id: str, item_id: str) -> None:
    """Adds the reference to ``tx`` (its name is the field's pointer, ``/icon`` or ``/photo``)."""
    name = referrer(item_id, field)
    now = int(utcnow().timestamp())
    usable = (
        (UploadRecord.owner_id == caller.user_id)
        & (UploadRecord.status == "ready")
        & (UploadRecord.ttl.does_not_exist() | (UploadRecord.ttl > now))
    ) | UploadRecord.referrers.contains(name)
    tx.change(
        f"/{field}",
        UploadRecord(upload_pk(upload_id), UPLOAD_SK),
        actions=[UploadRecord.referrers.add({name}), UploadRecord.ttl.remove()],
        condition=TableItem.pk.exists() & (UploadRecord.purpose == PURPOSES[field]) & usable,
    )


def reference_shown(tx: Transaction, caller: Caller, item: Any) -> None:
    """References every image the item being written shows (a speaker's photo)."""
    for field in PURPOSES:
        value = getattr(item, field, None)
        if value:
            reference(tx, caller, field, str(value), str(item.id))


def refused(failure: TransactionFailed) -> ValidationFailed | None:
    """The 422 for a reference that did not hold, or None when none failed."""
    failed = sorted(name for name in failure.failed if name.lstrip("/") in PURPOSES)
    if not failed:
        return None
    return ValidationFailed(
        [
            FieldError(
                pointer,
                "unknown_upload",
                f"No ready upload of yours has this id (purpose {PURPOSES[pointer.lstrip('/')]}).",
            )
            for pointer in failed
        ]
    )


def _value(image: Mapping[str, Any] | None, field: str) -> str | None:
    attribute = (image or {}).get(field) or {}
    return str(attribute["S"]) if "S" in attribute else None


def released(record: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(upload id, field, the referring item's id) for each image a stream record (MODIFY or
    REMOVE of an agenda or a speaker) shows released."""
    change = record.get("dynamodb") or {}
    old, new = change.get("OldImage"), change.get("NewImage")
    found = []
    for field in PURPOSES:
        before = _value(old, field)
        if before and (record.get("eventName") == "REMOVE" or _value(new, field) != before):
            item_id = _value(old, "id")
            if item_id:
                found.append((before, field, item_id))
    return found


def release(upload_id: str, field: str, item_id: str, holder: Mapping[str, Any]) -> None:
    """Removes the referrer unless the holder (the item's key, ``{"pk": {"S": ...}, "sk": ...}``)
    references the upload again by now; then gives an upload left unreferenced its TTL back."""
    upload = UploadRecord(upload_pk(upload_id), UPLOAD_SK)
    field_attribute = Path(field)
    try:
        with transaction() as tx:
            tx.change(
                "upload",
                upload,
                actions=[UploadRecord.referrers.delete({referrer(item_id, field)})],
                condition=TableItem.pk.exists(),
            )
            tx.check(
                "holder",
                TableItem,
                str(holder["pk"]["S"]),
                str(holder["sk"]["S"]),
                condition=TableItem.pk.does_not_exist()
                | field_attribute.does_not_exist()
                | (field_attribute != upload_id),
            )
    except TransactionFailed:
        return  # the upload is gone, or the item references it again: nothing to release
    try:
        with storage_errors():
            upload.update(
                actions=[UploadRecord.ttl.set(int(utcnow().timestamp()) + UNREFERENCED_SECONDS)],
                condition=TableItem.pk.exists() & UploadRecord.referrers.does_not_exist(),
            )
    except PynamoDBException as error:
        if not is_condition_failure(error):
            raise
