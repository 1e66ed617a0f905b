"""Issue 11's webhook figures (RELIABILITY.md "webhooks"): 1 000 duplicate stream and queue
deliveries make no double delivery; receivers that hang, answer 500, redirect, answer 10 MB or
close the connection never hold up deliveries to other endpoints and are logged as failures; no
secret reaches a log. Durations are printed and recorded, never asserted."""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import boto3
from standardwebhooks.webhooks import Webhook

from tests.builders import create_agenda, create_session, sign_up, subscribe
from tests.receivers import RawReceiver, queued

PATIENCE_SECONDS = 60.0  # a generous bound on waiting for what must happen


def _change_records(table: str, agenda_id: str) -> list[dict[str, Any]]:
    """The table stream's INSERTs of the agenda's change records, as Lambda hands them over."""
    # Account-based endpoints are not emulated (local/gateway.py _streams_client): the classic one.
    streams = boto3.client(
        "dynamodbstreams",
        region_name="us-east-1",
        endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com",
    )
    arn = streams.list_streams(TableName=table)["Streams"][0]["StreamArn"]
    found: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        for record in streams.get_records(ShardIterator=iterator)["Records"]:
            pk = record["dynamodb"]["Keys"]["pk"]["S"]
            if record["eventName"] == "INSERT" and pk == f"CHANGES#{agenda_id}":
                created = record["dynamodb"]["ApproximateCreationDateTime"]
                record["dynamodb"]["ApproximateCreationDateTime"] = created.timestamp()
                found.append({**record, "eventSourceARN": arn})
    return found


def test_a_thousand_duplicate_stream_and_queue_deliveries_deliver_each_event_once(
    api, aws, loopback_receivers, record_property
):
    owner, receiver = sign_up(api), loopback_receivers(204)
    agenda = create_agenda(api, owner)
    hook = subscribe(api, owner, agenda, receiver.url)
    for n in range(5):
        create_session(api, owner, agenda["id"], title=f"Talk {n}")
    originals = queued(aws["WebhookDeliveriesQueue"])  # what the stream's first delivery queued
    changes = [
        r
        for r in _change_records(aws["AgendaTable"], agenda["id"])
        if r["dynamodb"]["NewImage"]["version"]["N"] != "1"
    ]

    # 500 duplicate stream deliveries: the stream hands the same five records over 100 more times.
    for _ in range(100):
        assert api.invoke("WebhookEventsFunction", {"Records": changes}) == {"batchItemFailures": []}
    from_replays = queued(aws["WebhookDeliveriesQueue"])
    # ... and 500 duplicate queue deliveries: SQS hands each original message over 100 more times.
    messages = originals + from_replays + originals * 100
    outcomes = [
        api.invoke("WebhookDeliveryFunction", {"Records": messages[start : start + 10]})
        for start in range(0, len(messages), 10)
    ]

    duplicates = len(messages) - len(originals)
    record_property("duplicate_deliveries", duplicates)
    print(f"\n{duplicates} duplicate deliveries (stream and queue): {len(receiver.received)} POSTs")
    assert len(changes) == len(originals) == 5 and len(from_replays) == 500 and duplicates == 1000
    assert all(outcome == {"batchItemFailures": []} for outcome in outcomes)
    assert len(receiver.received) == 5  # each event once
    ids = [headers["webhook-id"] for headers, _ in receiver.bodies()]
    assert len(set(ids)) == 5
    versions = sorted(
        Webhook(hook["secret"]).verify(body, headers)["data"]["version"]
        for headers, body in receiver.bodies()
    )
    assert versions == [2, 3, 4, 5, 6]


