"""Webhooks end to end, in-process (API.md §7): a write, the change log's stream, the fan-out,
the delivery queue, one signed attempt at a real receiver on loopback; duplicates attempted once;
failures logged and scheduled. The queue is drained by hand here, as Lambda's SQS event source
would (one batch, ReportBatchItemFailures)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.builders import create_agenda, create_session, sign_up, subscribe
from tests.receivers import queued


def _queued(aws: dict[str, str]) -> list[dict[str, Any]]:
    return queued(aws["WebhookDeliveriesQueue"])


def _subscribed(api: Any, receivers: Any, status: int, events: list[str]) -> tuple[Any, ...]:
    """An owner, a receiver answering ``status``, an agenda of the owner's and its subscription."""
    owner = sign_up(api)
    receiver = receivers(status)
    agenda = create_agenda(api, owner)
    return owner, receiver, agenda, subscribe(api, owner, agenda, receiver.url, events)


def _deliver(api: Any, records: list[dict[str, Any]]) -> Any:
    return api.invoke("WebhookDeliveryFunction", {"Records": records})


def test_a_write_reaches_a_receiver_signed_once_however_often_its_message_comes(api, aws, loopback_receivers):
    from agenda_core.db.webhook_records import DeliveryRecord, delivery_sk, webhook_pk

    owner, receiver, agenda, hook = _subscribed(api, loopback_receivers, 204, ["session.created"])
    session = create_session(api, owner, agenda["id"])
    api.request(
        "PATCH",
        f"/v1/agendas/{agenda['id']}",
        json_body={"name": "Not subscribed to"},
        headers=owner["headers"],
    )

    messages = _queued(aws)
    first = _deliver(api, messages)
    again = _deliver(api, messages * 3)  # SQS and the stream may both deliver twice

    assert len(messages) == 1 and first == again == {"batchItemFailures": []}
    ((headers, body),) = receiver.bodies()
    event = Webhook(hook["secret"]).verify(body, headers)
    assert event["type"] == "session.created"
    assert event["data"]["object"]["id"] == session["id"] and event["data"]["agenda_id"] == agenda["id"]
    record = DeliveryRecord.get(
        webhook_pk(hook["id"]), delivery_sk(headers["webhook-id"]), consistent_read=True
    )
    assert record.status == "delivered" and int(record.attempts_made) == 1
    assert [entry["status"] for entry in record.attempts] == [204]


def test_a_failed_attempt_is_logged_and_the_next_one_waits_its_turn(
    api, aws, loopback_receivers, monkeypatch
):
    from agenda_core.db import keys
    from agenda_core.db.ids import iso, utcnow
    from agenda_core.db.webhook_records import (
        DeliveryRecord,
        WebhookRecord,
        delivery_sk,
        webhook_pk,
        webhook_sk,
    )
    from agenda_core.integrations import webhook_queue

    sent: list[tuple[dict[str, Any], float]] = []  # what was queued, with its delay (SQS hides it till then)
    original = webhook_queue.send

    def recording(messages: Any, delay_seconds: float = 0) -> None:
        sent.extend((dict(m), delay_seconds) for m in messages)
        original(messages, delay_seconds)

    monkeypatch.setattr(webhook_queue, "send", recording)
    owner, receiver, agenda, hook = _subscribed(api, loopback_receivers, 500, ["*"])
    create_session(api, owner, agenda["id"])

    _deliver(api, _queued(aws))
    ((retry, delay),) = sent[1:]
    # A retry due in an hour (the schedule's later delays): passed on, delayed as long as SQS allows.
    later = {**retry, "not_before": iso(utcnow() + timedelta(hours=1))}
    early = _deliver(api, [{"messageId": "m2", "body": json.dumps(later)}])
    ((passed_on, wait),) = sent[2:]

    assert len(receiver.received) == 1 and early == {"batchItemFailures": []}
    assert retry["attempt"] == 2 and 4.5 <= delay <= 5.5  # RELIABILITY.md: 5 s (± 10 %)
    assert passed_on == later and wait > 3500  # the queue caps it at 15 minutes
    record = DeliveryRecord.get(
        webhook_pk(hook["id"]), delivery_sk(retry["message_id"]), consistent_read=True
    )
    assert record.status == "retrying" and record.attempts[0]["status"] == 500
    assert record.next_attempt_at == retry["not_before"]
    endpoint = WebhookRecord.get(keys.agenda_pk(agenda["id"]), webhook_sk(hook["id"]), consistent_read=True)
    assert endpoint.failing_since is not None and endpoint.disabled_reason is None
