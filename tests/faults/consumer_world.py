"""The world of tests/faults/test_consumers.py, made once per module through the API: two agendas
subscribed to one receiver, with changes on the stream (tracks, a speaker whose photo is
replaced, the first agenda published), a schedule import asked for, and an upload whose file
is stored but not yet checked. Nothing has consumed the stream (``streams="manual"``): its real
records, read off moto's stream as Lambda's mapping reads it (local/streams.py), are what each
consumer is handed; the delivery messages are the ones the webhook events function queues.

``State`` is everything a consumer can change besides the tables (tests/faults/tables.py): both
buckets' objects, the queues, the receiver's POSTs; ``effects`` reads it all after a run, as a
multiset of normalised entries that two runs of the same work share.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from typing import Any

from tests.builders import create_agenda, create_speaker, create_track, ready_file, sign_up, subscribe
from tests.conftest import BASE_URL, TEMPLATE, boto3_session
from tests.faults.tables import Delta, Dump, Tables, _short
from tests.images import png
from tests.receivers import Receiver

BUCKETS = ("UploadBucket", "SnapshotBucket")
_DURATION = re.compile(r'"duration_ms": \{"N": "\d+"\}')
_RUNS = re.compile(r'"attempts": \{"N": "\d+"\}')
QUEUES = (
    "WebhookDeliveriesQueue",
    "WebhookDeadLetterQueue",
    "ImportDeadLetterQueue",
    "ConsumerDeadLetterQueue",
)
_TALK = {
    "guid": "8079583e-8321-506c-95af-fd2903a5f075",
    "date": "2020-12-14T09:00:00+00:00",
    "start": "09:00",
    "duration": "00:30",
    "room": "Gray Room",
    "title": "Focused hardware",
    "track": "Phased",
    "type": "Talk",
    "language": "en",
    "persons": [{"code": "NQTF8Y", "public_name": "Brian Robinson"}],
}
SCHEDULE = {
    "schedule": {
        "version": "1",
        "conference": {
            "acronym": "consumers",
            "title": "Consumers",
            "start": "2020-12-14",
            "end": "2020-12-14",
            "daysCount": 1,
            "time_zone_name": "UTC",
            "days": [{"index": 1, "date": "2020-12-14", "rooms": {"Gray Room": [{**_TALK, "id": 1}]}}],
        },
    }
}


@dataclass
class Clock:
    """How far past real time the delivering function's clock is: a message that comes back
    after its visibility timeout comes back that much later (services/webhook_delivery.py takes
    over claims by their age)."""

    offset: timedelta = timedelta()

    def wait(self, seconds: int) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class World:
    api: Any
    refs: dict[str, str]
    tables: Tables
    receiver: Receiver
    clock: Clock
    records: dict[str, list[dict[str, Any]]]  # function id -> its stream records, in order
    messages: list[dict[str, Any]]  # the delivery queue's messages, as SQS hands them over
    object_event: dict[str, Any]  # EventBridge's Object Created of the unchecked upload
    base: Dump = field(default_factory=dict)
    objects: dict[tuple[str, str], str] = field(default_factory=dict)
    _bodies: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)

    def sqs(self) -> Any:
        return _client("sqs")

    def s3(self) -> Any:
        return _client("s3")

    def read_objects(self) -> dict[tuple[str, str], str]:
        """Every object of both buckets, by its ETag (the MD5 of its bytes)."""
        s3, found = self.s3(), {}
        for bucket_id in BUCKETS:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.refs[bucket_id]):
                for stored in page.get("Contents") or []:
                    found[(bucket_id, stored["Key"])] = str(stored["ETag"])
        return found

    def _save_objects(self) -> None:
        s3 = self.s3()
        self.objects = self.read_objects()
        for bucket_id, key in self.objects:
            got = s3.get_object(Bucket=self.refs[bucket_id], Key=key)
            self._bodies[(bucket_id, key)] = (got["ContentType"], got["Body"].read())

    def take(self, queue_id: str) -> list[dict[str, Any]]:
        """Every message on the queue, taken off it, as Lambda's SQS event source hands them over."""
        # Straight from moto's queue: its ReceiveMessage looks at every message of the queue for
        # each ten it answers, which made taking a thousand queued duplicates most of a minute.
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]].queues[
            self.refs[queue_id].rsplit("/", 1)[1]
        ]
        with queue._messages_lock:
            messages, queue._messages = list(queue._messages), []
        return [
            {
                "messageId": message.id,
                "receiptHandle": message.receipt_handle or message.id,
                "body": message.body,
                "attributes": {},
                "eventSource": "aws:sqs",
            }
            for message in messages
        ]

    def restore(self) -> None:
        """The tables, buckets, queues and receiver as the world left them."""
        from tests.conftest import reset_process_caches

        self.tables.restore(self.base, self.tables.dump())
        s3, now = self.s3(), self.read_objects()
        for bucket_id, key in now.keys() - self.objects.keys():
            s3.delete_object(Bucket=self.refs[bucket_id], Key=key)
        for (bucket_id, key), etag in self.objects.items():
            if now.get((bucket_id, key)) != etag:
                content_type, body = self._bodies[(bucket_id, key)]
                s3.put_object(Bucket=self.refs[bucket_id], Key=key, Body=body, ContentType=content_type)
        for queue_id in QUEUES:
            self.take(queue_id)  # (PurgeQueue may run once a minute)
        self.receiver.received.clear()
        self.clock.offset = timedelta()
        reset_process_caches()

    def effects(self) -> Counter[str]:
        """What the consumers did since the world was made, normalised (tests/faults/tables.py
        ``shape``): items added, removed, changed; objects put or deleted; messages waiting on
        each queue; POSTs the receiver took (by ``webhook-id``). Takes the queues' messages off."""
        found: Counter[str] = Counter()
        delta = Delta.between(self.base, self.tables.dump())
        delta = Delta(*(_timed(shapes) for shapes in (delta.added, delta.removed, delta.changed)))
        for label, shapes in (("added", delta.added), ("removed", delta.removed), ("changed", delta.changed)):
            found.update({f"item {label} {item}": n for item, n in shapes.items()})
        now = self.read_objects()
        for key in now.keys() | self.objects.keys():
            if now.get(key) != self.objects.get(key):
                digest = now[key].strip('"') if key in now else "deleted"
                found[f"object {key[0]} {_shape_key(key[1])} {digest}"] += 1
        for queue_id in QUEUES:
            for message in self.take(queue_id):
                found[f"queued {queue_id} {_message_key(message['body'])}"] += 1
        for headers, _body in self.receiver.bodies():
            found[f"posted {headers.get('webhook-id')}"] += 1
        return found


