"""One small world every route finds what it needs in, and one valid request per route.

The requests are the route events of events/ (one per route, the one place that already gives
every route a valid request: tests/contract/test_events.py), with their documented placeholders
(events/README.md) filled from the world. Creating POSTs are sent with an ``Idempotency-Key``,
so the idempotency store's calls are faulted too. Routes that anyone may read when the agenda is
published are also sent anonymously, which reads the public snapshot (S3) instead of the table.

The world is made through the API (STYLE.md §4), once per test module: an owner, the demo user
auth/create_token.json logs in as (not a member, so members/create_member.json adds them), an
editor (the member the member events change), a published agenda with one item of each content
kind, an API token, a webhook with a logged delivery, a ready image and a ready schedule upload,
a finished import, a live refresh token, and the agenda's public snapshot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from agenda_core.policy import OPERATIONS, ROUTES
from tests.builders import PASSWORD, log_delivery, ready_file, sign_up
from tests.images import png

EVENTS_DIR = Path(__file__).resolve().parents[2] / "events"
TOKEN = "Bearer <token>"
REFRESH = "<refresh_token>"
AGENDA = "agd_01JQ0000000000000000000000"
# Placeholders of events/README.md -> the world's attribute that replaces them.
PLACEHOLDERS = {
    AGENDA: "agenda",
    "usr_01JQ0000000000000000000000": "member",
    "tok_01JQ0000000000000000000000": "api_token",
    "ses_01JQ0000000000000000000000": "session",
    "spk_01JQ0000000000000000000000": "speaker",
    "trk_01JQ0000000000000000000000": "track",
    "ven_01JQ0000000000000000000000": "venue",
    "cat_01JQ0000000000000000000000": "category",
    "whk_01JQ0000000000000000000000": "webhook",
    "msg_01JQ0000000000000000000000": "delivery",
    "upl_01JQ0000000000000000000000": "image",
    "imp_01JQ0000000000000000000000": "import_id",
}
_GATEWAY_HEADERS = frozenset({"host", "x-forwarded-proto", "content-type"})
# A schedule file with a conference and no events: what the world imports.
SCHEDULE = json.dumps({"schedule": {"conference": {"acronym": "faults", "title": "Faults", "days": []}}})


@dataclass(frozen=True)
class Request:
    """One route's request, placeholders unfilled. ``case`` names it (the route, or the route
    plus " (anonymous)")."""

    case: str
    route: str
    method: str
    path: str
    headers: dict[str, str]
    body: str | None

    @property
    def creates(self) -> bool:
        return ROUTES[self.route].endswith(".create")


def _event_requests() -> dict[str, Request]:
    found = {}
    for path in sorted(EVENTS_DIR.rglob("*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))
        if "httpMethod" not in event:
            continue  # a stream event
        route = f"{event['httpMethod']} {event['resource']}"
        query = f"?{urlencode(event['queryStringParameters'])}" if event["queryStringParameters"] else ""
        headers = {k: v for k, v in event["headers"].items() if k.lower() not in _GATEWAY_HEADERS}
        if event["body"] is not None:
            headers["Content-Type"] = event["headers"].get("Content-Type", "application/json")
        found[route] = Request(
            route, route, event["httpMethod"], event["path"] + query, headers, event["body"]
        )
    return found


# Creates whose code takes another path when sent without a key (a single conditional PutItem, not
# a transaction with the key's claim): each is a case of its own too. A retry of one after an
# ambiguous failure is a new create, as documented (API.md §1: send a key).
UNKEYED = "(no Idempotency-Key)"
UNKEYED_VARIANTS = ("POST /v1/users/me/tokens", "POST /v1/uploads")


def requests() -> dict[str, Request]:
    """Every case: each route of the policy table (a route without an event is missing here, and
    its test fails), plus the anonymous reads of what a published agenda shows anyone."""
    events = _event_requests()
    found: dict[str, Request] = {}
    for route in ROUTES:
        request = events.get(route)
        if request is None:
            continue
        if request.creates and not any(k.lower() == "idempotency-key" for k in request.headers):
            request = Request(
                route,
                route,
                request.method,
                request.path,
                {**request.headers, "Idempotency-Key": f"faults-{ROUTES[route].replace('.', '-')}"},
                request.body,
            )
        found[route] = request
        if route in UNKEYED_VARIANTS:
            case = f"{route} {UNKEYED}"
            unkeyed = {k: v for k, v in request.headers.items() if k.lower() != "idempotency-key"}
            found[case] = Request(case, route, request.method, request.path, unkeyed, request.body)
        rule = OPERATIONS[ROUTES[route]]
        if rule.public_when_published and "Authorization" in request.headers:
            anonymous = {k: v for k, v in request.headers.items() if k != "Authorization"}
            case = f"{route} (anonymous)"
            found[case] = Request(case, route, request.method, request.path, anonymous, request.body)
    return found


def cases() -> list[str]:
    """The test ids: every route (missing events included, so that they fail), then the variants."""
    return [*ROUTES, *sorted(set(requests()) - set(ROUTES))]


@dataclass
class World:
    ids: dict[str, str] = field(default_factory=dict)
    token: str = ""
    refresh_token: str = ""

    def fill(self, request: Request) -> tuple[str, dict[str, str], str | None]:
        """(path, headers, body) with the placeholders replaced."""
        path, body = request.path, request.body
        headers = dict(request.headers)
        for placeholder, name in PLACEHOLDERS.items():
            value = self.ids[name]
            if name == "image" and "/imports" in path:
                value = self.ids["schedule"]  # imports/*.json: a ready schedule_import upload
            path = path.replace(placeholder, value)
            body = body.replace(placeholder, value) if body else body
        if headers.get("Authorization") == TOKEN:
            headers["Authorization"] = f"Bearer {self.token}"
        if body and REFRESH in body:
            body = body.replace(REFRESH, self.refresh_token)
        return path, headers, body


def _event_body(name: str) -> dict[str, Any]:
    return dict(json.loads(json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))["body"]))


def _created(response: Any) -> dict[str, Any]:
    assert response.status in (200, 201, 202), response.body
    return dict(response.json())


def build_world(api: Any, aws: dict[str, str]) -> World:
    world = World()
    owner = sign_up(api, email="owner@faults.example", name="Fault Owner")
    demo = _event_body("auth/create_token.json")
    assert api.request("POST", "/v1/users", json_body={**demo, "name": "Demo"}).status == 201
    member = sign_up(api, email="member@faults.example", name="Fault Member")
    world.token = owner["token"]
    headers = owner["headers"]
    # The days and zone of agendas/create_agenda.json (the session events' times fall inside them).
    agenda = _created(
        api.request(
            "POST", "/v1/agendas", json_body=_event_body("agendas/create_agenda.json"), headers=headers
        )
    )
    base = f"/v1/agendas/{agenda['id']}"
    world.ids["agenda"] = agenda["id"]
    for plural, singular in (
        ("tracks", "track"),
        ("venues", "venue"),
        ("speakers", "speaker"),
        ("categories", "category"),
    ):
        body = _event_body(f"{plural}/create_{singular}.json")
        world.ids[singular] = _created(
            api.request("POST", f"{base}/{plural}", json_body=body, headers=headers)
        )["id"]
    # On the 15th: inside the days agendas/replace_agenda.json gives the agenda, and no reference,
    # so that deleting a track (or venue, speaker, category) is not refused as in use.
    session = {**_event_body("sessions/create_session.json"), "start_at": "2026-09-15T09:00:00+01:00"}
    session["end_at"] = "2026-09-15T10:00:00+01:00"
    world.ids["session"] = _created(
        api.request("POST", f"{base}/sessions", json_body=session, headers=headers)
    )["id"]
    added = api.request(
        "POST",
        f"{base}/members",
        json_body={"email": member["user"]["email"], "role": "editor"},
        headers=headers,
    )
    world.ids["member"] = _created(added)["id"]
    api_token = {"name": "Faults", "scopes": ["read"]}
    world.ids["api_token"] = _created(
        api.request("POST", "/v1/users/me/tokens", json_body=api_token, headers=headers)
    )["id"]
    webhook = _event_body("webhooks/create_webhook.json")
    world.ids["webhook"] = _created(
        api.request("POST", f"{base}/webhooks", json_body=webhook, headers=headers)
    )["id"]
    world.ids["delivery"] = log_delivery(agenda["id"], world.ids["webhook"])["id"]
    image = ready_file(api, aws, owner, png(), "image/png", "speaker_photo")
    schedule = ready_file(api, aws, owner, SCHEDULE.encode(), "application/json", "schedule_import")
    assert (image["status"], schedule["status"]) == ("ready", "ready"), (image, schedule)
    world.ids["image"], world.ids["schedule"] = image["id"], schedule["id"]
    started = api.request("POST", f"{base}/imports", json_body={"upload_id": schedule["id"]}, headers=headers)
    world.ids["import_id"] = _created(started)["id"]
    published = api.request("PATCH", base, json_body={"published": True}, headers=headers)
    assert published.status == 200, published.body
    login = api.request(
        "POST", "/v1/auth/token", json_body={"email": owner["user"]["email"], "password": PASSWORD}
    )
    world.refresh_token = _created(login)["refresh_token"]
    api.pump_streams()  # the import runs, the public snapshot is built
    done = api.request("GET", f"{base}/imports/{world.ids['import_id']}", headers=headers)
    assert _created(done)["status"] == "done", done.body
    return world
