"""Test data made through the API itself (STYLE.md §4: builders go through services, never raw
table writes), so every fixture exercises the real code path."""

from __future__ import annotations

import itertools
from typing import Any

_counter = itertools.count(1)
PASSWORD = "canary: correct horse battery staple"  # tests/canaries.py looks for it everywhere


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
