"""API tokens for integrations (API.md §2): create, list, delete, and authenticate with them.

AWS calls are counted at botocore's ``_make_api_call`` (every client, pynamodb's included), which
is how "no database call" and the request budget are proved rather than assumed.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.builders import PRIVATE_CACHE, agenda_body, auth, create_agenda, create_api_token, sign_up
from tests.conftest import BASE_URL

TOKEN_ID = re.compile(r"^tok_[0-9A-HJKMNP-TV-Z]{26}$")
SECRET = re.compile(r"^agt_[0-9A-HJKMNP-TV-Z]{26}[0-9A-Za-z]{46}$")
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def owner(api):
    return sign_up(api, name="Owner")


def _problem(response) -> dict[str, Any]:
    body = response.json()
    assert response.header("Content-Type") == "application/problem+json"
    return {k: v for k, v in body.items() if k != "request_id"}


def _with_checksum(body: str) -> str:
    from agenda_core.services.token_format import checksum

    return body + checksum(body)


def _clock(monkeypatch, moment: datetime) -> None:
    """Moves the token service's clock (expiry, last_used_at) to ``moment``."""
    from agenda_core.services import api_tokens

    monkeypatch.setattr(api_tokens, "utcnow", lambda: moment)


# --- create and list ---------------------------------------------------------------------------


def test_create_shows_the_secret_once_and_the_list_never(api, owner):
    response = api.request(
        "POST",
        "/v1/users/me/tokens",
        json_body={"name": "Schedule sync", "scopes": ["write", "read"]},
        headers=owner["headers"],
    )

    assert response.status == 201
    created = response.json()
    assert TOKEN_ID.match(created["id"]) and SECRET.match(created["token"])
    assert created == {
        "id": created["id"],
        "url": f"{BASE_URL}/v1/users/me/tokens/{created['id']}",
        "name": "Schedule sync",
        "scopes": ["read", "write"],  # one spelling, whatever the order sent
        "created_at": created["created_at"],
        "updated_at": created["created_at"],
        "token": created["token"],
    }
    # The token id is inside the secret: verification is one GetItem by key.
    assert created["token"][4:30] == created["id"][4:]
    assert response.header("Location") == created["url"]
    assert response.header("Cache-Control") == PRIVATE_CACHE

    listed = api.request("GET", "/v1/users/me/tokens", headers=owner["headers"])

    assert listed.status == 200
    assert listed.json() == {
        "tokens": [{k: v for k, v in created.items() if k != "token"}],
        "pagination": {"next": None, "per_page": 20},
    }
    assert created["token"] not in listed.body.decode()
    assert listed.header("Cache-Control") == PRIVATE_CACHE


