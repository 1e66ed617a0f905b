"""The visibility matrix (issue 3, RELIABILITY.md): every id-taking operation of the OpenAPI
document x every kind of caller x an unpublished and a published agenda, each cell checked
against the policy table. Cells that are refused must change nothing; a stranger never learns
that an unpublished agenda exists (404)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from agenda_core.policy import OPERATIONS, ROUTES
from tests.builders import add_member, agenda_body, create_api_token, sign_up
from tests.conftest import ROOT

DOCUMENT = json.loads((ROOT / "functions/docs/openapi.json").read_text())
ID_PARAMETERS = ("{agenda_id}", "{user_id}", "{token_id}")
SUCCESS = {"GET": 200, "PUT": 200, "PATCH": 200, "POST": 201, "DELETE": 204}


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
    "PUT /v1/agendas/{agenda_id}": {"body": agenda_body(name="Replaced")},
    "PATCH /v1/agendas/{agenda_id}": {"body": {"name": "Patched"}},
    "DELETE /v1/agendas/{agenda_id}": {},
    "GET /v1/agendas/{agenda_id}/members": {},
    "POST /v1/agendas/{agenda_id}/members": {"body": {"email": "{candidate}", "role": "viewer"}},
    "PATCH /v1/agendas/{agenda_id}/members/{user_id}": {"body": {"role": "editor"}},
    "DELETE /v1/agendas/{agenda_id}/members/{user_id}": {},
    "DELETE /v1/users/me/tokens/{token_id}": {},  # a fresh token of the owner's, per cell
}

# The owner's API tokens act as the owner, limited to their scopes.
PRINCIPALS = ("anonymous", "stranger", "viewer", "editor", "owner", "read_token", "write_token")
TOKEN_SCOPES = {"read_token": frozenset({"read"}), "write_token": frozenset({"read", "write"})}


@dataclass
class World:
    users: dict[str, dict[str, Any]]
    candidate: dict[str, Any]


@pytest.fixture
def world(api) -> World:
    users = {name: sign_up(api, name=name.title()) for name in ("owner", "editor", "viewer", "stranger")}
    for principal, scopes in TOKEN_SCOPES.items():
        users[principal] = create_api_token(api, users["owner"], scopes=tuple(sorted(scopes)))
    return World(users=users, candidate=sign_up(api, name="Candidate"))


def _new_agenda(api, world: World, published: bool) -> dict[str, Any]:
    owner = world.users["owner"]
    agenda = api.request(
        "POST", "/v1/agendas", json_body=agenda_body(published=published), headers=owner["headers"]
    )
    assert agenda.status == 201, agenda.body
    for role in ("editor", "viewer"):
        add_member(api, owner, agenda.json(), world.users[role], role)
    return agenda.json()


def _snapshot(api, world: World, agenda_id: str) -> Any:
    owner = world.users["owner"]["headers"]
    agenda = api.request("GET", f"/v1/agendas/{agenda_id}", headers=owner)
    members = api.request("GET", f"/v1/agendas/{agenda_id}/members", headers=owner)
    return agenda.status, agenda.json().get("version"), members.json().get("members")


def expected_status(route: str, principal: str, published: bool, target: str) -> int:
    """The cell as the policy table says it must be."""
    rule = OPERATIONS[ROUTES[route]]
    method = route.split()[0]
    if principal == "anonymous":
        if rule.auth == "required":
            return 401
        return SUCCESS[method] if rule.public_when_published and published else 404
    if principal in TOKEN_SCOPES and rule.scope not in TOKEN_SCOPES[principal] | {None}:
        return 403  # insufficient_scope, before anything is looked up
    if rule.roles is None:  # about the caller's own things (their tokens): only the owner has one here
        return SUCCESS[method] if principal in ("owner", *TOKEN_SCOPES) else 404
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
        return SUCCESS[method]
    visible = published or role is not None
    return 403 if visible else 404


def test_every_id_taking_operation_is_in_the_matrix():
    assert id_taking_operations() == sorted(REQUESTS)


@pytest.mark.parametrize("published", [False, True], ids=["unpublished", "published"])
@pytest.mark.parametrize("route", sorted(REQUESTS))
def test_matrix(api, world, route, published):
    cells = []
    for principal in PRINCIPALS:
        agenda = _new_agenda(api, world, published)
        target = "viewer"
        path = route.split()[1].replace("{agenda_id}", agenda["id"])
        path = path.replace("{user_id}", world.users[target]["user"]["id"])
        if "{token_id}" in path:
            path = path.replace("{token_id}", create_api_token(api, world.users["owner"])["id"])
        spec = REQUESTS[route]
        body = json.loads(
            json.dumps(spec.get("body")).replace("{candidate}", world.candidate["user"]["email"])
        )
        headers = {} if principal == "anonymous" else dict(world.users[principal]["headers"])
        before = _snapshot(api, world, agenda["id"])

        response = api.request(route.split()[0], path, json_body=body, headers=headers)

        expected = expected_status(route, principal, published, target)
        cells.append((principal, response.status, expected))
        if response.status >= 400:
            assert response.header("Content-Type") == "application/problem+json"
            assert _snapshot(api, world, agenda["id"]) == before, f"{principal} changed something"
    assert [(p, got) for p, got, _ in cells] == [(p, want) for p, _, want in cells]
