"""Faults inside the stream and queue consumers (issue 14 item 3, RELIABILITY.md "Faults"): the
webhook events, webhook delivery, snapshot, upload release and import run functions, and the
upload check behind EventBridge, each handed what AWS would hand it (tests/faults/consumers.py
plays the event source from template.yaml's settings; tests/faults/consumer_world.py holds the
real stream records and queue messages).

For each consumer, its input runs once cleanly, recording the AWS calls of its first
invocation; then, from the same state, once per (call, fault) as in test_faults.py, that call
faulted in the first invocation (on every attempt, and on the first attempt only), the event
source redelivering until it is drained. Every case:

- the first invocation reports exactly the items whose work raised: for a stream, the first
  record of each agenda (or import, or item) that failed; for a queue, exactly the failed
  messages, never one that succeeded; a stream handler never raises;
- once drained, the effects (items, objects, queued messages, POSTs: consumer_world ``effects``)
  are the clean run's: nothing lost, nothing doubled. A message queued twice by a retried stream
  batch is one message (its id is derived; the delivering side attempts it once: the duplicate
  test below), and a POST sent again because the attempt's log write failed after it is counted
  apart (``resent``: the same ``webhook-id``, which receivers deduplicate, API.md §7).

Poison items go where the template says after exactly its attempts, their batch's other items
processed once; 1 000 duplicate deliveries make no second effect. Figures: tests/faults/figures.py.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import pytest

from tests.faults.consumer_world import World, brief
from tests.faults.consumers import (
    Drained,
    async_source,
    drain_async,
    drain_queue,
    drain_stream,
    queue_source,
    send_failure_records,
    sequence_number,
    stream_source,
)
from tests.faults.injection import (
    DYNAMODB_THROTTLING,
    INTERNAL,
    THROTTLED,
    TIMEOUT_AFTER,
    Call,
    Fault,
    Injector,
    injecting,
)
from tests.faults.test_faults import faults_for as request_faults_for


def _agenda_of(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["Keys"]["pk"]["S"]).removeprefix("CHANGES#")


@dataclass(frozen=True)
class Consumer:
    """One consumer: its function, its event source's kind, the service call that is one unit
    of its work (module, name, the unit's key from the call's arguments) and the unit an item
    of its input belongs to."""

    name: str
    function_id: str
    kind: str  # "stream", "queue", "async"
    unit: tuple[str, str, Callable[..., str]]
    unit_of: Callable[[dict[str, Any]], str]


CONSUMERS = [
    Consumer(
        "webhook events",
        "WebhookEventsFunction",
        "stream",
        ("agenda_core.services.webhook_fanout", "fan_out", lambda changes: str(changes[0]["agenda_id"])),
        _agenda_of,
    ),
    Consumer(
        "webhook delivery",
        "WebhookDeliveryFunction",
        "queue",
        ("agenda_core.services.webhook_delivery", "deliver", lambda message: str(message["message_id"])),
        lambda message: str(json.loads(message["body"])["message_id"]),
    ),
    Consumer(
        "snapshots",
        "SnapshotsFunction",
        "stream",
        ("agenda_core.services.snapshot_builder", "rebuild", lambda agenda_id: agenda_id),
        _agenda_of,
    ),
    Consumer(
        "upload releases",
        "UploadEventsFunction",
        "stream",
        (
            "agenda_core.services.upload_references",
            "release",
            lambda _upload, _field, item_id, _keys: item_id,
        ),
        lambda record: str(record["dynamodb"]["OldImage"]["id"]["S"]),
    ),
    Consumer(
        "import runs",
        "ImportRunsFunction",
        "stream",
        ("agenda_core.services.imports", "run_import", lambda _agenda_id, import_id: import_id),
        lambda record: str(record["dynamodb"]["NewImage"]["id"]["S"]),
    ),
    Consumer(
        "upload checks",
        "UploadEventsFunction",
        "async",
        ("agenda_core.services.upload_processor", "on_object_created", lambda key: key),
        lambda event: str(event["detail"]["object"]["key"]),
    ),
]
BY_NAME = {consumer.name: consumer for consumer in CONSUMERS}


@contextmanager
def units(consumer: Consumer, raised: list[str], poison: frozenset[str] = frozenset()) -> Iterator[None]:
    """Records the units of work that raised (the consumer's service call, wrapped); a unit
    whose key is in ``poison`` raises every time."""
    module_name, name, key = consumer.unit
    module = import_module(module_name)
    original = getattr(module, name)

    def wrapped(*args: Any) -> Any:
        args = tuple(list(a) if not isinstance(a, str | dict | tuple) else a for a in args)
        try:
            if key(*args) in poison:
                raise RuntimeError("poison")
            return original(*args)
        except Exception:
            raised.append(key(*args))
            raise

    setattr(module, name, wrapped)
    try:
        yield
    finally:
        setattr(module, name, original)


def inputs(world: World, consumer: Consumer) -> list[dict[str, Any]]:
    if consumer.kind == "queue":
        return world.messages[:2]  # a batch of two: each message's calls are the same three
    if consumer.kind == "async":
        return [world.object_event]
    return world.records[consumer.function_id]


def item_id(consumer: Consumer, item: dict[str, Any]) -> str:
    return sequence_number(item) if consumer.kind == "stream" else str(item.get("messageId") or item["id"])


def drain(world: World, consumer: Consumer, items: list[dict[str, Any]], invoke: Any) -> Drained:
    if consumer.kind == "stream":
        source = stream_source(consumer.function_id)
        drained = drain_stream(source, items, invoke)
        destination = source.on_failure
    elif consumer.kind == "queue":
        queue = queue_source(consumer.function_id)
        drained = drain_queue(queue, items, invoke, world.clock.wait)
        destination = queue.dead_letter
    else:
        drained = Drained()
        invoked = async_source(consumer.function_id)
        for item in items:  # one asynchronous invocation per event
            one = drain_async(invoked, item, invoke)
            drained.invocations += one.invocations
            drained.handed.update(one.handed)
            drained.given_up += one.given_up
            drained.failure_records += one.failure_records
        destination = invoked.on_failure
    if destination:
        send_failure_records(world.sqs(), world.refs[destination], drained)
    return drained


@dataclass
class Run:
    drained: Drained
    calls: list[Call]  # the first invocation's
    raised: list[str]  # the units whose work raised in the first invocation
    effects: Counter[str] = field(default_factory=Counter)


def run(
    world: World,
    consumer: Consumer,
    target: int | None = None,
    fault: Fault | None = None,
    *,
    every_invocation: bool = False,
    items: list[dict[str, Any]] | None = None,
    poison: frozenset[str] = frozenset(),
) -> Run:
    """The consumer's input, drained, from the world as it was made; call ``target`` of the
    first invocation (of every invocation: ``every_invocation``) faulted with ``fault``."""
    world.restore()
    injector, raised, first = Injector(), [], Run(Drained(), [], [])

    def invoke(function_id: str, event: dict[str, Any]) -> Any:
        faulted = every_invocation or not first.calls
        injector.arm(target if faulted else None, fault if faulted else None)
        found: list[str] = []
        try:
            with units(consumer, found, poison), injecting(injector):
                return world.api.invoke(function_id, event)
        finally:
            if not first.calls:
                first.calls, first.raised = list(injector.calls) or [Call("none", "none")], found
            raised.extend(found)

    drained = drain(world, consumer, list(items if items is not None else inputs(world, consumer)), invoke)
    return Run(drained, first.calls, first.raised, world.effects())


def expected_report(consumer: Consumer, items: list[dict[str, Any]], raised: list[str]) -> list[str] | None:
    """What the first invocation must report: the first item of each unit that raised."""
    if consumer.kind == "async":
        return None if raised else []
    found, seen = [], set()
    for item in items:
        unit = consumer.unit_of(item)
        if unit in raised and (consumer.kind == "queue" or unit not in seen):
            found.append(item_id(consumer, item))
        seen.add(unit)
    return found


def _collapsed(effects: Counter[str]) -> tuple[Counter[str], int]:
    """Effects with a message queued again, or a POST sent again, counted once; and how many
    POSTs were sent again."""
    kept = Counter(
        {
            k: (1 if k.startswith(("queued WebhookDeliveriesQueue", "posted")) else n)
            for k, n in effects.items()
        }
    )
    resent = sum(n - 1 for k, n in effects.items() if k.startswith("posted"))
    return kept, resent


def judge(consumer: Consumer, clean: Run, outcome: Run, items: list[dict[str, Any]]) -> dict[str, Any]:
    """One case's figures and problems."""
    verdict: dict[str, Any] = {"problems": []}
    reported = outcome.drained.reported(0)
    wanted = expected_report(consumer, items[: len(outcome.drained.invocations[0][0])], outcome.raised)
    if consumer.kind == "async":
        right = (reported is None) == (wanted is None)
    elif reported is None:
        verdict["crash"], right = 1, True
        verdict["problems"].append("the handler raised: the whole batch fails")
    else:
        right = sorted(reported) == sorted(wanted or [])
    if not right:
        verdict["wrong_report"] = 1
        verdict["problems"].append(f"reported {reported}, not {wanted} (units that raised: {outcome.raised})")
    if outcome.drained.given_up:
        verdict["problems"].append(f"given up on {outcome.drained.given_up}")
    done, resent = _collapsed(outcome.effects)
    wanted_effects, _ = _collapsed(clean.effects)
    lost, double = wanted_effects - done, done - wanted_effects
    said = [e for e in double if e.startswith("item changed") and _FAILED in e and "error_code" in e]
    if consumer.name == "import runs" and said:
        # Documented (API.md §8): a run the table or the bucket failed midway fails its import,
        # saying so and reporting what it applied; running it again completes it. Nothing may
        # be doubled.
        verdict["failed_and_said"], lost = 1, Counter()
        double = Counter({e: n for e, n in double.items() if e not in said})
    # A run whose finishing write failed is run again by the stream: its report is the import's
    # (services/import_reports.py), the clean run's, or it shows here as lost and doubled.
    verdict["lost"], verdict["double"], verdict["resent"] = int(bool(lost)), int(bool(double)), resent
    if lost:
        verdict["problems"].append(f"lost: {sorted(map(brief, lost))}")
    if double:
        verdict["problems"].append(f"beyond the clean run: {sorted(map(brief, double))}")
    return verdict


def faults_for(index: int, call: Call) -> list[Fault]:
    """test_faults.py's faults, but one DynamoDB throttling code per call on every attempt (in
    turn, call after call): a consumer meets all three alike (storage_errors), and the module
    stays cheap."""
    code = DYNAMODB_THROTTLING[index % len(DYNAMODB_THROTTLING)]
    return [
        fault
        for fault in request_faults_for(index, call)
        if not (fault.kind == THROTTLED and fault.every and fault.code not in (None, code))
    ]


FIGURES = ("crash", "wrong_report", "lost", "double", "resent", "failed_and_said")
_FAILED = '"status": {"S": "failed"}'


@pytest.mark.parametrize("name", [c.name for c in CONSUMERS])
def test_every_call_of_the_consumer_under_every_fault(world: World, name: str, record_property: Any) -> None:
    consumer = BY_NAME[name]
    items = inputs(world, consumer)
    clean = run(world, consumer)
    assert clean.drained.reported(0) == [] and not clean.raised, clean.drained.invocations
    assert clean.effects, "the clean run did nothing"
    names = [c.name for c in clean.calls]
    report: dict[str, Any] = {"consumer": name, "calls": names, "by_fault": {}, **dict.fromkeys(FIGURES, 0)}
    failures = []
    # A queue's messages each make the same calls: the first message's are faulted, in a batch
    # with another (which must then succeed, and never be reported).
    faulted = clean.calls[: len(clean.calls) // len(items)] if consumer.kind == "queue" else clean.calls
    for index, call in enumerate(faulted):
        for fault in faults_for(index, call):
            outcome = run(world, consumer, index, fault)
            label = f"call {index} {call.name} {fault.label}"
            seen = [c.name for c in outcome.calls[: index + 1]]
            if seen != names[: index + 1]:
                failures.append(f"{label}: calls {seen}, not the clean run's {names[: index + 1]}")
                continue
            verdict = judge(consumer, clean, outcome, items)
            report["by_fault"][fault.label] = report["by_fault"].get(fault.label, 0) + 1
            for figure in FIGURES:
                report[figure] += int(verdict.get(figure, 0))
            failures += [f"{label}: {problem}" for problem in verdict["problems"]]
    record_property("consumer_faults", report)
    assert not failures, f"{len(failures)} cases:\n" + "\n".join(failures)


# --- the bugs this suite found, each as the case that found it ------------------------------------

REGRESSIONS = [
    ("webhook delivery", "dynamodb:PutItem", Fault(TIMEOUT_AFTER, every=False),
     "the SDK's retry met the claim its first attempt wrote: the message dropped, never POSTed"),
    ("webhook delivery", "dynamodb:UpdateItem", Fault(INTERNAL),
     "the log write after the POST failed: the redelivery met the claim and dropped the message, pending for good"),
    ("webhook delivery", "dynamodb:UpdateItem", Fault(TIMEOUT_AFTER, every=False),
     "the SDK's retry of the log write logged the attempt twice"),
    ("import runs", "dynamodb:UpdateItem", Fault(TIMEOUT_AFTER),
     "the SDK's three applied claims counted three runs: the import abandoned, never run"),
    ("upload checks", "s3:DeleteObjects", Fault(INTERNAL),
     "the retry found the upload decided and left its incoming object for good"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "call", "fault", "bug"), REGRESSIONS, ids=[f"{n} {c} {f.label}" for n, c, f, _ in REGRESSIONS]
)
def test_the_faults_that_were_bugs(world: World, name: str, call: str, fault: Fault, bug: str) -> None:
    consumer = BY_NAME[name]
    clean = run(world, consumer)
    index = next(i for i, c in enumerate(clean.calls) if c.name == call)

    outcome = run(world, consumer, index, fault)

    assert judge(consumer, clean, outcome, inputs(world, consumer))["problems"] == [], bug