@cache
def _client(service: str) -> Any:
    """The tests' own client (one: each new one costs ~10 ms); made inside the emulation."""
    return boto3_session().client(service)


def _timed(shapes: Counter[str]) -> Counter[str]:
    """An attempt's duration (in the delivery log) differs from run to run, and so does how many
    runs an import took (its ``attempts``: bookkeeping for RUN_ATTEMPTS, not an effect)."""
    return Counter(
        {
            _RUNS.sub('"attempts": {"N": "<runs>"}', _DURATION.sub('"duration_ms": {"N": "<ms>"}', item)): n
            for item, n in shapes.items()
        }
    )


def brief(entry: str) -> str:
    """An effect, short enough for a failure message: an item by its kind, key and status."""
    if not entry.startswith("item "):
        return entry
    label, _, rest = entry.removeprefix("item ").partition(" ")
    table, _, item_shape = rest.partition(" ")
    item = json.loads(item_shape)
    status = (item.get("status") or {}).get("S")
    return f"item {label} {_short(f'{table} {item_shape}')}" + (f" ({status})" if status else "")


def _shape_key(key: str) -> str:
    from tests.faults.tables import shape

    return shape({"k": key})


def _message_key(body: str) -> str:
    """A delivery message by its id and attempt; anything else (a failure record, a poison
    message) by its normalised text."""
    from tests.faults.tables import shape

    try:
        message = json.loads(body)
    except ValueError:
        return body
    if isinstance(message, dict) and "message_id" in message:
        return f"{message['message_id']} attempt {message.get('attempt')}"
    return shape(message if isinstance(message, dict) else {"body": message})


