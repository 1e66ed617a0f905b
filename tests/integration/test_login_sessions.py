"""Sessions mobile apps can keep (API.md §2, RELIABILITY.md "refresh token", RFC 9700 §4.14):
log in, refresh with rotation, reuse detection, the grace window, expiry, log out."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest

from tests.builders import PASSWORD, PRIVATE_CACHE, auth, sign_up

REFRESH = re.compile(r"^rt_([0-9A-HJKMNP-TV-Z]{26})\.[A-Za-z0-9_-]{43}$")
INVALID_REFRESH = {
    "type": "about:blank",
    "title": "Unauthorized",
    "status": 401,
    "detail": "The refresh token is not valid; sign in again.",
    "instance": "/v1/auth/refresh",
    "code": "invalid_refresh_token",
}
DAY = 24 * 60 * 60


def log_in(api: Any, email: str) -> dict[str, Any]:
    response = api.request("POST", "/v1/auth/token", json_body={"email": email, "password": PASSWORD})
    assert response.status == 200, response.body
    return response.json()


def refresh(api: Any, token: str) -> Any:
    return api.request("POST", "/v1/auth/refresh", json_body={"refresh_token": token})


def problem(response: Any) -> dict[str, Any]:
    assert response.header("Content-Type") == "application/problem+json"
    return {k: v for k, v in response.json().items() if k != "request_id"}


def claims(access_token: str) -> dict[str, Any]:
    return jwt.decode(access_token, options={"verify_signature": False})


@pytest.fixture
def user(api):
    return sign_up(api, email="mobile@example.com")


def table_items(aws: dict[str, str]) -> list[dict[str, Any]]:
    import boto3

    client = boto3.client("dynamodb", region_name="us-east-1")
    return client.scan(TableName=aws["AgendaTable"])["Items"]


def test_login_gives_an_access_token_and_a_refresh_token_of_one_session(api, user):
    pair = log_in(api, "mobile@example.com")

    assert pair == {
        "access_token": pair["access_token"],
        "token_type": "Bearer",
        "expires_in": 900,
        "refresh_token": pair["refresh_token"],
    }
    family = REFRESH.match(pair["refresh_token"])
    assert family is not None
    assert claims(pair["access_token"])["sid"] == family.group(1)
    assert claims(pair["access_token"])["sub"] == user["user"]["id"]
    assert jwt.get_unverified_header(pair["access_token"]) == {"alg": "HS256", "typ": "at+jwt", "kid": "k1"}


def test_refresh_tokens_are_stored_only_as_hashes_with_expiry(api, aws, user):
    import hashlib

    pair = log_in(api, "mobile@example.com")
    token = pair["refresh_token"]
    family_id = REFRESH.match(token).group(1)

    items = {item["pk"]["S"]: item for item in table_items(aws)}

    assert token not in repr(items) and token.split(".")[1] not in repr(items)
    stored = items[f"REFRESH#{hashlib.sha256(token.encode()).hexdigest()}"]
    family = items[f"FAMILY#{family_id}"]
    assert stored["family_id"]["S"] == family_id and "spent_at" not in stored
    created = int(family["created_at"]["N"])
    assert int(family["ttl"]["N"]) == int(stored["ttl"]["N"]) == created + 30 * DAY
    assert family["gsi1pk"]["S"] == f"SESSIONS_OF#{user['user']['id']}"
    assert family["revoked"]["BOOL"] is False


def test_a_refresh_rotates_the_token_and_keeps_the_session(api, user):
    first = log_in(api, "mobile@example.com")

    second = refresh(api, first["refresh_token"])

    assert second.status == 200
    body = second.json()
    assert body.keys() == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 900)
    assert body["refresh_token"] != first["refresh_token"]
    assert REFRESH.match(body["refresh_token"]).group(1) == REFRESH.match(first["refresh_token"]).group(1)
    assert claims(body["access_token"])["sid"] == claims(first["access_token"])["sid"]
    assert claims(body["access_token"])["jti"] != claims(first["access_token"])["jti"]
    me = api.request("GET", "/v1/users/me", headers=auth(body["access_token"]))
    assert (me.status, me.json()) == (200, user["user"])
    assert second.header("Cache-Control") == PRIVATE_CACHE
    third = refresh(api, body["refresh_token"])
    assert third.status == 200 and third.json()["refresh_token"] not in {
        first["refresh_token"],
        body["refresh_token"],
    }


def test_a_spent_token_presented_after_the_grace_window_revokes_the_whole_family(api, user, clock):
    first = log_in(api, "mobile@example.com")
    other_session = log_in(api, "mobile@example.com")
    second = refresh(api, first["refresh_token"]).json()
    clock(31)

    reused = refresh(api, first["refresh_token"])
    successor = refresh(api, second["refresh_token"])

    assert (reused.status, problem(reused)) == (401, INVALID_REFRESH)
    assert reused.header("WWW-Authenticate") == 'Bearer realm="agenda-api"'
    assert (successor.status, problem(successor)) == (401, INVALID_REFRESH)  # the family is gone
    assert refresh(api, other_session["refresh_token"]).status == 200  # other sessions are not


def test_a_parallel_refresh_within_the_grace_window_gets_the_same_successor(api, user, clock):
    first = log_in(api, "mobile@example.com")
    winner = refresh(api, first["refresh_token"]).json()
    clock(29)

    again = refresh(api, first["refresh_token"])

    assert again.status == 200
    assert again.json()["refresh_token"] == winner["refresh_token"]
    assert claims(again.json()["access_token"])["sid"] == claims(winner["access_token"])["sid"]
    # The successor is still one live token: it rotates once, and the family lives on.
    onwards = refresh(api, winner["refresh_token"])
    assert onwards.status == 200
    assert refresh(api, onwards.json()["refresh_token"]).status == 200


def test_the_grace_window_ends_once_the_successor_itself_was_rotated(api, user):
    first = log_in(api, "mobile@example.com")
    second = refresh(api, first["refresh_token"]).json()
    third = refresh(api, second["refresh_token"]).json()

    # Still within 30 s of its use, but handing out `second` (already spent) would only lead to
    # its reuse: this is treated as reuse now.
    late = refresh(api, first["refresh_token"])

    assert (late.status, problem(late)) == (401, INVALID_REFRESH)
    assert refresh(api, third["refresh_token"]).status == 401


def test_concurrent_refreshes_in_several_containers_rotate_exactly_once(api, aws, user, atomic_requests):
    """Eight containers refresh one token at once: every one of them gets the same successor,
    one rotation is stored, and the family is intact. The reads are held until all containers
    have read, so every one of them reaches the conditional write believing it is first."""
    from agenda_core.services import login_sessions
    from tests.conftest import new_gateway

    token = log_in(api, "mobile@example.com")["refresh_token"]
    containers = [new_gateway(aws) for _ in range(8)]
    barrier, seen = threading.Barrier(len(containers), timeout=120), threading.local()
    original = login_sessions.batch_get

    def read_together(wanted):
        items = original(wanted)
        if not getattr(seen, "once", False):
            seen.once = True
            barrier.wait()
        return items

    rotations = []
    original_rotate = login_sessions._rotate

    def counted_rotate(*args, **kwargs):
        result = original_rotate(*args, **kwargs)
        rotations.append(result is not None)
        return result

    mp = pytest.MonkeyPatch()
    mp.setattr(login_sessions, "batch_get", read_together)
    mp.setattr(login_sessions, "_rotate", counted_rotate)
    try:
        with ThreadPoolExecutor(max_workers=len(containers)) as pool:
            answers = list(pool.map(lambda c: refresh(c, token), containers))
    finally:
        mp.undo()

    assert [a.status for a in answers] == [200] * len(containers)
    successors = {a.json()["refresh_token"] for a in answers}
    assert len(successors) == 1
    # Every container tried to rotate (the race was real); one won, the others found it spent.
    assert (len(rotations), rotations.count(True)) == (len(containers), 1)
    family_id = REFRESH.match(token).group(1)
    family_tokens = [i for i in table_items(aws) if i.get("family_id", {}).get("S") == family_id]
    assert len(family_tokens) == 2  # the spent token and its one successor
    onwards = refresh(api, successors.pop())
    assert onwards.status == 200


def test_a_session_idles_out_after_seven_days_without_a_refresh(api, user, clock):
    kept, idle = log_in(api, "mobile@example.com"), log_in(api, "mobile@example.com")
    clock(6 * DAY)
    kept = refresh(api, kept["refresh_token"]).json()
    clock(DAY + 1)

    assert refresh(api, kept["refresh_token"]).status == 200  # used a day ago
    expired = refresh(api, idle["refresh_token"])  # not used for 7 days and a second
    assert (expired.status, problem(expired)) == (401, INVALID_REFRESH)


def test_a_session_ends_thirty_days_after_login_however_often_it_is_used(api, user, clock):
    pair = log_in(api, "mobile@example.com")
    for _ in range(4):
        clock(6 * DAY)
        answer = refresh(api, pair["refresh_token"])
        assert answer.status == 200
        pair = answer.json()
    clock(6 * DAY + 1)  # 30 days and a second after login; last used 6 days ago

    expired = refresh(api, pair["refresh_token"])

    assert (expired.status, problem(expired)) == (401, INVALID_REFRESH)


@pytest.mark.parametrize(
    "junk",
    [
        "garbage",
        "rt_",
        "rt_01JQ7Z0000000000000000ABCD." + "A" * 43,  # well-formed, unknown
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        "agt_" + "A" * 72,
        "x" * 512,
        "rt_01JQ7Z0000000000000000ABCD." + "A" * 43 + "\n",
    ],
)
def test_anything_but_a_live_refresh_token_is_the_same_401(api, user, junk):
    response = refresh(api, junk)

    assert (response.status, problem(response)) == (401, INVALID_REFRESH)
    assert response.header("WWW-Authenticate") == 'Bearer realm="agenda-api"'


def test_an_access_token_is_not_a_refresh_token_and_the_other_way_round(api, user):
    pair = log_in(api, "mobile@example.com")

    as_refresh = refresh(api, pair["access_token"])
    as_access = api.request("GET", "/v1/users/me", headers=auth(pair["refresh_token"]))

    assert (as_refresh.status, as_refresh.json()["code"]) == (401, "invalid_refresh_token")
    assert (as_access.status, as_access.json()["code"]) == (401, "invalid_token")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, [("/refresh_token", "required")]),
        ({"refresh_token": ""}, [("/refresh_token", "too_short")]),
        ({"refresh_token": "x" * 513}, [("/refresh_token", "too_long")]),
        ({"refresh_token": 12}, [("/refresh_token", "string_type")]),
        ({"refresh_token": "rt_x", "device": "phone"}, [("/device", "unknown_field")]),
    ],
)
def test_malformed_refresh_and_revoke_bodies_are_422_and_change_nothing(api, aws, user, body, errors):
    pair = log_in(api, "mobile@example.com")
    before = table_items(aws)

    for path in ("/v1/auth/refresh", "/v1/auth/revoke"):
        response = api.request("POST", path, json_body=body)
        assert response.status == 422
        assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == errors

    assert table_items(aws) == before
    assert refresh(api, pair["refresh_token"]).status == 200


def test_log_out_ends_the_session_and_only_that_one(api, user):
    phone, laptop = log_in(api, "mobile@example.com"), log_in(api, "mobile@example.com")
    rotated = refresh(api, phone["refresh_token"]).json()

    out = api.request("POST", "/v1/auth/revoke", json_body={"refresh_token": rotated["refresh_token"]})

    assert (out.status, out.body, out.header("Cache-Control")) == (204, b"", PRIVATE_CACHE)
    assert refresh(api, rotated["refresh_token"]).status == 401
    assert refresh(api, laptop["refresh_token"]).status == 200


def test_log_out_with_a_spent_token_of_the_session_ends_it_too(api, user):
    first = log_in(api, "mobile@example.com")
    second = refresh(api, first["refresh_token"]).json()

    out = api.request("POST", "/v1/auth/revoke", json_body={"refresh_token": first["refresh_token"]})

    assert out.status == 204
    assert refresh(api, second["refresh_token"]).status == 401


def test_log_out_answers_204_for_any_token_so_it_is_no_oracle(api, aws, user):
    pair = log_in(api, "mobile@example.com")
    api.request("POST", "/v1/auth/revoke", json_body={"refresh_token": pair["refresh_token"]})
    before = table_items(aws)
    family_id = REFRESH.match(pair["refresh_token"]).group(1)

    answers = [
        api.request("POST", "/v1/auth/revoke", json_body={"refresh_token": token})
        for token in (
            "garbage",
            "rt_01JQ7Z0000000000000000ABCD." + "A" * 43,
            f"rt_{family_id}." + "A" * 43,  # a real family, a made-up secret
            pair["refresh_token"],  # already revoked
        )
    ]

    assert [(a.status, a.body) for a in answers] == [(204, b"")] * 4
    assert table_items(aws) == before  # nothing changed


def test_a_made_up_secret_cannot_end_someone_elses_session(api, user):
    pair = log_in(api, "mobile@example.com")
    family_id = REFRESH.match(pair["refresh_token"]).group(1)

    api.request("POST", "/v1/auth/revoke", json_body={"refresh_token": f"rt_{family_id}." + "B" * 43})

    assert refresh(api, pair["refresh_token"]).status == 200


def test_a_read_that_sees_the_token_spent_but_the_family_not_yet_moved_on_is_no_reuse(api, user, monkeypatch):
    """BatchGetItem is isolated per item, not against a transaction: a racing refresh can read the
    token as spent by a rotation and the family from before it. That is the parallel refresh the
    grace window is for, not reuse."""
    from agenda_core.db.login_session_records import SessionFamilyRecord
    from agenda_core.services import login_sessions
    from agenda_core.services import refresh_token_format as fmt

    first = log_in(api, "mobile@example.com")
    winner = refresh(api, first["refresh_token"]).json()
    original = login_sessions.batch_get

    def family_from_before_the_rotation(wanted):
        items = original(wanted)
        for item in items.values():
            if isinstance(item, SessionFamilyRecord):
                item.current_hash = fmt.token_hash(first["refresh_token"])
        return items

    monkeypatch.setattr(login_sessions, "batch_get", family_from_before_the_rotation)
    racing = refresh(api, first["refresh_token"])
    monkeypatch.undo()

    assert (racing.status, racing.json()["refresh_token"]) == (200, winner["refresh_token"])
    assert refresh(api, winner["refresh_token"]).status == 200  # the family was not revoked


def test_a_refresh_token_in_the_query_string_is_refused_and_not_spent(api, user):
    pair = log_in(api, "mobile@example.com")

    response = api.request(
        "POST",
        f"/v1/auth/refresh?refresh_token={pair['refresh_token']}",
        json_body={"refresh_token": pair["refresh_token"]},
    )

    assert (response.status, response.json()["code"]) == (400, "credentials_in_query")
    assert pair["refresh_token"] not in response.body.decode()
    assert refresh(api, pair["refresh_token"]).status == 200  # untouched
