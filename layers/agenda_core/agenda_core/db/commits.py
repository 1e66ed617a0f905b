"""The commit seam: every committed change of an agenda or its content goes through here.

One TransactWriteItems does three things together, or none of them:
1. the write itself (the caller adds its items to the transaction: a content item, slug claims,
   reference checks);
2. the agenda item moves from version ``base`` to ``base + 1``, conditioned on still being at
   ``base`` (plus whatever the caller's condition asks: the writer's role, the agenda's days);
3. the change is recorded at version ``base + 1`` in the agenda's change log
   (``CHANGES#<agenda>`` / ``V#<version>``, db/keys.py), conditioned on that slot being free.

Because the version is pinned, versions are gap-free and a change record exists exactly for
each committed version: version N is committed iff record N exists, and N + 1 cannot commit
before N. Readers of the log (the change feed, the public snapshot, webhook events) can thus
walk it by version and know that nothing is missing. A cancelled transaction records nothing.

Writers learn ``base`` from the agenda item they read, or from the head a warm container
remembers (services/agenda_partition.py): a stale one fails the version condition, and the
caller reads again and retries (a lost race is a retry, never a wrong or lost change).

Nothing else may write an agenda's ``version`` or a change record (tests/unit/test_project_rules.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from agenda_core.db import keys
from agenda_core.db.base import TableItem
from agenda_core.db.ids import iso, utcnow
from agenda_core.db.records import AgendaRecord, agenda_state
from agenda_core.db.transactions import Transaction, transaction
from agenda_core.settings import get_settings

UPSERTED, DELETED = "upserted", "deleted"


class ChangeRecord(TableItem, discriminator="change"):
    """``CHANGES#<agenda>`` / ``V#<version>``: what version ``version`` of the agenda changed."""

    agenda_id = UnicodeAttribute()
    version = NumberAttribute()
    kind = UnicodeAttribute()  # "agenda", "session", "speaker", "track", "venue", "category"
    item_id = UnicodeAttribute()
    action = UnicodeAttribute()  # UPSERTED or DELETED
    at = UnicodeAttribute()  # when it committed (RFC 3339, UTC, ms)
    # The webhook event this change is (API.md §7): "<kind>.created|updated|deleted",
    # "agenda.published", "agenda.unpublished"; "agenda.created" for version 1, which no endpoint
    # can hear (none can subscribe before the agenda exists). Only the writer knows which.
    event = UnicodeAttribute(null=True)
    # What the change left, in stored form (upserts only): a content item's attributes, or the
    # agenda's public ones (records.agenda_state). The feed and the events show the object as of
    # this version without reading it.
    state = MapAttribute[str, Any](null=True)


@dataclass(frozen=True)
class Change:
    kind: str
    item_id: str
    action: str = UPSERTED
    state: Mapping[str, Any] | None = None
    # "created", "updated" (the default for an upsert), "deleted" (for a deletion), "published",
    # "unpublished": the event is "<kind>.<what>".
    what: str = ""

    @property
    def event(self) -> str:
        return f"{self.kind}.{self.what or ('deleted' if self.action == DELETED else 'updated')}"


def _agenda_key(agenda_id: str) -> AgendaRecord:
    return AgendaRecord(keys.agenda_pk(agenda_id), keys.AGENDA_SK)


def _log(tx: Transaction, agenda_id: str, version: int, change: Change, at: str) -> None:
    retention = timedelta(days=get_settings().change_retention_days)
    record = ChangeRecord(
        keys.changes_pk(agenda_id),
        keys.change_sk(version),
        agenda_id=agenda_id,
        version=version,
        kind=change.kind,
        item_id=change.item_id,
        action=change.action,
        at=at,
        event=change.event,
        state=dict(change.state) if change.state is not None else None,
        ttl=int((utcnow() + retention).timestamp()),
    )
    tx.put("change", record, condition=TableItem.pk.does_not_exist())


@contextmanager
def commit(
    agenda_id: str,
    base: int,
    change: Change,
    *,
    actions: Sequence[Action] = (),
    condition: Condition | None = None,
) -> Iterator[Transaction]:
    """A change under an existing agenda: yields the transaction for the caller's own items, then
    adds the agenda's move to ``base + 1`` (with ``actions`` and ``condition``) and the change
    record, and commits. Raises ``TransactionFailed`` ("agenda" when the agenda is not at
    ``base`` or ``condition`` fails; "change" cannot fail unless ``base`` was wrong)."""
    with commit_changes(agenda_id, base, [change], actions=actions, condition=condition) as tx:
        yield tx


@contextmanager
def commit_changes(
    agenda_id: str,
    base: int,
    changes: Sequence[Change],
    *,
    actions: Sequence[Action] = (),
    condition: Condition | None = None,
) -> Iterator[Transaction]:
    """Several changes in one transaction (an import's batch): versions ``base + 1`` to
    ``base + len(changes)``, one change record each, in the order given; the agenda moves to the
    last. The same guarantees as ``commit``: all of them or none, gap-free."""
    assert changes, "a commit records at least one change"
    at = iso(utcnow())
    pinned = TableItem.pk.exists() & (AgendaRecord.version == base)
    top = base + len(changes)
    with transaction() as tx:
        yield tx
        tx.change(
            "agenda",
            _agenda_key(agenda_id),
            actions=[AgendaRecord.version.set(top), AgendaRecord.changed_at.set(at), *actions],
            condition=pinned & condition if condition is not None else pinned,
        )
        for offset, change in enumerate(changes, start=1):
            _log(tx, agenda_id, base + offset, change, at)


@contextmanager
def commit_new_agenda(record: AgendaRecord) -> Iterator[Transaction]:
    """A new agenda: the caller puts it (with its slug claim and owner) in the yielded
    transaction; it starts at version 1, recorded as the agenda's first change."""
    record.version = 1
    record.changed_at = record.created_at
    with transaction() as tx:
        yield tx
        tx.put("agenda", record, condition=TableItem.pk.does_not_exist())
        first = Change("agenda", record.id, state=agenda_state(record), what="created")
        _log(tx, record.id, 1, first, record.created_at)


@contextmanager
def commit_agenda_deletion(agenda_id: str, base: int, condition: Condition) -> Iterator[Transaction]:
    """Deletes the agenda item (if at ``base`` and ``condition`` holds) and records the deletion
    at ``base + 1``; the rest of its partition is swept afterwards by the caller."""
    with transaction() as tx:
        yield tx
        pinned = TableItem.pk.exists() & (AgendaRecord.version == base) & condition
        tx.remove("agenda", _agenda_key(agenda_id), condition=pinned)
        _log(tx, agenda_id, base + 1, Change("agenda", agenda_id, DELETED), iso(utcnow()))


def applied(record: AgendaRecord, base: int, to_set: Mapping[str, Any], to_clear: Sequence[str]) -> None:
    """What a committed agenda change did to ``record`` (read at ``base``), applied in memory, so
    that the write's answer needs no read: the transaction held only if the agenda was at ``base``."""
    for name, value in to_set.items():
        setattr(record, name, value)
    for name in to_clear:
        setattr(record, name, None)
    record.version = base + 1
