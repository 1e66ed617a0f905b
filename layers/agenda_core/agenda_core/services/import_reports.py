"""An import's report, true across its runs (API.md §8).

A run whose finishing write fails (the table throttled on every attempt) raises, and the stream
hands the import over again: the next run finds everything written and, by its own view alone,
would report it all ``unchanged``. So every sync transaction also ADDs its batch's counts to the
import item's ``applied`` map, in the same transaction as the writes (they commit together or
not at all), and the report is built from those counts:

- ``created``, ``updated``, ``deleted``: what the import's runs applied, together (``applied``);
- ``unchanged``: what this run found of the schedule (its created + updated + unchanged) less
  what the import's runs created or updated;
- ``refused`` and ``fixes``: this run's (every run reads the whole schedule).

A first run that nothing interrupts reports exactly what it did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from agenda_core.db.base import get_or_none
from agenda_core.db.import_records import ImportRecord, import_sk, imports_pk
from agenda_core.db.transactions import Transaction, storage_errors
from agenda_core.services.schedule_source import Fixes
from agenda_core.services.schedule_sync import ORDER, SyncReport, Tally

WRITTEN = ("created", "updated", "deleted")


def _name(action: str, plural: str) -> str:
    return f"{action}_{plural}"


# The claim sets it if absent (imports asked for before the map existed, too): DynamoDB ADDs
# into a map's element only when the map exists.
ZERO: dict[str, int] = {_name(action, kind.plural): 0 for action in WRITTEN for kind in ORDER}


def tally_into(agenda_id: str, import_id: str) -> Tally:
    """What ``sync`` calls in each of its transactions: the batch's counts ADDed to the import
    item (one more item in the transaction)."""
    key = ImportRecord(imports_pk(agenda_id), import_sk(import_id))

    def tally(tx: Transaction, counts: Counter[tuple[str, str]]) -> None:
        actions: list[Any] = [
            ImportRecord.applied[_name(action, plural)].add(number)
            for (action, plural), number in sorted(counts.items())
            if number
        ]
        tx.change("import", key, actions=actions)

    return tally


def stored(applied: Any) -> dict[str, int]:
    """The ``applied`` map as read (None before the first claim)."""
    found = applied.as_dict() if hasattr(applied, "as_dict") else dict(applied or {})
    return {name: int(found.get(name) or 0) for name in ZERO}


def read_applied(record: ImportRecord) -> dict[str, int]:
    """The ``applied`` map as stored now (one consistent GetItem). Raises ``ServiceUnavailable``."""
    with storage_errors():
        held = get_or_none(ImportRecord, record.pk, record.sk, consistent=True)
    return stored(held.applied if held is not None else None)


def with_run(applied: Mapping[str, int], run: SyncReport) -> dict[str, int]:
    """``applied`` as read at the claim plus what this run committed (each of its transactions
    that answered)."""
    return {
        _name(action, kind.plural): applied[_name(action, kind.plural)] + run.counts[action][kind.plural]
        for action in WRITTEN
        for kind in ORDER
    }


def final_report(applied: Mapping[str, int], run: SyncReport, fixes: Fixes) -> dict[str, Any]:
    """The report the import item keeps (SyncReport.as_dict's shape)."""
    counts = {action: dict(by_kind) for action, by_kind in run.counts.items()}
    for kind in ORDER:
        plural = kind.plural
        for action in WRITTEN:
            counts[action][plural] = applied[_name(action, plural)]
        seen = sum(run.counts[action][plural] for action in ("created", "updated", "unchanged"))
        # Never below 0: an item updated by two runs (someone edited it in between) counts twice.
        counts["unchanged"][plural] = max(0, seen - counts["created"][plural] - counts["updated"][plural])
    return {**counts, "fixes": fixes.lines()}
