"""The delivery log, redelivery and ping (API.md §7), through the API in-process: writes reach the
change log's stream after each request (local/streams.py) and the delivery queue is drained by
`pump_queues()`, as Lambda's SQS event source would, into receivers on loopback."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from standardwebhooks.webhooks import Webhook

from tests.builders import add_member, create_agenda, create_session, sign_up, subscribe


def _hooked(api: Any, receivers: Any, status: int = 204, events: tuple[str, ...] = ("*",)) -> tuple[Any, ...]:
    """An owner, a receiver answering ``status``, an agenda and its subscription to the receiver."""
    owner = sign_up(api)
    receiver = receivers(status)
    agenda = create_agenda(api, owner)
    return owner, receiver, agenda, subscribe(api, owner, agenda, receiver.url, events)


def _base(agenda: dict[str, Any], hook: dict[str, Any]) -> str:
    return f"/v1/agendas/{agenda['id']}/webhooks/{hook['id']}"


def _log(api: Any, who: dict[str, Any], agenda: dict[str, Any], hook: dict[str, Any], query: str = "") -> Any:
    return api.request("GET", f"{_base(agenda, hook)}/deliveries{query}", headers=who["headers"])


def _redeliver(
    api: Any, who: dict[str, Any], agenda: dict[str, Any], hook: dict[str, Any], delivery_id: str
) -> Any:
    return api.request(
        "POST", f"{_base(agenda, hook)}/deliveries/{delivery_id}/redeliver", headers=who["headers"]
    )


def _ping(api: Any, who: dict[str, Any], agenda: dict[str, Any], hook: dict[str, Any]) -> Any:
    return api.request("POST", f"{_base(agenda, hook)}/ping", headers=who["headers"])


def test_the_log_pages_deliveries_newest_first_with_their_attempts_and_events(api, loopback_receivers):
    owner, receiver, agenda, hook = _hooked(api, loopback_receivers)
    sessions = [create_session(api, owner, agenda["id"], title=f"Talk {n}") for n in range(3)]
    api.pump_queues()

    first = _log(api, owner, agenda, hook, "?per_page=2")
    next_path = urlsplit(first.json()["pagination"]["next"])
    second = api.request("GET", f"{next_path.path}?{next_path.query}", headers=owner["headers"])

    assert first.status == second.status == 200, first.body
    deliveries = first.json()["deliveries"] + second.json()["deliveries"]
    assert second.json()["pagination"]["next"] is None
    assert [d["event"]["data"]["object"]["id"] for d in deliveries] == [s["id"] for s in reversed(sessions)]
    sent_ids = [headers["webhook-id"] for headers, _ in receiver.bodies()]
    assert sorted(d["id"] for d in deliveries) == sorted(sent_ids)
    for delivery in deliveries:
        assert delivery["status"] == "delivered" and delivery["event_type"] == "session.created"
        (attempt,) = delivery["attempts"]
        assert attempt["status"] == 204 and attempt["duration_ms"] >= 0 and "next_attempt_at" not in attempt
        assert "next_attempt_at" not in delivery


def test_a_failing_endpoint_shows_the_answer_and_the_next_attempt(api, loopback_receivers):
    owner, _, agenda, hook = _hooked(api, loopback_receivers, status=500)
    create_session(api, owner, agenda["id"])
    api.pump_queues()

    (delivery,) = _log(api, owner, agenda, hook).json()["deliveries"]

    assert delivery["status"] == "retrying"
    (attempt,) = delivery["attempts"]
    assert attempt["status"] == 500 and attempt["next_attempt_at"] == delivery["next_attempt_at"]


def test_a_redelivery_is_one_more_attempt_with_the_same_webhook_id(api, aws, loopback_receivers):
    from tests.receivers import queued

    owner, receiver, agenda, hook = _hooked(api, loopback_receivers, status=500)
    create_session(api, owner, agenda["id"])
    api.pump_queues()
    (failed,) = _log(api, owner, agenda, hook).json()["deliveries"]
    receiver.status = 200  # the receiver is mended

    accepted = _redeliver(api, owner, agenda, hook, failed["id"])
    messages = queued(aws["WebhookDeliveriesQueue"])  # the redelivery (the 5 s retry is still delayed)
    outcomes = [api.invoke("WebhookDeliveryFunction", {"Records": messages}) for _ in range(3)]

    assert accepted.status == 202, accepted.body
    assert accepted.json() == {"id": failed["id"], "event_type": "session.created", "status": "queued"}
    assert outcomes == [{"batchItemFailures": []}] * 3
    (_, first), (headers, body) = receiver.bodies()  # three deliveries of the message: one attempt
    assert headers["webhook-id"] == failed["id"] and body == first
    assert Webhook(hook["secret"]).verify(body, headers)["type"] == "session.created"
    (delivery,) = _log(api, owner, agenda, hook).json()["deliveries"]
    assert delivery["status"] == "delivered" and "next_attempt_at" not in delivery
    assert [(a["status"], a["redelivery"]) for a in delivery["attempts"]] == [
        (500, False),
        (200, True),
    ]


def test_a_failed_redelivery_leaves_the_schedule_as_it_was(api, aws, loopback_receivers):
    from tests.receivers import queued

    owner, _, agenda, hook = _hooked(api, loopback_receivers, status=503)
    create_session(api, owner, agenda["id"])
    api.pump_queues()
    (before,) = _log(api, owner, agenda, hook).json()["deliveries"]

    _redeliver(api, owner, agenda, hook, before["id"])
    api.invoke("WebhookDeliveryFunction", {"Records": queued(aws["WebhookDeliveriesQueue"])})

    (after,) = _log(api, owner, agenda, hook).json()["deliveries"]
    assert after["status"] == "retrying" and after["next_attempt_at"] == before["next_attempt_at"]
    assert [a["redelivery"] for a in after["attempts"]] == [False, True]


def test_a_ping_reaches_the_endpoint_whatever_its_filter_and_is_logged(api, loopback_receivers):
    owner, receiver, agenda, hook = _hooked(api, loopback_receivers, events=("session.deleted",))

    accepted = _ping(api, owner, agenda, hook)
    api.pump_queues()

    assert accepted.status == 202, accepted.body
    assert accepted.json()["event_type"] == "webhook.ping" and accepted.json()["id"].startswith("msg_")
    ((headers, body),) = receiver.bodies()
    event = Webhook(hook["secret"]).verify(body, headers)
    assert headers["webhook-id"] == accepted.json()["id"]
    assert event["type"] == "webhook.ping"
    assert event["data"] == {"agenda_id": agenda["id"], "webhook_id": hook["id"]}
    (logged,) = _log(api, owner, agenda, hook).json()["deliveries"]
    assert logged["id"] == accepted.json()["id"] and logged["status"] == "delivered"


def test_a_410_disables_the_endpoint_and_its_owners_see_why(api, loopback_receivers):
    owner, _, agenda, hook = _hooked(api, loopback_receivers, status=410)
    create_session(api, owner, agenda["id"])
    api.pump_queues()

    endpoint = api.request("GET", _base(agenda, hook), headers=owner["headers"]).json()
    (delivery,) = _log(api, owner, agenda, hook).json()["deliveries"]
    ping = _ping(api, owner, agenda, hook)
    redelivery = _redeliver(api, owner, agenda, hook, delivery["id"])

    assert endpoint["status"] == "disabled" and endpoint["active"] is True
    assert endpoint["disabled_reason"] == "The endpoint answered 410 Gone."
    assert delivery["status"] == "dead"
    assert ping.status == redelivery.status == 409
    assert ping.json()["code"] == redelivery.json()["code"] == "webhook_disabled"
    assert "410 Gone" in ping.json()["detail"]


def test_five_days_of_failures_disable_the_endpoint_and_its_retries_die(api, loopback_receivers):
    from agenda_core.db import keys
    from agenda_core.db.webhook_records import WebhookRecord, webhook_sk

    owner, _, agenda, hook = _hooked(api, loopback_receivers, status=500)
    create_session(api, owner, agenda["id"])
    api.pump_queues()
    endpoint = WebhookRecord(keys.agenda_pk(agenda["id"]), webhook_sk(hook["id"]))
    endpoint.update(actions=[WebhookRecord.failing_since.set("2026-01-01T00:00:00.000Z")])
    create_session(api, owner, agenda["id"])
    api.pump_queues()

    shown = api.request("GET", _base(agenda, hook), headers=owner["headers"]).json()
    newest, oldest = _log(api, owner, agenda, hook).json()["deliveries"]

    assert shown["status"] == "disabled"
    assert shown["disabled_reason"] == "No delivery succeeded for 5 days."
    assert newest["status"] == "dead" and oldest["status"] == "retrying"
    # The older delivery's retry comes for an endpoint that takes nothing any more: it dies.
    from agenda_core.services import webhook_delivery

    webhook_delivery.deliver(
        {
            "message_id": oldest["id"],
            "webhook_id": hook["id"],
            "agenda_id": agenda["id"],
            "event_type": oldest["event_type"],
            "body": json.dumps(oldest["event"]),
            "attempt": 2,
        }
    )
    assert [d["status"] for d in _log(api, owner, agenda, hook).json()["deliveries"]] == ["dead", "dead"]


def test_ping_and_redelivery_refuse_a_paused_endpoint(api, loopback_receivers):
    owner, receiver, agenda, hook = _hooked(api, loopback_receivers)
    create_session(api, owner, agenda["id"])
    api.pump_queues()
    (delivery,) = _log(api, owner, agenda, hook).json()["deliveries"]
    api.request("PATCH", _base(agenda, hook), json_body={"active": False}, headers=owner["headers"])

    ping = _ping(api, owner, agenda, hook)
    redelivery = _redeliver(api, owner, agenda, hook, delivery["id"])
    api.pump_queues()

    assert ping.status == redelivery.status == 409
    assert ping.json()["code"] == redelivery.json()["code"] == "webhook_paused"
    assert ping.header("Content-Type") == "application/problem+json"
    assert len(receiver.received) == 1


def test_another_agendas_or_an_unknown_or_expired_delivery_is_a_404(api, loopback_receivers):
    from agenda_core.db.webhook_records import DeliveryRecord, delivery_sk, webhook_pk

    owner, _, agenda, hook = _hooked(api, loopback_receivers)
    other_agenda = create_agenda(api, owner)
    other_hook = api.request(
        "POST",
        f"/v1/agendas/{other_agenda['id']}/webhooks",
        json_body={"url": "https://example.com/hook", "events": ["agenda.deleted"]},  # never sent to
        headers=owner["headers"],
    ).json()
    create_session(api, owner, agenda["id"])
    api.pump_queues()
    (delivery,) = _log(api, owner, agenda, hook).json()["deliveries"]

    foreign = _redeliver(api, owner, other_agenda, other_hook, delivery["id"])
    unknown = _redeliver(api, owner, agenda, hook, "msg_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    DeliveryRecord(webhook_pk(hook["id"]), delivery_sk(delivery["id"])).update(
        actions=[DeliveryRecord.ttl.set(1)]  # past its 30 days; DynamoDB's TTL has not removed it yet
    )
    expired = _redeliver(api, owner, agenda, hook, delivery["id"])
    listed = _log(api, owner, agenda, hook).json()["deliveries"]

    assert [foreign.status, unknown.status, expired.status] == [404, 404, 404]
    assert foreign.json()["detail"] == "No delivery with this id for this webhook."
    assert listed == []


def test_editors_use_the_log_viewers_may_not_and_strangers_see_nothing(api, loopback_receivers):
    owner, _, agenda, hook = _hooked(api, loopback_receivers)
    editor, viewer, stranger = sign_up(api), sign_up(api), sign_up(api)
    add_member(api, owner, agenda, editor, "editor")
    add_member(api, owner, agenda, viewer, "viewer")

    answers = {
        who: _log(api, person, agenda, hook).status
        for who, person in [("editor", editor), ("viewer", viewer), ("stranger", stranger)]
    }
    pings = {
        who: _ping(api, person, agenda, hook).status
        for who, person in [("viewer", viewer), ("stranger", stranger)]
    }

    assert answers == {"editor": 200, "viewer": 403, "stranger": 404}
    assert pings == {"viewer": 403, "stranger": 404}


@pytest.mark.parametrize("junk", ["junk", "a.b"])
def test_a_malformed_or_foreign_cursor_is_a_400(api, loopback_receivers, junk):
    owner, _, agenda, hook = _hooked(api, loopback_receivers)
    other = api.request(
        "POST",
        f"/v1/agendas/{agenda['id']}/webhooks",
        json_body={"url": "https://example.com/other", "events": ["agenda.deleted"]},  # never sent to
        headers=owner["headers"],
    ).json()
    for n in range(2):
        create_session(api, owner, agenda["id"], title=f"Talk {n}")
    api.pump_queues()
    next_url = _log(api, owner, agenda, hook, "?per_page=1").json()["pagination"]["next"]
    cursor = next_url.split("cursor=")[1]

    malformed = _log(api, owner, agenda, hook, f"?cursor={junk}")
    foreign = _log(api, owner, agenda, other, f"?per_page=1&cursor={cursor}")

    assert malformed.status == foreign.status == 400
    assert malformed.json()["code"] == foreign.json()["code"] == "invalid_cursor"
