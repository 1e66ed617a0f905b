"""DynamoDB Streams -> Lambda, locally: the template's `Type: DynamoDB` events, delivered.

What AWS's event source mapping does, read off the template (local/template.py
`stream_subscriptions`): read the table's stream through the DynamoDB Streams API, keep the records
each subscription's FilterCriteria lets through, hand them to the function in batches of its
BatchSize, in stream order, and, when the function reports failed items (ReportBatchItemFailures)
or raises, deliver again from the first failed record at the next pump. Nothing about the product
changes: the function gets the event Lambda would give it.

`StreamPump.pump()` delivers whatever is new. The dev server runs it in a background thread every
`interval` seconds; the in-process gateway of the tests runs it after every request that may
write (`GatewayApp(streams="after_writes")`), so a test sees a write's stream effects before its
next request, without sleeping.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.template import Template, _as_template, functions

log = logging.getLogger("local.streams")

Invoke = Callable[[str, dict[str, Any]], Any]

# Set while a pump talks to AWS: tests that count a request's AWS calls leave these out.
_pumping = threading.local()


def pumping() -> bool:
    return bool(getattr(_pumping, "active", False))


@contextmanager
def marking() -> Iterator[None]:
    """While active, AWS calls on this thread are a pump's, not a request's (tests/conftest.py aws_calls)."""
    _pumping.active = True
    try:
        yield
    finally:
        _pumping.active = False


def matches(pattern: Any, value: Any) -> bool:
    """The part of EventBridge pattern matching FilterCriteria use here: nested objects, lists of
    allowed values, ``{"prefix": ...}`` and ``{"exists": true|false}``."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            _field_matches(key, inner, value) for key, inner in pattern.items()
        )
    if isinstance(pattern, list):
        return any(_allowed(entry, value) for entry in pattern)
    return bool(pattern == value)


def _field_matches(key: str, inner: Any, value: dict[str, Any]) -> bool:
    exists = (
        [e["exists"] for e in inner if isinstance(e, dict) and set(e) == {"exists"}]
        if isinstance(inner, list)
        else []
    )
    if exists:
        return (key in value) == bool(exists[0])
    return key in value and matches(inner, value[key])


def _allowed(entry: Any, value: Any) -> bool:
    if isinstance(entry, dict):
        if set(entry) == {"prefix"}:
            return isinstance(value, str) and value.startswith(entry["prefix"])
        raise NotImplementedError(f"filter operator {sorted(entry)} is not emulated")
    return bool(entry == value)


_GET_RECORDS_LIMIT = 1000  # GetRecords' default and maximum Limit


@dataclass(frozen=True)
class StreamSubscription:
    """A function's `Type: DynamoDB` event: which table's stream, which records, how many at once."""

    function_id: str
    table_id: str
    batch_size: int
    patterns: tuple[dict[str, Any], ...]  # FilterCriteria (EventBridge patterns); empty: all


