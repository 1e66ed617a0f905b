"""The tables as the test sees them, not as the product reads them: a Scan of every item of every
table of template.yaml (the main table and the idempotency table), what changed between two
scans, and putting a scan back.

A *delta* compares what a request did with what the same request did without a fault. Fresh
ids, times, secrets and hashes differ from run to run, so items are compared in a normalised
form (``shape``): those values become placeholders, everything else (item kinds, versions,
names, statuses, counts) stays as it is. The same write in both runs has the same shape; a lost
write or a second effect does not.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.conftest import TEMPLATE, boto3_session

Key = tuple[str, str]  # (table, the item's key as sorted JSON)
Dump = dict[Key, dict[str, Any]]  # every item, in DynamoDB JSON

# Values that differ between two runs of the same request.
_VOLATILE = [
    (re.compile(r"[0-9A-HJKMNP-TV-Z]{26}"), "<ulid>"),  # every id (and the ids inside keys)
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"), "<time>"),
    (re.compile(r"\$argon2[^\"]+"), "<hash>"),
    (re.compile(r"[A-Za-z0-9+/_-]{24,}={0,2}"), "<random>"),  # secrets, token hashes, signatures
    # A content item's revision is random below 2**52 (db/content_records.py): 1 in ~4 500 has
    # fewer than 13 digits, which the <number> rule missed (a faults matrix failed now and then).
    # It is stored as such, and is an item's ETag's version ("<revision>.<12 hex>", etags.py).
    (re.compile(r'"revision": \{"N": "\d+"\}'), '"revision": {"N": "<number>"}'),
    (re.compile(r"\b\d{4,12}(?=\.[0-9a-f]{12}\b)"), "<number>"),
    (re.compile(r"\b1\d{9}(\.\d+)?\b"), "<epoch>"),  # epoch seconds (ttl, expiries, windows)
    (re.compile(r"\b\d{13,}\b"), "<number>"),  # epoch milliseconds, random revisions
    (re.compile(r"-[0-9a-z]{5}(?=\\*\")"), "-<suffix>"),  # a taken slug's random suffix (services/slugs.py)
]


@dataclass(frozen=True)
class Tables:
    """The template's tables in the emulated account: name -> key attribute names, and the
    test's own client (not the product's)."""

    keys: dict[str, tuple[str, ...]]
    client: Any

    @classmethod
    def of_template(cls) -> Tables:
        from local.template import table_specs

        keys = {
            spec.logical_id: tuple(key["AttributeName"] for key in spec.create_kwargs["KeySchema"])
            for spec in table_specs(str(TEMPLATE))
        }
        return cls(keys, boto3_session().client("dynamodb"))

    def dump(self) -> Dump:
        """Every item of every table (a consistent Scan, all pages)."""
        client = self.client
        found: Dump = {}
        for table, keys in self.keys.items():
            for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
                for item in page["Items"]:
                    found[(table, json.dumps({k: item[k] for k in keys}, sort_keys=True))] = item
        return found

    def restore(self, before: Dump, now: Dump) -> None:
        """Put the tables back as ``before`` was, ``now`` being how they are: only what differs."""
        client = self.client
        for key in now:
            if key not in before:
                client.delete_item(TableName=key[0], Key=json.loads(key[1]))
        for key, item in before.items():
            if now.get(key) != item:
                client.put_item(TableName=key[0], Item=item)


@dataclass(frozen=True)
class Delta:
    """What changed between two dumps, as normalised item shapes (a multiset)."""

    added: Counter[str]
    removed: Counter[str]
    changed: Counter[str]

    @classmethod
    def between(cls, before: Dump, after: Dump) -> Delta:
        """Each item as "<table> <shape>"."""
        added = Counter(f"{k[0]} {shape(after[k])}" for k in after.keys() - before.keys())
        removed = Counter(f"{k[0]} {shape(before[k])}" for k in before.keys() - after.keys())
        changed = Counter(
            f"{k[0]} {shape(after[k])}" for k in after.keys() & before.keys() if after[k] != before[k]
        )
        return cls(added, removed, changed)

    def without(self, ignored: Callable[[str], bool]) -> Delta:
        """This delta less the items ``ignored`` picks."""

        def kept(shapes: Counter[str]) -> Counter[str]:
            return Counter({item: n for item, n in shapes.items() if not ignored(item)})

        return Delta(kept(self.added), kept(self.removed), kept(self.changed))

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def describe(self) -> str:
        parts = []
        for label, shapes in (("added", self.added), ("removed", self.removed), ("changed", self.changed)):
            for item, count in sorted(shapes.items()):
                parts.append(f"{label} {count}x {_short(item)}")
        return "; ".join(parts) or "nothing"

    def missing_from(self, other: Delta) -> Delta:
        """What ``other`` did that this one did not (a lost write, when other is the clean run)."""
        return Delta(other.added - self.added, other.removed - self.removed, other.changed - self.changed)


def _sets_sorted(value: Any) -> Any:
    """DynamoDB sets (SS, NS, BS) in one order: a set's order in an answer is arbitrary (and in
    moto follows Python's per-process string hashing, which differs between xdist workers)."""
    if isinstance(value, dict):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else _sets_sorted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sets_sorted(v) for v in value]
    return value


def shape(item: dict[str, Any]) -> str:
    """An item with the values that differ from run to run replaced by placeholders."""
    text = json.dumps(_sets_sorted(item), sort_keys=True)
    for pattern, placeholder in _VOLATILE:
        text = pattern.sub(placeholder, text)
    return text


def _short(table_and_shape: str) -> str:
    table, _, item_shape = table_and_shape.partition(" ")
    item = json.loads(item_shape)
    key = "/".join(str(next(iter(item[k].values()))) for k in ("pk", "sk", "id") if k in item)
    kind = item.get("type", {}).get("S")
    return f"{table}: {kind or 'item'} {key}"
