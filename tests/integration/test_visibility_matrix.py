"""The visibility matrix (issue 3, RELIABILITY.md): every id-taking operation of the OpenAPI
document x every kind of caller x an unpublished and a published agenda, each cell checked
against the policy table (the status, and for a 403 which refusal it is). Cells that are refused
must change nothing; a stranger never learns that an unpublished agenda exists (404).

Each test has a world of its own (users, tokens); its Argon2 sign-ups are most of a test's time.
So the content routes (API.md §4) are checked one resource per test: its six routes on an
unpublished and a published agenda, in one world. Each of their cells acts on an item of its
own (made by the owner), which lets the principals share one agenda per route. Every other cell
makes its own agenda.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from agenda_core.policy import OPERATIONS, ROUTES
from tests.builders import add_member, agenda_body, create_api_token, log_delivery, ready_file, sign_up
from tests.conftest import ROOT

DOCUMENT = json.loads((ROOT / "functions/docs/openapi.json").read_text())
ID_PARAMETERS = ("{agenda_id}", "{user_id}", "{token_id}")
SUCCESS = {"GET": 200, "PUT": 200, "PATCH": 200, "POST": 201, "DELETE": 204}
# POSTs that act on something instead of creating it.
ACTIONS = {
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/rotate-secret": 200,
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/ping": 202,
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": 202,
    "POST /v1/agendas/{agenda_id}/imports": 202,
}


def id_taking_operations() -> list[str]:
    return sorted(
        f"{method.upper()} {path}"
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"} and any(p in path for p in ID_PARAMETERS)
    )


# What each operation sends; {agenda}, {target} and {token} are filled per cell.
REQUESTS: dict[str, dict[str, Any]] = {
    "GET /v1/agendas/{agenda_id}": {},
    "GET /v1/agendas/{agenda_id}/changes": {},
    "GET /v1/agendas/{agenda_id}/calendar.ics": {},
    "GET /v1/agendas/{agenda_id}/schedule.json": {},
    "GET /v1/agendas/{agenda_id}/schedule.xml": {},
    "PUT /v1/agendas/{agenda_id}": {"body": agenda_body(name="Replaced")},
    "PATCH /v1/agendas/{agenda_id}": {"body": {"name": "Patched"}},
    "DELETE /v1/agendas/{agenda_id}": {},
    "GET /v1/agendas/{agenda_id}/members": {},
    "POST /v1/agendas/{agenda_id}/members": {"body": {"email": "{candidate}", "role": "viewer"}},
    "PATCH /v1/agendas/{agenda_id}/members/{user_id}": {"body": {"role": "editor"}},
    "DELETE /v1/agendas/{agenda_id}/members/{user_id}": {},
    "DELETE /v1/users/me/tokens/{token_id}": {},  # a fresh token of the owner's, per cell
    "GET /v1/agendas/{agenda_id}/webhooks": {},
    "POST /v1/agendas/{agenda_id}/webhooks": {"body": {"url": "https://example.com/hook", "events": ["*"]}},
    # {webhook_id}: a fresh subscription the owner makes on the cell's agenda.
    "GET /v1/agendas/{agenda_id}/webhooks/{webhook_id}": {},
    "PATCH /v1/agendas/{agenda_id}/webhooks/{webhook_id}": {"body": {"active": False}},
    "DELETE /v1/agendas/{agenda_id}/webhooks/{webhook_id}": {},
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/rotate-secret": {},
    "GET /v1/agendas/{agenda_id}/webhooks/{webhook_id}/deliveries": {},
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/ping": {},
    # {delivery_id}: a delivery of that subscription, logged as the delivering function logs one.
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": {},
    # {upload}: a ready schedule upload of the principal's user (the owner's for their tokens).
    "POST /v1/agendas/{agenda_id}/imports": {"body": {"upload_id": "{upload}"}},
    "GET /v1/agendas/{agenda_id}/imports": {},
    # {import_id}: an import the owner starts on the cell's agenda.
    "GET /v1/agendas/{agenda_id}/imports/{import_id}": {},
}
# Agenda content (API.md §4): plural -> (the item id's path parameter, a valid body). Item routes
# act on a fresh item the owner makes per cell; session times fall inside agenda_body()'s days.
CONTENT: dict[str, tuple[str, dict[str, Any]]] = {
    "sessions": (
        "session_id",
        {"title": "Matrix", "start_at": "2027-03-10T09:00:00+01:00", "end_at": "2027-03-10T10:00:00+01:00"},
    ),
    "speakers": ("speaker_id", {"name": "Matrix"}),
    "tracks": ("track_id", {"name": "Matrix"}),
    "venues": ("venue_id", {"name": "Matrix"}),
    "categories": ("category_id", {"name": "Matrix"}),
}
for _plural, (_item_id, _body) in CONTENT.items():
    _collection = f"/v1/agendas/{{agenda_id}}/{_plural}"
    _item = f"{_collection}/{{{_item_id}}}"
    REQUESTS[f"GET {_collection}"] = {}
    REQUESTS[f"POST {_collection}"] = {"body": _body}
    REQUESTS[f"GET {_item}"] = {}
    _name = "title" if _plural == "sessions" else "name"
    REQUESTS[f"PUT {_item}"] = {"body": {**_body, _name: "Replaced"}}
    REQUESTS[f"PATCH {_item}"] = {"body": {_name: "Patched"}}
    REQUESTS[f"DELETE {_item}"] = {}

# The owner's API tokens act as the owner, limited to their scopes.
PRINCIPALS = ("anonymous", "stranger", "viewer", "editor", "owner", "read_token", "write_token")
TOKEN_SCOPES = {"read_token": frozenset({"read"}), "write_token": frozenset({"read", "write"})}


@dataclass
class World:
    users: dict[str, dict[str, Any]]
    candidate: dict[str, Any]
    uploads: dict[str, str]  # principal -> a ready schedule upload of its user


# A schedule file with a conference and no events: what the import cells import.
SCHEDULE = json.dumps(
    {"schedule": {"conference": {"acronym": "matrix", "title": "Matrix", "days": []}}}
).encode()


@pytest.fixture
def world(api, aws) -> World:
    users = {name: sign_up(api, name=name.title()) for name in ("owner", "editor", "viewer", "stranger")}
    uploads = {
        name: ready_file(api, aws, users[name], SCHEDULE, "application/json", "schedule_import")["id"]
        for name in ("owner", "editor", "viewer", "stranger")
    }
    for principal, scopes in TOKEN_SCOPES.items():
        users[principal] = create_api_token(api, users["owner"], scopes=tuple(sorted(scopes)))
        uploads[principal] = uploads["owner"]
    uploads["anonymous"] = uploads["owner"]
    return World(users=users, candidate=sign_up(api, name="Candidate"), uploads=uploads)


def _new_agenda(api, world: World, published: bool) -> dict[str, Any]:
    owner = world.users["owner"]
    agenda = api.request(
        "POST", "/v1/agendas", json_body=agenda_body(published=published), headers=owner["headers"]
    )
    assert agenda.status == 201, agenda.body
    for role in ("editor", "viewer"):
        add_member(api, owner, agenda.json(), world.users[role], role)
    return agenda.json()


def _snapshot(api, world: World, agenda_id: str, route: str) -> Any:
    """What a refused cell must leave as it was: the agenda (its version moves with any change of
    it or its content) and, for the routes that could change them, its members."""
    owner = world.users["owner"]["headers"]
    agenda = api.request("GET", f"/v1/agendas/{agenda_id}", headers=owner)
    members = (
        api.request("GET", f"/v1/agendas/{agenda_id}/members", headers=owner) if "/members" in route else None
    )
    return agenda.status, agenda.json().get("version"), members.json().get("members") if members else None


def expected_status(route: str, principal: str, published: bool, target: str) -> int:
    """The cell as the policy table says it must be."""
    rule = OPERATIONS[ROUTES[route]]
    method = route.split()[0]
    success = ACTIONS.get(route, SUCCESS[method])
    if principal == "anonymous":
        if rule.auth == "required":
            return 401
        return success if rule.public_when_published and published else 404
    if principal in TOKEN_SCOPES and rule.scope not in TOKEN_SCOPES[principal] | {None}:
        return 403  # insufficient_scope, before anything is looked up
    if rule.roles is None:  # about the caller's own things (their tokens): only the owner has one here
        return success if principal in ("owner", *TOKEN_SCOPES) else 404
    role = (
        "owner"
        if principal in TOKEN_SCOPES
        else principal
        if principal in ("owner", "editor", "viewer")
        else None
    )
    allowed = role in (rule.roles or ()) or (rule.public_when_published and published)
    if rule.on_self and role is not None and target == principal:
        allowed = True
    if allowed:
        if target == "owner" and route.endswith("{user_id}") and method in {"PATCH", "DELETE"}:
            return 409  # the last owner stays
        return success
    visible = published or role is not None
    return 403 if visible else 404


def expected_code(principal: str, status: int) -> str | None:
    """Which refusal a 403 is: the token's scope is checked first, at the edge; anyone else lacks
    the role (a viewer, or a non-member of a published agenda)."""
    if status != 403:
        return None
    return "insufficient_scope" if principal in TOKEN_SCOPES else "insufficient_role"


def _new_item(api, world: World, agenda: dict[str, Any], plural: str) -> str:
    _, body = CONTENT[plural]
    created = api.request(
        "POST",
        f"/v1/agendas/{agenda['id']}/{plural}",
        json_body=body,
        headers=world.users["owner"]["headers"],
    )
    assert created.status == 201, created.body
    return str(created.json()["id"])


def _new_webhook(api, world: World, agenda: dict[str, Any]) -> str:
    created = api.request(
        "POST",
        f"/v1/agendas/{agenda['id']}/webhooks",
        json_body={"url": "https://example.com/hook", "events": ["*"]},
        headers=world.users["owner"]["headers"],
    )
    assert created.status == 201, created.body
    return str(created.json()["id"])


def _new_import(api, world: World, agenda: dict[str, Any]) -> str:
    started = api.request(
        "POST",
        f"/v1/agendas/{agenda['id']}/imports",
        json_body={"upload_id": world.uploads["owner"]},
        headers=world.users["owner"]["headers"],
    )
    assert started.status == 202, started.body
    return str(started.json()["id"])


def content_of(route: str) -> str | None:
    """The content resource (plural) a route is about, if any."""
    parts = route.split()[1].split("/")
    return parts[4] if len(parts) > 4 and parts[4] in CONTENT else None


def test_every_id_taking_operation_is_in_the_matrix():
    assert id_taking_operations() == sorted(REQUESTS)


Cell = tuple[str, tuple[int, str | None], tuple[int, str | None]]  # principal, got, expected


def check_cells(api, world: World, route: str, published: bool, shared: dict[str, Any] | None) -> list[Cell]:
    """Sends the route's request as every principal, each on a new agenda unless one is given."""
    cells: list[Cell] = []
    for principal in PRINCIPALS:
        agenda = shared or _new_agenda(api, world, published)
        target = "viewer"
        path = route.split()[1].replace("{agenda_id}", agenda["id"])
        path = path.replace("{user_id}", world.users[target]["user"]["id"])
        if "{token_id}" in path:
            path = path.replace("{token_id}", create_api_token(api, world.users["owner"])["id"])
        if "{webhook_id}" in path:
            webhook_id = _new_webhook(api, world, agenda)
            path = path.replace("{webhook_id}", webhook_id)
            path = path.replace("{delivery_id}", log_delivery(agenda["id"], webhook_id)["id"])
        if "{import_id}" in path:
            path = path.replace("{import_id}", _new_import(api, world, agenda))
        for plural, (item_id, _) in CONTENT.items():
            if f"{{{item_id}}}" in path:
                path = path.replace(f"{{{item_id}}}", _new_item(api, world, agenda, plural))
        spec = REQUESTS[route]
        body = json.loads(
            json.dumps(spec.get("body"))
            .replace("{candidate}", world.candidate["user"]["email"])
            .replace("{upload}", world.uploads[principal])
        )
        headers = {} if principal == "anonymous" else dict(world.users[principal]["headers"])
        reading = route.startswith("GET ")  # a read changes nothing to compare
        before = None if reading else _snapshot(api, world, agenda["id"], route)

        response = api.request(route.split()[0], path, json_body=body, headers=headers)

        expected = expected_status(route, principal, published, target)
        code = response.json().get("code") if response.status == 403 else None
        cells.append((principal, (response.status, code), (expected, expected_code(principal, expected))))
        if response.status >= 400:
            assert response.header("Content-Type") == "application/problem+json"
        if response.status >= 400 and not reading:
            assert _snapshot(api, world, agenda["id"], route) == before, (
                f"{route}: {principal} changed something"
            )
    return cells


@pytest.mark.parametrize("published", [False, True], ids=["unpublished", "published"])
@pytest.mark.parametrize("route", sorted(route for route in REQUESTS if content_of(route) is None))
def test_matrix(api, world, route, published):
    # A webhook cell acts on a subscription of its own, and a read changes nothing, so the
    # principals can share one agenda (fewer agendas: the suite's time).
    shareable = "/webhooks" in route or route.startswith("GET ")
    shared = _new_agenda(api, world, published) if shareable else None
    cells = check_cells(api, world, route, published, shared=shared)
    assert [(p, got) for p, got, _ in cells] == [(p, want) for p, _, want in cells]


@pytest.mark.parametrize("plural", sorted(CONTENT))
def test_content_matrix(api, world, plural):
    got, want = {}, {}
    for published in (False, True):
        for route in sorted(route for route in REQUESTS if content_of(route) == plural):
            cells = check_cells(api, world, route, published, shared=_new_agenda(api, world, published))
            state = "published" if published else "unpublished"
            got[route, state] = [(p, g) for p, g, _ in cells]
            want[route, state] = [(p, w) for p, _, w in cells]
    assert got == want
