"""Building public snapshots (services/snapshots.py serves them): the stream's side.

``rebuild`` makes an agenda's snapshot what its current state says, from one consistent Query:
the public full body (the anonymous view: no speaker ``email``, no ``conflicts``), gzip level 9,
with the metadata a read needs, or no snapshot when the agenda is unpublished or gone.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Mapping
from typing import Any

from agenda_core.db.raw import decode_item
from agenda_core.errors import NotFound
from agenda_core.integrations import snapshot_store
from agenda_core.integrations.snapshot_store import StoredSnapshot
from agenda_core.observability import logger
from agenda_core.schemas.auth import ANONYMOUS
from agenda_core.services.agenda_partition import agenda_etag, load_partition
from agenda_core.services.full_agenda import full_body
from agenda_core.settings import get_settings


def needs_rebuild(new_images: Iterable[Mapping[str, Any]]) -> bool:
    """Whether an agenda's change records (stream images) can change its snapshot: all but the
    creation of an unpublished agenda, which has no snapshot and needs none (its Query saved)."""
    changes = [decode_item(dict(image)) for image in new_images]
    return not changes or not all(
        change.get("event") == "agenda.created" and not (change.get("state") or {}).get("published")
        for change in changes
    )


def rebuild(agenda_id: str) -> str:
    """Makes the agenda's snapshot what its current state says: built, or removed when the agenda
    is unpublished or gone. Returns what it did ("built", "removed"). Raises ``ServiceUnavailable``
    (the stream retries the batch)."""
    base_url = get_settings().snapshot_base_url
    try:
        record, items = load_partition(agenda_id, consistent=True)
    except NotFound:
        record = None
    if record is None or not record.published:
        snapshot_store.delete(agenda_id)
        return "removed"
    body = full_body(record, items, member=False, base_url=base_url)
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    snapshot_store.put(
        agenda_id,
        StoredSnapshot(
            gzip=gzip.compress(text.encode(), compresslevel=9, mtime=0),
            etag=agenda_etag(record, ANONYMOUS, "full", base_url),
            version=int(record.version),
            slug=record.slug,
            base_url=base_url,
            changes_cursor=body["changes_cursor"],
        ),
    )
    logger.info("snapshot built", extra={"agenda_id": agenda_id, "version": int(record.version)})
    return "built"
