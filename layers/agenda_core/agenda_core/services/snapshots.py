"""Public snapshots (API.md §5): the anonymous full read of a published agenda, computed when the
agenda changes (services/snapshot_builder.py) and served as stored (here).

Built from the table's stream (functions/snapshots): every committed change writes a change
record (db/commits.py), whose INSERT reaches the snapshot function, which rebuilds the snapshot of
each agenda in its batch from one consistent Query: the public full body, gzip-compressed, in the
snapshot store (integrations/snapshot_store.py), or no snapshot at all when the agenda is
unpublished or gone. Why the stream and not the write's own flow: every committed change reaches
it (at least once, in commit order per agenda, retried on failure), writes stay one transaction
with no added requests or latency, and a burst of writes (an import) costs one rebuild per batch
instead of one per write. docs/design.md "Public snapshots" has the figures.

An anonymous read then costs one GetObject and no DynamoDB request: gzip bytes as stored when the
client accepts gzip, decompressed otherwise, never re-serialised. A warm container also keeps the
last snapshot it served of each agenda (bounded), and serves it when the store and DynamoDB fail:
with the CDN's ``stale-if-error``, apps keep reading through an outage.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from agenda_core.errors import ServiceUnavailable
from agenda_core.integrations import snapshot_store
from agenda_core.integrations.snapshot_store import StoredSnapshot
from agenda_core.observability import logger

# What a warm container keeps of the snapshots it served, for outages (bytes, all agendas).
_HELD_BYTES_MAX = 32 * 1024 * 1024
_held: dict[str, StoredSnapshot] = {}


@dataclass(frozen=True)
class PublicRead:
    """The anonymous full read as stored: gzip bytes and what the response says about them."""

    gzip: bytes
    etag: str
    changes_cursor: str

    def text(self) -> str:
        return gzip.decompress(self.gzip).decode()


# --- reading (the anonymous full read) ----------------------------------------------------------


def _hold(agenda_id: str, snapshot: StoredSnapshot) -> None:
    if sum(len(s.gzip) for s in _held.values()) + len(snapshot.gzip) > _HELD_BYTES_MAX:
        _held.clear()
    _held[agenda_id] = snapshot


def forget_held() -> None:
    _held.clear()


def public_read(id_or_slug: str, base_url: str) -> PublicRead | None:
    """The agenda's snapshot if it answers this read (built for this base URL, under this slug),
    else None: the caller renders from the table instead (unpublished, not built yet, another
    host). Raises ``ServiceUnavailable`` when neither the store nor a held copy can answer."""
    try:
        agenda_id = _agenda_id_of(id_or_slug)
        if agenda_id is None:
            return None
        snapshot = snapshot_store.get(agenda_id)
    except ServiceUnavailable:
        held = next((s for key, s in _held.items() if id_or_slug in (key, s.slug)), None)
        if held is None or held.base_url != base_url:
            raise
        logger.warning("serving a held snapshot: the store or the table is unavailable")
        snapshot = held
        agenda_id = None
    if snapshot is None or snapshot.base_url != base_url:
        return None
    if agenda_id is not None:
        if id_or_slug != agenda_id and snapshot.slug != id_or_slug:
            return None  # renamed since this container learnt the slug: the table says where it went
        _hold(agenda_id, snapshot)
    return PublicRead(gzip=snapshot.gzip, etag=snapshot.etag, changes_cursor=snapshot.changes_cursor)


def _agenda_id_of(id_or_slug: str) -> str | None:
    """An id as it is; a slug through the table (imported here: a read by id, the apps' usual
    read, then never loads the table's modules, a cold start's largest import after Powertools)."""
    if id_or_slug.startswith("agd_"):
        return id_or_slug
    from agenda_core.services.agenda_partition import agenda_id_of

    return agenda_id_of(id_or_slug)
