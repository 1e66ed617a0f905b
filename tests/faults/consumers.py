"""AWS's side of the event sources, played in-process for tests/faults/test_consumers.py: what
Lambda's event source mappings (a DynamoDB stream, an SQS queue) and its asynchronous invocation
(an EventBridge rule's target) do with what a function answers, read off template.yaml.

- A stream (``drain_stream``): batches of ``BatchSize`` in stream order. Reported items
  (ReportBatchItemFailures) checkpoint the shard before the lowest reported sequence number, and
  the next batch starts there (the records after it come again too); an identifier that is not
  one of the batch's, or a raise, fails the whole batch. A batch that made no progress is halved
  (BisectBatchOnFunctionError; a split does not count towards the retries) and, once it cannot
  be, retried up to ``MaximumRetryAttempts``; then its records are discarded and, when the
  mapping has an on-failure destination, one failure record naming them is sent there (AWS's
  ``DDBStreamBatchInfo``). Progress starts the count again.
  https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html
- A queue (``drain_queue``): batches of ``BatchSize``; each receive adds one to the message's
  receive count; a reported message (or the whole batch, on a raise or an unknown identifier)
  becomes visible again when its visibility timeout ends (``clock`` is moved on by it), and after
  the queue's ``maxReceiveCount`` receives it is moved to the redrive policy's dead-letter queue.
  https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
- An asynchronous invocation (``drain_async``): a raise is retried up to the function's
  ``MaximumRetryAttempts`` (EventInvokeConfig; Lambda's default is 2), then the event goes to its on-failure destination (dropped without one)
  (sent to the destination or dead-letter queue when one is configured; none is here).
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.streams import event_sources
from local.template import _as_template
from tests.conftest import TEMPLATE

Invoke = Callable[[str, dict[str, Any]], Any]
LAMBDA_ASYNC_RETRIES = 2  # Lambda's default when EventInvokeConfig says nothing


def _logical_id(value: Any) -> str | None:
    """``Foo`` of ``!GetAtt Foo.Arn`` (either spelling)."""
    target = value.get("Fn::GetAtt") if isinstance(value, dict) else None
    if isinstance(target, str):
        target = target.split(".")
    return str(target[0]) if target else None


@dataclass(frozen=True)
class StreamSource:
    function_id: str
    batch_size: int
    max_retries: int
    bisect: bool
    on_failure: str | None  # logical id of the on-failure destination queue


@dataclass(frozen=True)
class QueueSource:
    function_id: str
    queue_id: str
    batch_size: int
    max_receives: int
    dead_letter: str  # logical id of the redrive policy's queue
    visibility_timeout: int


@dataclass(frozen=True)
class AsyncSource:
    function_id: str
    max_retries: int
    on_failure: str | None  # logical id of the on-failure destination queue


def stream_source(function_id: str) -> StreamSource:
    """The function's `Type: DynamoDB` event, as template.yaml declares it."""
    for found, _table, props in event_sources(TEMPLATE, "DynamoDB", "StreamArn"):
        if found == function_id:
            destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            return StreamSource(
                function_id,
                int(props.get("BatchSize") or 100),
                int(props.get("MaximumRetryAttempts", -1)),  # -1: AWS's default, retry until expiry
                bool(props.get("BisectBatchOnFunctionError")),
                _logical_id(destination),
            )
    raise LookupError(f"{function_id} has no stream event")


def queue_source(function_id: str) -> QueueSource:
    """The function's `Type: SQS` event and its queue's redrive policy and visibility timeout."""
    resources = _as_template(TEMPLATE)["Resources"]
    for found, queue_id, props in event_sources(TEMPLATE, "SQS", "Arn"):
        if found == function_id:
            queue = resources[queue_id]["Properties"]
            redrive = queue["RedrivePolicy"]
            return QueueSource(
                function_id,
                queue_id,
                int(props.get("BatchSize") or 10),
                int(redrive["maxReceiveCount"]),
                str(_logical_id(redrive["deadLetterTargetArn"])),
                int(queue.get("VisibilityTimeout", 30)),
            )
    raise LookupError(f"{function_id} has no queue event")


def async_source(function_id: str) -> AsyncSource:
    """Lambda's retries of the function's asynchronous invocations (EventInvokeConfig)."""
    props = _as_template(TEMPLATE)["Resources"][function_id].get("Properties") or {}
    config = props.get("EventInvokeConfig") or {}
    destination = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return AsyncSource(
        function_id,
        int(config.get("MaximumRetryAttempts", LAMBDA_ASYNC_RETRIES)),
        _logical_id(destination),
    )


@dataclass
class Drained:
    """What the event source saw: every invocation (the items handed over, the items reported
    failed or None for a raise), each item's hand-overs, and what was given up on."""

    invocations: list[tuple[list[str], list[str] | None]] = field(default_factory=list)
    handed: Counter[str] = field(default_factory=Counter)
    given_up: list[str] = field(default_factory=list)
    failure_records: list[dict[str, Any]] = field(default_factory=list)

    def reported(self, invocation: int = 0) -> list[str] | None:
        return self.invocations[invocation][1]


