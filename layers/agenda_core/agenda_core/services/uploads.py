"""Uploads (API.md §6): a signed-in user asks to upload a file for a purpose and gets a presigned
POST; the file goes straight to the upload bucket and is checked there after (the upload
processor, services/upload_processor.py). Only the uploader reads an upload.

A create is one conditional PutItem (plus the idempotency record at the edge); a read is one
GetItem. Nothing here touches the file.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agenda_core.db import create_claims
from agenda_core.db.base import TableItem, get_or_none
from agenda_core.db.ids import iso, new_id, utcnow
from agenda_core.db.transactions import TransactionFailed, save_new, storage_errors, transaction
from agenda_core.db.upload_records import (
    UNREFERENCED_SECONDS,
    UPLOAD_SK,
    UploadRecord,
    incoming_key,
    stored_key,
    upload_pk,
)
from agenda_core.errors import FieldError, NotFound, ValidationFailed
from agenda_core.integrations import upload_storage
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.uploads import MAX_BYTES, TYPES_FOR, UploadCreate, UploadCreated, UploadPublic
from agenda_core.services.links import media_url

_NOT_FOUND = "No upload of yours has this id."


def _check(data: UploadCreate) -> None:
    problems = []
    if data.content_type not in TYPES_FOR[data.purpose]:
        taken = ", ".join(TYPES_FOR[data.purpose])
        problems.append(
            FieldError("/content_type", "unsupported_type", f"A {data.purpose} upload is one of {taken}.")
        )
    if data.content_length > MAX_BYTES[data.purpose]:
        limit = MAX_BYTES[data.purpose] // (1024 * 1024)
        problems.append(
            FieldError("/content_length", "too_large", f"A {data.purpose} upload is at most {limit} MiB.")
        )
    if problems:
        raise ValidationFailed(problems)


def public(record: UploadRecord, base_url: str) -> dict[str, Any]:
    ready_image = record.status == "ready" and record.purpose != "schedule_import"
    return {
        "id": record.id,
        "purpose": record.purpose,
        "content_type": record.content_type,
        "content_length": int(record.content_length),
        "status": record.status,
        "url": media_url(base_url, record.id) if ready_image else None,
        "width": int(record.width) if record.width is not None else None,
        "height": int(record.height) if record.height is not None else None,
        "reason": record.reason,
        "detail": record.detail,
        "expires_at": record.expires_at,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def create_upload(caller: Caller, data: UploadCreate, base_url: str) -> UploadCreated:
    """Raises ``ValidationFailed`` (a type or size the purpose does not take)."""
    assert caller.user_id is not None
    _check(data)
    now = utcnow()
    upload_id = new_id("upload", now)
    record = UploadRecord(
        upload_pk(upload_id),
        UPLOAD_SK,
        id=upload_id,
        owner_id=caller.user_id,
        purpose=data.purpose,
        content_type=data.content_type,
        content_length=data.content_length,
        status="pending",
        expires_at=iso(now + timedelta(seconds=upload_storage.EXPIRES_SECONDS)),
        created_at=iso(now),
        updated_at=iso(now),
        ttl=int(now.timestamp()) + UNREFERENCED_SECONDS,
    )
    post = upload_storage.presigned_post(incoming_key(upload_id), data.content_type, data.content_length)
    if not create_claims.keyed():
        save_new(record)
        return UploadCreated(**public(record, base_url), upload={"method": "POST", **post})
    try:
        with transaction() as tx:  # the upload and its key's claim (db/create_claims.py)
            tx.put("upload", record, condition=TableItem.pk.does_not_exist())
            create_claims.add(tx, upload_id)
    except TransactionFailed as failure:
        made = create_claims.claimed(failure)
        if made is None:
            raise
        return _made_before(made, base_url)  # an earlier attempt of this keyed create committed
    return UploadCreated(**public(record, base_url), upload={"method": "POST", **post})


def _made_before(upload_id: str, base_url: str) -> UploadCreated:
    """The upload an earlier attempt made, with a presigned POST for it as its create answered."""
    with storage_errors():
        record = get_or_none(UploadRecord, upload_pk(upload_id), UPLOAD_SK, consistent=True)
    if record is None:
        raise NotFound("The upload this Idempotency-Key created is gone.")
    post = upload_storage.presigned_post(
        incoming_key(upload_id), record.content_type, int(record.content_length)
    )
    return UploadCreated(**public(record, base_url), upload={"method": "POST", **post})


def read_upload(caller: Caller, upload_id: str, base_url: str) -> UploadPublic:
    """The caller's own upload. Raises ``NotFound`` (absent, expired or someone else's)."""
    if not upload_id.startswith("upl_") or caller.user_id is None:
        raise NotFound(_NOT_FOUND)
    with storage_errors():
        record = get_or_none(UploadRecord, upload_pk(upload_id), UPLOAD_SK, consistent=True)
    if record is None or record.owner_id != caller.user_id or record.expired(int(utcnow().timestamp())):
        raise NotFound(_NOT_FOUND)
    return UploadPublic(**public(record, base_url))


def media_link(upload_id: str) -> str:
    """A short-lived link to a ready image's bytes (``GET /v1/media/{id}`` redirects to it).
    Raises ``NotFound`` for anything but a ready image."""
    if not upload_id.startswith("upl_"):
        raise NotFound("No image has this id.")
    with storage_errors():
        record = get_or_none(UploadRecord, upload_pk(upload_id), UPLOAD_SK)
    if (
        record is None
        or record.status != "ready"
        or record.purpose == "schedule_import"
        or record.expired(int(utcnow().timestamp()))
    ):
        raise NotFound("No image has this id.")
    return upload_storage.presigned_get(stored_key(upload_id, record.purpose))