@contextmanager
def consumer_world() -> Iterator[World]:
    from agenda_core.services import webhook_delivery
    from local.gateway import GatewayApp, apply_environment
    from local.resources import create_resources
    from tests.conftest import emulated_aws, reset_process_caches

    saved = dict(os.environ)
    receiver = Receiver().start()
    real_now = webhook_delivery.utcnow
    clock = Clock()
    try:
        with emulated_aws():
            refs = create_resources(TEMPLATE, session=boto3_session())
            env = {k: v for k, v in os.environ.items() if k in {"CORS_ALLOW_ORIGINS", "POWERTOOLS_LOG_LEVEL"}}
            env["ALLOW_LOOPBACK_WEBHOOKS"] = "true"  # the receiver is on loopback (make dev's flag)
            api = GatewayApp(TEMPLATE, resources=refs, base_url=BASE_URL, env_overrides=env, streams="manual")
            apply_environment(api.environment())
            reset_process_caches()
            webhook_delivery.utcnow = lambda: real_now() + clock.offset  # type: ignore[assignment]
            _client.cache_clear()
            try:
                yield _build(api, refs, receiver, clock)
            finally:
                _client.cache_clear()
                api.close()
    finally:
        webhook_delivery.utcnow = real_now  # type: ignore[assignment]
        receiver.stop()
        os.environ.clear()
        os.environ.update(saved)
        reset_process_caches()


def _build(api: Any, refs: dict[str, str], receiver: Receiver, clock: Clock) -> World:
    from local.buckets import object_created_event

    owner = sign_up(api, email="consumers@faults.example", name="Consumer Owner")
    first = create_agenda(api, owner, start_at="2020-12-14", duration=1, timezone="UTC")
    second = create_agenda(api, owner)
    for agenda in (first, second):
        subscribe(api, owner, agenda, receiver.url)
    create_track(api, owner, first["id"], name="Main")
    create_track(api, owner, second["id"], name="Side")
    photo = ready_file(api, refs, owner, png(), "image/png", "speaker_photo")
    speaker = create_speaker(api, owner, first["id"], photo=photo["id"])
    path = f"/v1/agendas/{first['id']}"
    cleared = api.request(
        "PATCH", f"{path}/speakers/{speaker['id']}", json_body={"photo": None}, headers=owner["headers"]
    )
    assert cleared.status == 200, cleared.body
    published = api.request("PATCH", path, json_body={"published": True}, headers=owner["headers"])
    assert published.status == 200, published.body
    schedule = ready_file(
        api, refs, owner, json.dumps(SCHEDULE).encode(), "application/json", "schedule_import"
    )
    asked = api.request(
        "POST", f"{path}/imports", json_body={"upload_id": schedule["id"]}, headers=owner["headers"]
    )
    assert asked.status == 202, asked.body
    # An upload whose file is stored and not yet checked (EventBridge has not delivered its event).
    data = png()
    created = api.request(
        "POST",
        "/v1/uploads",
        json_body={"purpose": "speaker_photo", "content_type": "image/png", "content_length": len(data)},
        headers=owner["headers"],
    )
    key = created.json()["upload"]["fields"]["key"]
    stored = (
        boto3_session()
        .client("s3")
        .put_object(Bucket=refs["UploadBucket"], Key=key, Body=data, ContentType="image/png")
    )
    event = object_created_event(refs["UploadBucket"], key, len(data), stored["ETag"], "us-east-1")
    world = World(api, refs, Tables.of_template(), receiver, clock, _stream_records(api), [], event)
    # The delivery messages: what the webhook events function queues for these changes.
    answer = api.invoke("WebhookEventsFunction", {"Records": world.records["WebhookEventsFunction"]})
    assert answer == {"batchItemFailures": []}, answer
    world.messages = world.take("WebhookDeliveriesQueue")
    assert len(world.messages) >= 4, world.messages
    world.base = world.tables.dump()
    world._save_objects()
    return world


def _stream_records(api: Any) -> dict[str, list[dict[str, Any]]]:
    """Each stream consumer's records, as local/streams.py reads and filters them for Lambda."""
    from local.streams import StreamPump, stream_subscriptions

    taken: dict[str, list[dict[str, Any]]] = {}

    def take(function_id: str, event: dict[str, Any]) -> dict[str, Any]:
        taken.setdefault(function_id, []).extend(event["Records"])
        return {"batchItemFailures": []}

    subscriptions = stream_subscriptions(TEMPLATE)
    tables = {s.table_id: api.resources.get(s.table_id, s.table_id) for s in subscriptions}
    StreamPump(subscriptions, tables, take, api._streams_client, api.region).pump()
    return taken
