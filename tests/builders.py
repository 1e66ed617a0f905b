"""Test data made through the API itself (STYLE.md §4: builders go through services, never raw
table writes), so every fixture exercises the real code path."""

from __future__ import annotations

import itertools
from typing import Any

_counter = itertools.count(1)
PASSWORD = "canary: correct horse battery staple"  # tests/canaries.py looks for it everywhere
# API.md §1 "caching", as the contract spells them.
PUBLIC_CACHE = "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400"
PRIVATE_CACHE = "private, no-store"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_up(api: Any, *, email: str | None = None, name: str = "Ada Lovelace") -> dict[str, Any]:
    """Signs a user up and logs them in: ``{"user": ..., "token": ..., "headers": ...}``."""
    email = email or f"user{next(_counter)}@example.com"
    created = api.request("POST", "/v1/users", json_body={"email": email, "password": PASSWORD, "name": name})
    assert created.status == 201, created.body
    login = api.request("POST", "/v1/auth/token", json_body={"email": email, "password": PASSWORD})
    assert login.status == 200, login.body
    token = login.json()["access_token"]
    return {"user": created.json(), "token": token, "headers": auth(token)}


def agenda_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"Conf {next(_counter)}",
        "start_at": "2027-03-10",
        "duration": 3,
        "timezone": "Europe/Berlin",
    }
    body.update(overrides)
    return body


