"""Poison items and duplicate deliveries in the stream and queue consumers (issue 14 item 3):
an item that fails every time goes where template.yaml sends it after exactly the attempts it
allows, and the other items of its batch are processed once; the same record or message
delivered ``DUPLICATES`` times has the effect of one delivery. The event sources are played by
tests/faults/consumers.py, the world is tests/faults/consumer_world.py's.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from tests.faults.consumer_world import World
from tests.faults.consumers import Drained, async_source, queue_source, sequence_number, stream_source
from tests.faults.test_consumers import BY_NAME, _collapsed, inputs, item_id, run

# Duplicate deliveries of one item per consumer (issue 14: 1 000
# duplicate deliveries -> 0 double effects). Each costs a few emulated AWS calls (~4 ms each).
DUPLICATES = 1000


def _alone(drained: Drained, item: str) -> int:
    """How many times the item was handed over on its own (a bisected batch of one)."""
    return sum(1 for batch, _ in drained.invocations if batch == [item])


def _messages_of(world: World, agenda_id: str, *, other: bool) -> list[str]:
    """The ids of the delivery messages of the agenda (of the others: ``other``)."""
    bodies = [json.loads(m["body"]) for m in world.messages]
    return [b["message_id"] for b in bodies if (b["agenda_id"] == agenda_id) != other]


def _allowed(name: str) -> tuple[int, str | None]:
    """(times the poison item is handed over on its own, where it then goes) per template.yaml."""
    consumer = BY_NAME[name]
    if consumer.kind == "queue":
        queue = queue_source(consumer.function_id)
        return queue.max_receives, queue.dead_letter
    if consumer.kind == "async":
        invoked = async_source(consumer.function_id)
        return 1 + invoked.max_retries, invoked.on_failure
    source = stream_source(consumer.function_id)
    return 1 + source.max_retries, source.on_failure


@pytest.mark.parametrize("name", ["webhook events", "snapshots", "import runs", "upload checks"])
def test_a_unit_that_always_fails_is_given_up_after_its_attempts_and_the_rest_done_once(
    world: World, name: str, record_property: Any
) -> None:
    consumer = BY_NAME[name]
    items = inputs(world, consumer)
    clean = run(world, consumer)
    poison = consumer.unit_of(items[-1])  # the last item's agenda, import or object
    poisoned = [item_id(consumer, i) for i in items if consumer.unit_of(i) == poison]
    attempts, destination = _allowed(name)

    outcome = run(world, consumer, poison=frozenset({poison}))

    # Every item of the poisoned unit whose work was tried (a snapshot is not rebuilt for an
    # unpublished agenda's creation alone, so that record passes).
    given_up = outcome.drained.given_up
    assert given_up and set(given_up) <= set(poisoned), (given_up, poisoned)
    assert [_alone(outcome.drained, item) for item in given_up] == [attempts] * len(given_up)
    # Nothing beyond the clean run but the failure records; the other units' work all done
    # (the second agenda's webhook messages: its snapshot, unpublished, is no object at all).
    done, _ = _collapsed(outcome.effects)
    failures = Counter({e: n for e, n in done.items() if e.startswith("queued") and "DeadLetter" in e})
    assert sum(failures.values()) == (len(outcome.drained.failure_records) if destination else 0)
    assert done - failures <= _collapsed(clean.effects)[0]
    if name == "webhook events":
        others = {e for e in clean.effects if any(m in e for m in _messages_of(world, poison, other=True))}
        assert others and others <= set(done)
    record_property(
        "consumer_poison", {"consumer": name, "attempts": attempts, "to": destination or "dropped"}
    )


def test_a_message_that_is_not_json_goes_to_the_dead_letter_queue_after_its_receives(
    world: World, record_property: Any
) -> None:
    consumer = BY_NAME["webhook delivery"]
    messages = inputs(world, consumer)
    clean = run(world, consumer)
    poison = {**messages[0], "messageId": "poison-message", "body": "{not json"}
    receives, dead_letter = _allowed("webhook delivery")

    outcome = run(world, consumer, items=[poison, *messages])

    assert outcome.drained.given_up == ["poison-message"]
    assert outcome.drained.handed["poison-message"] == receives
    assert all(reported == ["poison-message"] for _, reported in outcome.drained.invocations if reported)
    dead = Counter({f"queued {dead_letter} {{not json": 1})
    assert outcome.effects == clean.effects + dead
    record_property(
        "consumer_poison", {"consumer": "webhook delivery", "attempts": receives, "to": dead_letter}
    )


def test_duplicate_deliveries_have_the_effect_of_one(
    world: World, record_property: Any, atomic_requests: Any
) -> None:
    import sys

    # The change that published the first agenda, DUPLICATES times on the stream: the messages
    # it queues (as many), then each delivered, side by side as the function does on AWS.
    events, delivery = BY_NAME["webhook events"], BY_NAME["webhook delivery"]
    record = world.records[events.function_id][-1]
    once = run(world, events, items=[record])
    many = run(world, events, items=[record] * DUPLICATES)
    assert _collapsed(many.effects)[0] == _collapsed(once.effects)[0]
    queued = [e for e in many.effects.elements() if e.startswith("queued WebhookDeliveriesQueue")]
    assert len(queued) == DUPLICATES
    message = next(m for m in world.messages if json.loads(m["body"])["message_id"] in queued[0])
    module = sys.modules[world.api._functions[delivery.function_id].loaded.module_name]
    module._WORKERS, workers = 10, module._WORKERS
    try:
        copies = [{**message, "messageId": f"copy-{n}"} for n in range(DUPLICATES)]
        delivered_once = run(world, delivery, items=[message])
        delivered_many = run(world, delivery, items=copies)
    finally:
        module._WORKERS = workers
    assert delivered_many.effects == delivered_once.effects  # one log entry, one POST
    assert not any(reported for _, reported in delivered_many.drained.invocations)
    figures = {"webhook events": many, "webhook delivery": delivered_many}
    for name in ("import runs", "upload checks"):
        consumer = BY_NAME[name]
        item = inputs(world, consumer)[0]
        once = run(world, consumer, items=[item])
        again = run(world, consumer, items=[item] * DUPLICATES)
        assert again.effects == once.effects, name
        figures[name] = again
    record_property(
        "consumer_duplicates",
        {name: {"deliveries": sum(r.drained.handed.values()), "double": 0} for name, r in figures.items()},
    )
    assert sequence_number(record)