def test_an_expiry_is_returned_in_utc(api, owner):
    expires = datetime.now(UTC) + timedelta(days=30)
    local = expires.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "+02:00")

    created = create_api_token(api, owner, expires_at=local)

    expected = (datetime.fromisoformat(local)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert created["expires_at"] == expected


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": "", "scopes": ["read"]}, "/name"),
        ({"name": "x" * 101, "scopes": ["read"]}, "/name"),
        ({"name": "n", "scopes": ["write"]}, "/scopes"),
        ({"name": "n", "scopes": []}, "/scopes"),
        ({"name": "n", "scopes": ["read", "read"]}, "/scopes"),
        ({"name": "n", "scopes": ["admin"]}, "/scopes/0"),
        ({"name": "n", "scopes": "read"}, "/scopes"),
        ({"name": "n", "scopes": ["read"], "expires_at": "2027-01-01"}, "/expires_at"),
        ({"name": "n", "scopes": ["read"], "expires_at": "2027-01-01T00:00:00"}, "/expires_at"),
        ({"name": "n", "scopes": ["read"], "expires_at": 1861920000}, "/expires_at"),
        ({"name": "n", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00Z"}, "/expires_at"),
        ({"name": "n", "scopes": ["read"], "expires_at": "2099-01-01T00:00:00Z"}, "/expires_at"),
        ({"name": "n", "scopes": ["read"], "token": "agt_mine"}, "/token"),
        ({"name": "n", "scopes": ["read"], "last_used_at": "2027-01-01T00:00:00Z"}, "/last_used_at"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(api, owner, body, pointer):
    response = api.request("POST", "/v1/users/me/tokens", json_body=body, headers=owner["headers"])

    assert response.status == 422, response.body
    assert [e["pointer"] for e in response.json()["errors"]] == [pointer]
    listed = api.request("GET", "/v1/users/me/tokens", headers=owner["headers"]).json()
    assert listed["tokens"] == []


def test_the_list_pages_in_creation_order_without_gaps_or_repeats(api, owner):
    made = [create_api_token(api, owner)["id"] for _ in range(5)]

    seen, pages, path = [], 0, "/v1/users/me/tokens?per_page=2"
    while path:
        page = api.request("GET", path, headers=owner["headers"]).json()
        seen += [token["id"] for token in page["tokens"]]
        pages += 1
        nxt = page["pagination"]["next"]
        path = nxt.removeprefix(BASE_URL) if nxt else None

    assert seen == made
    assert pages == 3


def test_a_list_cursor_works_for_its_user_only(api, owner):
    for _ in range(2):
        create_api_token(api, owner)
    other = sign_up(api, name="Other")
    nxt = api.request("GET", "/v1/users/me/tokens?per_page=1", headers=owner["headers"]).json()
    cursor_path = nxt["pagination"]["next"].removeprefix(BASE_URL)

    by_other = api.request("GET", cursor_path, headers=other["headers"])

    assert by_other.status == 400
    assert by_other.json()["code"] == "invalid_cursor"


def test_a_user_has_at_most_the_configured_number_of_tokens(api, owner, monkeypatch):
    from agenda_core.services import api_tokens
    from agenda_core.settings import get_settings

    small = dataclasses.replace(get_settings(), api_tokens_per_user_max=2)
    monkeypatch.setattr(api_tokens, "get_settings", lambda: small)
    first, second = create_api_token(api, owner), create_api_token(api, owner)
    body = {"name": "Third", "scopes": ["read"]}

    third = api.request("POST", "/v1/users/me/tokens", json_body=body, headers=owner["headers"])
    api.request("DELETE", f"/v1/users/me/tokens/{first['id']}", headers=owner["headers"])
    after_a_delete = api.request("POST", "/v1/users/me/tokens", json_body=body, headers=owner["headers"])

    assert third.status == 409
    assert third.json()["code"] == "too_many_tokens"
    assert after_a_delete.status == 201
    listed = api.request("GET", "/v1/users/me/tokens", headers=owner["headers"]).json()["tokens"]
    assert [t["id"] for t in listed] == [second["id"], after_a_delete.json()["id"]]


def test_creating_with_an_idempotency_key_replays_the_same_token(api, owner):
    headers = {**owner["headers"], "Idempotency-Key": "sync-token-1"}
    body = {"name": "Sync", "scopes": ["read"]}

    first = api.request("POST", "/v1/users/me/tokens", json_body=body, headers=headers)
    again = api.request("POST", "/v1/users/me/tokens", json_body=body, headers=headers)

    assert (first.status, again.status) == (201, 201)
    assert again.json() == first.json()  # the secret too: the key is the caller's alone
    assert again.header("Idempotent-Replayed") == "true"
    listed = api.request("GET", "/v1/users/me/tokens", headers=owner["headers"]).json()["tokens"]
    assert [t["id"] for t in listed] == [first.json()["id"]]


# --- authenticating with a token ---------------------------------------------------------------


def test_token_lifecycle(api, owner):
    read = create_api_token(api, owner, scopes=("read",))
    write = create_api_token(api, owner, scopes=("read", "write"))

    me = api.request("GET", "/v1/users/me", headers=read["headers"])
    create_with_read = api.request("POST", "/v1/agendas", json_body=agenda_body(), headers=read["headers"])
    create_with_write = api.request("POST", "/v1/agendas", json_body=agenda_body(), headers=write["headers"])

    assert me.status == 200 and me.json() == owner["user"]
    assert create_with_read.status == 403
    assert _problem(create_with_read) == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "This token lacks the 'write' scope.",
        "instance": "/v1/agendas",
        "code": "insufficient_scope",
    }
    assert create_with_write.status == 201

    deleted = api.request("DELETE", f"/v1/users/me/tokens/{read['id']}", headers=owner["headers"])
    after = api.request("GET", "/v1/users/me", headers=read["headers"])
    deleted_again = api.request("DELETE", f"/v1/users/me/tokens/{read['id']}", headers=owner["headers"])

    assert deleted.status == 204 and deleted.body == b""
    assert after.status == 401
    assert after.header("WWW-Authenticate") == 'Bearer realm="agenda-api"'
    assert _problem(after) == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "The API token is not valid.",
        "instance": "/v1/users/me",
        "code": "invalid_token",
    }
    assert deleted_again.status == 404
    assert api.request("GET", "/v1/users/me", headers=write["headers"]).status == 200


def test_a_write_token_edits_only_what_its_user_may(api, owner):
    agenda = create_agenda(api, owner)
    stranger = sign_up(api, name="Stranger")
    stranger_token = create_api_token(api, stranger, scopes=("read", "write"))
    owner_token = create_api_token(api, owner, scopes=("read", "write"))

    by_stranger = api.request(
        "PATCH", f"/v1/agendas/{agenda['id']}", json_body={"name": "x"}, headers=stranger_token["headers"]
    )
    by_owner = api.request(
        "PATCH", f"/v1/agendas/{agenda['id']}", json_body={"name": "Renamed"}, headers=owner_token["headers"]
    )

    assert by_stranger.status == 404  # unpublished: not visible to the stranger
    assert by_owner.status == 200 and by_owner.json()["name"] == "Renamed"


def test_only_a_signed_in_session_manages_tokens(api, owner):
    token = create_api_token(api, owner, scopes=("read", "write"))

    answers = [
        api.request("GET", "/v1/users/me/tokens", headers=token["headers"]),
        api.request(
            "POST",
            "/v1/users/me/tokens",
            json_body={"name": "n", "scopes": ["read"]},
            headers=token["headers"],
        ),
        api.request("DELETE", f"/v1/users/me/tokens/{token['id']}", headers=token["headers"]),
    ]

    assert [r.status for r in answers] == [403, 403, 403]
    assert {r.json()["code"] for r in answers} == {"insufficient_scope"}
    assert answers[0].json()["detail"] == "This token lacks the 'account' scope."
    assert api.request("GET", "/v1/users/me", headers=token["headers"]).status == 200


def test_nobody_deletes_another_users_token(api, owner):
    token = create_api_token(api, owner)
    other = sign_up(api, name="Other")

    by_other = api.request("DELETE", f"/v1/users/me/tokens/{token['id']}", headers=other["headers"])
    malformed = api.request("DELETE", "/v1/users/me/tokens/tok_nope", headers=owner["headers"])

    assert by_other.status == 404 and by_other.json()["code"] == "not_found"
    assert malformed.status == 404
    assert api.request("GET", "/v1/users/me", headers=token["headers"]).status == 200
    assert api.request("GET", "/v1/users/me/tokens", headers=other["headers"]).json()["tokens"] == []


def test_a_typo_is_refused_before_any_aws_call(api, owner, aws_calls):
    token = create_api_token(api, owner)["token"]
    i = 40  # a character of the random part
    typo = token[:i] + BASE62[(BASE62.index(token[i]) + 1) % 62] + token[i + 1 :]
    variants = [typo, token[:-1], token + "x", token[:4] + token[5:], "agt_" + "A" * 72]

    aws_calls.clear()
    answers = [api.request("GET", "/v1/users/me", headers=auth(v)) for v in variants]

    assert [r.status for r in answers] == [401] * len(variants)
    assert {r.json()["code"] for r in answers} == {"invalid_token"}
    assert aws_calls == []  # no DynamoDB, not even Secrets Manager


def test_a_well_formed_token_that_does_not_exist_costs_one_get_item(api, owner, aws_calls):
    real = create_api_token(api, owner)["token"]
    made_up = _with_checksum("agt_01JQ0000000000000000000000" + "a" * 40)
    wrong_secret = _with_checksum(real[:30] + "b" * 40)  # a real token id, another secret

    aws_calls.clear()
    unknown = api.request("GET", "/v1/users/me", headers=auth(made_up))
    calls_for_unknown = list(aws_calls)
    wrong = api.request("GET", "/v1/users/me", headers=auth(wrong_secret))

    assert (unknown.status, wrong.status) == (401, 401)
    assert unknown.json()["code"] == wrong.json()["code"] == "invalid_token"
    assert calls_for_unknown == ["dynamodb:GetItem"]


def test_a_verified_token_is_remembered_so_reads_cost_the_routes_own_requests(api, owner, aws_calls):
    token = create_api_token(api, owner)
    create_agenda(api, owner)

    aws_calls.clear()
    first = api.request("GET", "/v1/users/me/agendas", headers=token["headers"])
    first_calls = list(aws_calls)
    aws_calls.clear()
    second = api.request("GET", "/v1/users/me/agendas", headers=token["headers"])
    me = api.request("GET", "/v1/users/me", headers=token["headers"])

    assert (first.status, second.status, me.status) == (200, 200, 200)
    # First use in this container: the token's GetItem and the first last_used_at.
    assert first_calls == [
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
    ]
    assert aws_calls == ["dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:GetItem"]


def test_last_used_at_is_written_at_most_once_per_interval(api, owner, aws_calls, monkeypatch):
    token = create_api_token(api, owner)
    start = datetime.now(UTC).replace(microsecond=0)

    _clock(monkeypatch, start)
    for _ in range(3):
        assert api.request("GET", "/v1/users/me", headers=token["headers"]).status == 200
    _clock(monkeypatch, start + timedelta(minutes=4))
    assert api.request("GET", "/v1/users/me", headers=token["headers"]).status == 200
    writes_within_interval = aws_calls.count("dynamodb:UpdateItem")
    listed_early = api.request("GET", "/v1/users/me/tokens", headers=owner["headers"]).json()["tokens"]
    _clock(monkeypatch, start + timedelta(minutes=6))
    assert api.request("GET", "/v1/users/me", headers=token["headers"]).status == 200
    listed_late = api.request("GET", "/v1/users/me/tokens", headers=owner["headers"]).json()["tokens"]

    assert writes_within_interval == 1
    assert aws_calls.count("dynamodb:UpdateItem") == 2
    assert listed_early[0]["last_used_at"] == start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert listed_late[0]["last_used_at"] == (start + timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_an_expired_token_is_refused(api, owner, monkeypatch):
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    token = create_api_token(api, owner, expires_at=expires.isoformat())
    before = api.request("GET", "/v1/users/me", headers=token["headers"])

    _clock(monkeypatch, expires)  # verified and cached already: the expiry is checked at every use
    after = api.request("GET", "/v1/users/me", headers=token["headers"])

    assert before.status == 200
    assert after.status == 401
    assert _problem(after) == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "The API token has expired.",
        "instance": "/v1/users/me",
        "code": "token_expired",
    }
    listed = api.request("GET", "/v1/users/me/tokens", headers=owner["headers"]).json()["tokens"]
    assert [t["id"] for t in listed] == [token["id"]]  # still listed (and deletable) until deleted


def test_another_container_accepts_a_deleted_token_until_its_cache_expires(api, owner):
    """The documented revocation delay (services/api_tokens.py): at most api_token_cache_seconds."""
    from agenda_core.services import api_tokens

    token = create_api_token(api, owner)
    assert api.request("GET", "/v1/users/me", headers=token["headers"]).status == 200
    other_container = dict(api_tokens._cache)  # what a second warm container remembers

    assert api.request("DELETE", f"/v1/users/me/tokens/{token['id']}", headers=owner["headers"]).status == 204
    refused_here = api.request("GET", "/v1/users/me", headers=token["headers"])
    api_tokens._cache.update(other_container)
    still_trusted_there = api.request("GET", "/v1/users/me", headers=token["headers"])
    api_tokens._cache[token["id"]].loaded_at -= 60
    refused_there_after_a_minute = api.request("GET", "/v1/users/me", headers=token["headers"])

    assert refused_here.status == 401
    assert still_trusted_there.status == 200
    assert refused_there_after_a_minute.status == 401


def test_the_secret_is_never_logged(api, owner, capsys, caplog):
    from agenda_core.observability import logger

    logger.setLevel("DEBUG")
    try:
        token = create_api_token(api, owner)
        api.request("GET", "/v1/users/me", headers=token["headers"])
        api.request("GET", "/v1/users/me/tokens", headers=owner["headers"])
        api.request("DELETE", f"/v1/users/me/tokens/{token['id']}", headers=owner["headers"])
        api.request("GET", "/v1/users/me", headers=token["headers"])
    finally:
        logger.setLevel("WARNING")

    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert "api token created" in logged  # the logs were captured
    assert token["token"] not in logged
    assert token["token"][30:70] not in logged  # nor its random part