def event_sources(
    template: Template | str | Path,
    event_type: str,
    attribute: str,
    parameters: Mapping[str, Any] | None = None,
) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(function id, logical id of the source, event properties) for every `Type: <event_type>`
    event whose source property is `!GetAtt <Resource>.<attribute>` of this template (a stream's
    `StreamArn`, a queue's `Arn`): what local/streams.py and local/queues.py run."""
    template = _as_template(template)
    key = "Stream" if event_type == "DynamoDB" else "Queue"
    for logical_id in functions(template, parameters):
        events = (template["Resources"][logical_id].get("Properties") or {}).get("Events") or {}
        for event in events.values():
            if event.get("Type") != event_type:
                continue
            props = event.get("Properties") or {}
            source = props.get(key)
            target = source.get("Fn::GetAtt") if isinstance(source, dict) else None
            if isinstance(target, str):
                target = target.split(".")
            if target and target[1:] == [attribute]:
                yield logical_id, str(target[0]), props


def stream_subscriptions(
    template: Template | str | Path, parameters: Mapping[str, Any] | None = None
) -> list[StreamSubscription]:
    """Every `Type: DynamoDB` event whose stream is `!GetAtt <Table>.StreamArn` of this template."""
    return [
        StreamSubscription(
            function_id=function_id,
            table_id=table_id,
            batch_size=int(props.get("BatchSize") or 100),
            patterns=tuple(
                json.loads(f["Pattern"])
                for f in (props.get("FilterCriteria") or {}).get("Filters") or []
                if "Pattern" in f
            ),
        )
        for function_id, table_id, props in event_sources(template, "DynamoDB", "StreamArn", parameters)
    ]


class StreamPump:
    """Delivers new stream records to the subscribed functions; one pump at a time."""

    def __init__(
        self,
        subscriptions: list[StreamSubscription],
        tables: dict[str, str],
        invoke: Invoke,
        client_factory: Callable[[], Any],
        region: str,
    ) -> None:
        self.subscriptions = subscriptions
        self.tables = tables  # logical id -> table name
        self.invoke = invoke
        self.client_factory = client_factory
        self.region = region
        self._client: Any = None
        self._lock = threading.Lock()
        self._iterators: dict[str, dict[str, str | None]] = {}  # table -> shard id -> iterator
        self._pending: dict[int, list[dict[str, Any]]] = {i: [] for i in range(len(subscriptions))}

    def pump(self) -> int:
        """Delivers every record that arrived since the last pump. Returns how many were delivered."""
        with self._lock, marking():
            fresh = {table: self._read(table) for table in {s.table_id for s in self.subscriptions}}
            delivered = 0
            for index, subscription in enumerate(self.subscriptions):
                pending = self._pending[index]
                pending += [
                    r
                    for r in fresh[subscription.table_id]
                    if not subscription.patterns or any(matches(p, r) for p in subscription.patterns)
                ]
                delivered += self._deliver(subscription, pending)
            return delivered

    def _deliver(self, subscription: StreamSubscription, pending: list[dict[str, Any]]) -> int:
        delivered = 0
        while pending:
            batch = pending[: subscription.batch_size]
            try:
                result = self.invoke(subscription.function_id, {"Records": batch})
            except Exception:
                log.exception(
                    "%s failed on a stream batch; retried at the next pump", subscription.function_id
                )
                return delivered
            failures = [f.get("itemIdentifier") for f in (result or {}).get("batchItemFailures") or []]
            if failures:
                numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
                first = min(numbers.index(str(f)) for f in failures if str(f) in numbers)
                log.warning("%s reported failed records; retried at the next pump", subscription.function_id)
                del pending[:first]
                return delivered + first
            del pending[: len(batch)]
            delivered += len(batch)
        return delivered

    def _streams(self) -> Any:
        if self._client is None:
            self._client = self.client_factory()
        return self._client

    def _read(self, table_id: str) -> list[dict[str, Any]]:
        """New records of the table's stream, every shard, in order."""
        client = self._streams()
        table = self.tables[table_id]
        iterators = self._iterators.get(table)
        if iterators is None:
            streams = client.list_streams(TableName=table).get("Streams") or []
            if not streams:
                return []
            arn = streams[0]["StreamArn"]
            shards = client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            iterators = {
                shard["ShardId"]: client.get_shard_iterator(
                    StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                for shard in shards
            }
            self._iterators[table] = iterators
            self._arns = {**getattr(self, "_arns", {}), table: arn}
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(iterators.items()):
            while iterator:
                answer = client.get_records(ShardIterator=iterator)
                got = answer.get("Records") or []
                records += [{**r, "eventSourceARN": self._arns[table]} for r in got]
                iterator = answer.get("NextShardIterator")
                if len(got) < _GET_RECORDS_LIMIT:
                    break  # caught up (moto answers all it has, up to the limit): ask at the next pump
            iterators[shard_id] = iterator
        return records


class BackgroundPump:
    """Runs `pump()` every `interval` seconds in a daemon thread, until `stop()`."""

    def __init__(self, pump: Callable[[], int], interval: float = 0.25) -> None:
        self.pump = pump
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream-pump", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.pump()
            except Exception:
                log.exception("stream pump failed")