def test_misbehaving_receivers_hold_up_no_other_endpoint_and_are_logged_as_failures(
    api, aws, loopback_receivers, monkeypatch, caplog, capsys, record_property
):
    from agenda_core.integrations import webhook_http

    # A short attempt deadline keeps the test short; the hang still outlasts a good delivery by far.
    monkeypatch.setattr(webhook_http, "DEADLINE_SECONDS", 5.0)
    caplog.set_level(logging.INFO)  # the template's level (library DEBUG logs carry wire data)
    owner, good = sign_up(api), loopback_receivers(204)
    agenda = create_agenda(api, owner)
    bad = {
        behaviour: RawReceiver(behaviour) for behaviour in ("hang", "error", "redirect", "huge", "hang-up")
    }
    for server in bad.values():
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hooks = {name: subscribe(api, owner, agenda, server.url) for name, server in bad.items()}
        hooks["good"] = subscribe(api, owner, agenda, good.url)
        create_session(api, owner, agenda["id"])
        messages = queued(aws["WebhookDeliveriesQueue"])
        outcome: dict[str, Any] = {}
        batch = threading.Thread(
            target=lambda: outcome.update(api.invoke("WebhookDeliveryFunction", {"Records": messages}))
        )

        started = time.monotonic()
        batch.start()
        while not good.received and time.monotonic() - started < PATIENCE_SECONDS:
            time.sleep(0.01)
        hang_still_open = batch.is_alive()  # the hanging receiver's attempt has not ended yet
        batch.join(PATIENCE_SECONDS)
        finished = time.monotonic()
    finally:
        for server in bad.values():
            server.release.set()
            server.shutdown()
            server.server_close()

    assert len(messages) == 6 and outcome == {"batchItemFailures": []}
    assert good.received and hang_still_open  # delivered while the hang was still hanging
    good_after = good.received[0][0] - started
    record_property("good_delivery_seconds", round(good_after, 3))
    record_property("batch_seconds", round(finished - started, 3))
    print(
        f"\nthe good endpoint got its event {good_after:.3f} s into the batch; the batch took {finished - started:.3f} s"
    )
    logged = {}
    for name, hook in hooks.items():
        (delivery,) = api.request(
            "GET", f"/v1/agendas/{agenda['id']}/webhooks/{hook['id']}/deliveries", headers=owner["headers"]
        ).json()["deliveries"]
        (attempt,) = delivery["attempts"]
        logged[name] = (delivery["status"], attempt.get("status"), attempt.get("error"))
    assert logged == {
        "hang": ("retrying", None, "timeout"),
        "error": ("retrying", 500, None),
        "redirect": ("retrying", 302, None),
        "huge": ("retrying", 200, "answer_too_large"),
        "hang-up": ("retrying", None, logged["hang-up"][2]),
        "good": ("delivered", 204, None),
    }
    assert logged["hang-up"][2] in {"protocol", "connect"}
    # No secret in any log line or output (the suite's canary watch checks every test too).
    written = caplog.text + "".join(capsys.readouterr())
    secrets = [hook["secret"] for hook in hooks.values()]
    assert written and not [s for s in secrets if s in written or s.removeprefix("whsec_") in written]


def test_no_secret_of_a_rotated_endpoint_reaches_a_log(api, aws, loopback_receivers, caplog, capsys):
    caplog.set_level(logging.INFO)  # the template's level (library DEBUG logs carry wire data)
    owner, receiver = sign_up(api), loopback_receivers(500)
    agenda = create_agenda(api, owner)
    hook = subscribe(api, owner, agenda, receiver.url)
    base = f"/v1/agendas/{agenda['id']}/webhooks/{hook['id']}"
    rotated = api.request("POST", f"{base}/rotate-secret", headers=owner["headers"]).json()
    create_session(api, owner, agenda["id"])
    api.pump_queues()
    api.request("POST", f"{base}/ping", headers=owner["headers"])
    api.pump_queues()

    ((headers, body), _) = receiver.bodies()
    assert len(headers["webhook-signature"].split()) == 2  # both secrets sign during the rotation
    Webhook(hook["secret"]).verify(body, headers)
    Webhook(rotated["secret"]).verify(body, headers)
    written = caplog.text + "".join(capsys.readouterr())
    for secret in (hook["secret"], rotated["secret"]):
        assert secret.removeprefix("whsec_") not in written
    assert json.dumps(hook["secret"])[1:-1] not in written