def create_agenda(api: Any, owner: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    response = api.request(
        "POST", "/v1/agendas", json_body=agenda_body(**overrides), headers=owner["headers"]
    )
    assert response.status == 201, response.body
    return response.json()


def create_api_token(
    api: Any, owner: dict[str, Any], *, scopes: tuple[str, ...] = ("read",), **overrides: Any
) -> dict[str, Any]:
    """An API token of ``owner`` (made with their session): the 201 body, secret ``token`` included,
    plus ``headers`` to send it as a bearer token."""
    body: dict[str, Any] = {"name": f"Integration {next(_counter)}", "scopes": list(scopes), **overrides}
    response = api.request("POST", "/v1/users/me/tokens", json_body=body, headers=owner["headers"])
    assert response.status == 201, response.body
    created = response.json()
    return {**created, "headers": auth(created["token"])}


def add_member(
    api: Any, owner: dict[str, Any], agenda: dict[str, Any], person: dict[str, Any], role: str
) -> dict[str, Any]:
    """Adds ``person`` (a ``sign_up`` result) to ``agenda`` with ``role``, as its ``owner``."""
    added = api.request(
        "POST",
        f"/v1/agendas/{agenda['id']}/members",
        json_body={"email": person["user"]["email"], "role": role},
        headers=owner["headers"],
    )
    assert added.status == 201, added.body
    return dict(added.json())


# --- agenda content (API.md §4) ----------------------------------------------------------------


def content_path(agenda_id: str, plural: str, item_id: str | None = None) -> str:
    """``/v1/agendas/{agenda_id}/<plural>`` or, with ``item_id``, the item's path."""
    path = f"/v1/agendas/{agenda_id}/{plural}"
    return f"{path}/{item_id}" if item_id else path


def create_content(
    api: Any, owner: dict[str, Any], agenda_id: str, plural: str, body: dict[str, Any]
) -> dict[str, Any]:
    """POSTs ``body`` to the agenda's ``plural`` collection as ``owner``: the 201 body."""
    response = api.request("POST", content_path(agenda_id, plural), json_body=body, headers=owner["headers"])
    assert response.status == 201, response.body
    return dict(response.json())


def create_track(api: Any, owner: dict[str, Any], agenda_id: str, **overrides: Any) -> dict[str, Any]:
    return create_content(api, owner, agenda_id, "tracks", {"name": f"Track {next(_counter)}", **overrides})


def create_venue(api: Any, owner: dict[str, Any], agenda_id: str, **overrides: Any) -> dict[str, Any]:
    return create_content(api, owner, agenda_id, "venues", {"name": f"Room {next(_counter)}", **overrides})


def create_speaker(api: Any, owner: dict[str, Any], agenda_id: str, **overrides: Any) -> dict[str, Any]:
    return create_content(
        api, owner, agenda_id, "speakers", {"name": f"Speaker {next(_counter)}", **overrides}
    )


def create_category(api: Any, owner: dict[str, Any], agenda_id: str, **overrides: Any) -> dict[str, Any]:
    return create_content(
        api, owner, agenda_id, "categories", {"name": f"Category {next(_counter)}", **overrides}
    )


def session_body(**overrides: Any) -> dict[str, Any]:
    """A session on the first day of ``agenda_body()``'s agenda (2027-03-10, Europe/Berlin, +01:00)."""
    body: dict[str, Any] = {
        "title": f"Talk {next(_counter)}",
        "start_at": "2027-03-10T10:00:00+01:00",
        "end_at": "2027-03-10T11:00:00+01:00",
    }
    body.update(overrides)
    return body


def create_session(api: Any, owner: dict[str, Any], agenda_id: str, **overrides: Any) -> dict[str, Any]:
    return create_content(api, owner, agenda_id, "sessions", session_body(**overrides))


def log_delivery(agenda_id: str, webhook_id: str, event_type: str = "agenda.updated") -> dict[str, Any]:
    """A delivery in the subscription's log, as the delivering function logs one (a 204 at the
    first attempt): what a redelivery needs without running a receiver. Returns it as the log
    shows it."""
    import json

    from agenda_core.db.ids import iso, new_id, utcnow
    from agenda_core.db.webhook_records import DeliveryRecord, delivery_sk, webhook_pk

    now, message_id = utcnow(), new_id("message")
    event = {"type": event_type, "timestamp": iso(now), "data": {"agenda_id": agenda_id}}
    attempt = {"at": iso(now), "duration_ms": 12, "status": 204}
    DeliveryRecord(
        webhook_pk(webhook_id),
        delivery_sk(message_id),
        id=message_id,
        webhook_id=webhook_id,
        agenda_id=agenda_id,
        event_type=event_type,
        status="delivered",
        attempts_made=1,
        attempts=[attempt],
        body=json.dumps(event),
        created_at=iso(now),
        updated_at=iso(now),
        ttl=int(now.timestamp()) + 86400,
    ).save()
    return {
        "id": message_id,
        "event_type": event_type,
        "status": "delivered",
        "attempts": [{**attempt, "redelivery": False}],
        "event": event,
        "created_at": iso(now),
        "updated_at": iso(now),
    }


def subscribe(
    api: Any, owner: dict[str, Any], agenda: dict[str, Any], url: str, events: Any = ("*",)
) -> dict[str, Any]:
    """A webhook subscription of ``agenda`` to ``url`` (with its secret), made by ``owner``."""
    created = api.request(
        "POST",
        f"/v1/agendas/{agenda['id']}/webhooks",
        json_body={"url": url, "events": list(events)},
        headers=owner["headers"],
    )
    assert created.status == 201, created.body
    return dict(created.json())


def ready_file(
    api: Any, aws: dict[str, str], who: dict[str, Any], data: bytes, content_type: str, purpose: str
) -> dict[str, Any]:
    """An upload of ``who``'s, asked for, stored as the presigned POST would store it, and checked
    (``pump_buckets``): ready, or rejected with its reason."""
    import boto3

    created = api.request(
        "POST",
        "/v1/uploads",
        json_body={"purpose": purpose, "content_type": content_type, "content_length": len(data)},
        headers=who["headers"],
    )
    assert created.status == 201, created.body
    fields = created.json()["upload"]["fields"]
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=aws["UploadBucket"], Key=fields["key"], Body=data, ContentType=content_type
    )
    api.pump_buckets()
    read = api.request("GET", f"/v1/uploads/{created.json()['id']}", headers=who["headers"])
    assert read.status == 200, read.body
    return dict(read.json())