def _reported(result: Any) -> list[str]:
    return [str(f.get("itemIdentifier")) for f in (result or {}).get("batchItemFailures") or []]


def _call(invoke: Invoke, function_id: str, event: dict[str, Any]) -> list[str] | None:
    try:
        return _reported(invoke(function_id, event))
    except Exception:
        return None


def sequence_number(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def drain_stream(source: StreamSource, records: list[dict[str, Any]], invoke: Invoke) -> Drained:
    """Hands ``records`` (one shard's, in order) to the function until each is done or given up."""
    drained, pending = Drained(), list(records)
    size, retries = source.batch_size, 0
    while pending:
        batch = pending[:size]
        numbers = [sequence_number(r) for r in batch]
        drained.handed.update(numbers)
        reported = _call(invoke, source.function_id, {"Records": batch})
        drained.invocations.append((numbers, reported))
        if reported == []:
            del pending[: len(batch)]
            size, retries = source.batch_size, 0
            continue
        whole = reported is None or any(n not in numbers for n in reported)
        first = 0 if whole else min(numbers.index(n) for n in reported or ())
        if first:
            del pending[:first]  # the checkpoint: what came before the failure is done
            size, retries = source.batch_size, 0
            continue
        if source.bisect and len(batch) > 1:
            size = (len(batch) + 1) // 2
            continue
        retries += 1
        if 0 <= source.max_retries < retries:
            drained.given_up += numbers
            drained.failure_records.append(_failure_record(source, batch, retries))
            del pending[: len(batch)]
            size, retries = source.batch_size, 0
    return drained


def _failure_record(source: StreamSource, batch: list[dict[str, Any]], invocations: int) -> dict[str, Any]:
    """What Lambda sends the on-failure destination for a discarded stream batch (trimmed)."""
    return {
        "requestContext": {
            "functionArn": source.function_id,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": invocations,
        },
        "version": "1.0",
        "DDBStreamBatchInfo": {
            "startSequenceNumber": sequence_number(batch[0]),
            "endSequenceNumber": sequence_number(batch[-1]),
            "batchSize": len(batch),
            "streamArn": batch[0].get("eventSourceARN"),
        },
    }


def drain_queue(
    source: QueueSource,
    messages: list[dict[str, Any]],
    invoke: Invoke,
    wait: Callable[[int], None] = lambda _seconds: None,
) -> Drained:
    """Hands ``messages`` (SQS records) to the function until each is deleted or dead-lettered;
    ``wait(seconds)`` is told each time failed messages wait out their visibility timeout."""
    drained = Drained()
    visible = [(dict(m), 0) for m in messages]
    while visible:
        batch, visible = visible[: source.batch_size], visible[source.batch_size :]
        received = []
        for message, count in batch:
            attributes = {**message.get("attributes", {}), "ApproximateReceiveCount": str(count + 1)}
            received.append(({**message, "attributes": attributes}, count + 1))
        ids = [m["messageId"] for m, _ in received]
        drained.handed.update(ids)
        reported = _call(invoke, source.function_id, {"Records": [m for m, _ in received]})
        drained.invocations.append((ids, reported))
        failed = set(ids) if reported is None or any(i not in ids for i in reported) else set(reported)
        back = []
        for message, count in received:
            if message["messageId"] not in failed:
                continue  # deleted
            if count >= source.max_receives:
                drained.given_up.append(message["messageId"])
                drained.failure_records.append(message)  # moved to the dead-letter queue as it is
            else:
                back.append((message, count))
        if back:
            wait(source.visibility_timeout)
            visible += back
    return drained


def drain_async(source: AsyncSource, event: dict[str, Any], invoke: Invoke) -> Drained:
    """One asynchronous invocation and Lambda's retries of it."""
    drained = Drained()
    for _attempt in range(1 + source.max_retries):
        drained.handed[event["id"]] += 1
        try:
            invoke(source.function_id, event)
        except Exception:
            drained.invocations.append(([event["id"]], None))
            continue
        drained.invocations.append(([event["id"]], []))
        return drained
    drained.given_up.append(event["id"])
    drained.failure_records.append(
        {  # what Lambda sends an asynchronous invocation's on-failure destination (trimmed)
            "requestContext": {
                "functionArn": source.function_id,
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 1 + source.max_retries,
            },
            "version": "1.0",
            "requestPayload": event,
        }
    )
    return drained


def send_failure_records(sqs: Any, queue_url: str, drained: Drained) -> None:
    """What was given up on, onto the destination queue (as Lambda or SQS's redrive would)."""
    for record in drained.failure_records:
        body = record["body"] if "body" in record else json.dumps(record)
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)
