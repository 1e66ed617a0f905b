"""The webhook subscription routes' probes (API.md §7; docs/design.md "Webhooks"): a list is one
Query, a read one BatchGetItem, a create and a delete one transaction each; a change and a secret
rotation are the documented read + transaction, the delivery log a BatchGetItem and a Query, a ping
a BatchGetItem (and the queue). A redelivery is a ping's shape with a logged delivery's id: the
bench runs no receiver, so it has none to name."""

from __future__ import annotations

from bench.probes import Probe
from bench.probes import _documented as documented

_READ_THEN_WRITE = ("BatchGetItem", "TransactWriteItems")
_WHY = "the answer is the whole subscription; the transaction pins the revision read"


def webhook_probes(agenda: str, auth: dict[str, str]) -> list[Probe]:
    hooks = f"{agenda}/webhooks"
    one = f"{hooks}/{{new}}"
    body = {"url": "https://example.com/hooks/bench", "events": ["*"]}
    mine = {"headers": auth, "new_key": "webhook"}
    return [
        Probe("POST /v1/agendas/{id}/webhooks", "write", "POST", hooks, 201, body, auth, remember="webhook"),
        Probe("GET /v1/agendas/{id}/webhooks", "read", "GET", hooks, 200, headers=auth),
        Probe("GET /v1/agendas/{id}/webhooks/{webhook_id}", "read", "GET", one, 200, **mine),
        # Before the PATCH below pauses the subscription (a paused one refuses a ping: 409).
        documented(
            "GET /v1/agendas/{id}/webhooks/{webhook_id}/deliveries",
            "GET",
            f"{one}/deliveries",
            200,
            ("BatchGetItem", "Query"),
            "the log lives in the endpoint's partition, apart from the agenda the permission check reads",
            **mine,
        ),
        documented(
            "POST /v1/agendas/{id}/webhooks/{webhook_id}/ping",
            "POST",
            f"{one}/ping",
            202,
            ("BatchGetItem",),
            "no table write: the delivering function makes and logs the attempt",
            **mine,
        ),
        documented(
            "PATCH /v1/agendas/{id}/webhooks/{webhook_id}",
            "PATCH",
            one,
            200,
            _READ_THEN_WRITE,
            _WHY,
            body={"active": False},
            **mine,
        ),
        documented(
            "POST /v1/agendas/{id}/webhooks/{webhook_id}/rotate-secret",
            "POST",
            f"{one}/rotate-secret",
            200,
            _READ_THEN_WRITE,
            _WHY,
            **mine,
        ),
        Probe("DELETE /v1/agendas/{id}/webhooks/{webhook_id}", "write", "DELETE", one, 204, **mine),
    ]
