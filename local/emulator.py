"""Tuning of the embedded AWS emulation (moto) that keeps DynamoDB's answers and makes its cost
independent of a table's size. Used by `make dev`, the tests and the bench, which all run moto
in their own process.

moto (5.2) backs up a whole table, deep-copied, before every TransactWriteItems, once per item of
the transaction, so that it can put the copy back if the transaction is cancelled. A write then
costs time and garbage in proportion to everything stored: seeding a few hundred sessions took
minutes, a fuzzing module that keeps its world grew to 1.4 GB, and a transaction soon outlasted
the clients' 3 s read timeout. `undo_log_transactions` backs up only what a transaction can change:
the items it names (and the length of each table's stream). A cancelled transaction still leaves
every table exactly as it was (tests/integration/test_content_integrity.py checks it through the
API; tests/integration/test_emulator.py checks it directly).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any


@dataclass
class _Saved:
    """One item as it was before a transaction (None: absent), and where it goes back."""

    table: Any  # moto.dynamodb.models.table.Table
    hash_key: Any  # DynamoType
    range_key: Any  # DynamoType | None
    item: Any  # Item | None

    def restore(self) -> None:
        items = self.table.items
        if self.range_key is None:
            if self.item is None:
                items.pop(self.hash_key, None)
            else:
                items[self.hash_key] = self.item
        elif self.item is None:
            items.get(self.hash_key, {}).pop(self.range_key, None)
        else:
            items[self.hash_key][self.range_key] = self.item


def _saved_state(backend: Any, transact_items: list[dict[str, Any]]) -> tuple[list[_Saved], dict[int, Any]]:
    """Every item the transaction names, as it is now, and each table's stream length."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    saved: list[_Saved] = []
    streams: dict[int, Any] = {}
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        if table is None:
            continue  # moto refuses it before writing anything
        key = op.get("Item") if op_type == "Put" else op.get("Key")
        try:
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        except (KeyError, TypeError):
            continue  # a malformed key: moto refuses the whole transaction before writing
        item = table.get_item(hash_key, range_key)
        saved.append(_Saved(table, hash_key, range_key, copy.deepcopy(item)))
        shard = getattr(table, "stream_shard", None)
        if shard is not None:
            streams[id(table)] = (shard, len(shard.items))
    return saved, streams


_TRANSACTIONS = threading.Lock()


@contextmanager
def undo_log_transactions() -> Iterator[None]:
    """While active, moto's TransactWriteItems backs up the items it names instead of whole tables
    (process-wide; thread-safe as far as moto itself is)."""
    from moto.dynamodb import models

    in_transaction = threading.local()
    original_transact = models.DynamoDBBackend.transact_write_items
    original_copy = models.copy

    def deepcopy(thing: Any, memo: Any = None) -> Any:
        # moto's own backup: the table itself, so that its "restore" puts the same object back.
        if getattr(in_transaction, "active", False) and isinstance(thing, models.Table):
            return thing
        return copy.deepcopy(thing, memo)

    def transact(self: Any, transact_items: list[dict[str, Any]]) -> None:
        # One transaction at a time, as DynamoDB isolates them: a cancelled transaction puts back
        # the items as it saved them, which would undo another transaction committed in between.
        # make dev serves requests in threads with nothing else serialising them; the tests'
        # racing merge PATCHes (atomic_requests) lost one PATCH now and then, a suspected case.
        with _TRANSACTIONS:
            saved, streams = _saved_state(self, transact_items)
            in_transaction.active = True
            try:
                original_transact(self, transact_items)
            except BaseException:
                for entry in reversed(saved):
                    entry.restore()
                for shard, length in streams.values():
                    del shard.items[length:]  # a cancelled transaction leaves no stream record
                raise
            finally:
                in_transaction.active = False

    models.copy = SimpleNamespace(deepcopy=deepcopy)  # type: ignore[assignment]
    models.DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
    try:
        yield
    finally:
        models.copy = original_copy
        models.DynamoDBBackend.transact_write_items = original_transact  # type: ignore[method-assign]


@contextmanager
def direct_dynamodb_answers() -> Iterator[None]:
    """While active, moto writes DynamoDB's item answers (GetItem, Query, BatchGetItem, the
    writes' returned attributes..., and DynamoDB Streams' GetRecords) as JSON directly, the way moto did before 5.2, instead of
    walking each answer through its generic, shape-driven serializer: that walk was a third of
    the suite's time (every attribute of every item looked up against the operation's model).
    The JSON is the same DynamoDB JSON (binary values base64, times as epoch seconds);
    tests/integration/test_emulator.py compares the two ways answer for answer. Errors and
    non-item answers (DescribeTable...) still go through moto's serializer. Process-wide."""
    from moto.dynamodb import responses
    from moto.dynamodb.models.utilities import dynamo_json_dump
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    original = responses.DynamoHandler.serialized
    original_streams = DynamoDBStreamsHandler.serialized

    def serialized(self: Any, action_result: Any) -> Any:
        if type(action_result) is not responses.DynamoResult:
            return original(self, action_result)
        headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
        return 200, headers, dynamo_json_dump(action_result.result)

    def streams_serialized(self: Any, action_result: Any) -> Any:
        # GetRecords' records hold whole item images: the same walk, once per pump (local/streams.py).
        answer = action_result.result
        if self._get_action() != "GetRecords" or not isinstance(answer, dict):
            return original_streams(self, action_result)
        records = [_stream_record_json(record) for record in answer.get("Records") or []]
        headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
        return 200, headers, dynamo_json_dump({**answer, "Records": records})

    responses.DynamoHandler.serialized = serialized  # type: ignore[method-assign]
    DynamoDBStreamsHandler.serialized = streams_serialized  # type: ignore[method-assign]
    try:
        yield
    finally:
        responses.DynamoHandler.serialized = original  # type: ignore[method-assign]
        DynamoDBStreamsHandler.serialized = original_streams  # type: ignore[method-assign]


def _stream_record_json(record: dict[str, Any]) -> dict[str, Any]:
    """A moto stream record as GetRecords' JSON has it: the creation time in epoch seconds."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        aware = created if created.tzinfo else created.replace(tzinfo=UTC)  # moto's are naive UTC
        change["ApproximateCreationDateTime"] = int(aware.timestamp() * 1000) / 1000  # as moto's: ms
    return {**record, "dynamodb": change}
