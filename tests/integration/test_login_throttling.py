"""Logins and sign-ups that resist guessing (RELIABILITY.md "login throttling"): failed logins
per normalised email and per source IP, sign-ups per source IP; 429 + Retry-After while
throttled, even with the right password; known and unknown emails indistinguishable."""

from __future__ import annotations

from typing import Any

import pytest

from agenda_core.settings import get_settings
from tests.builders import PASSWORD, sign_up

SETTINGS = get_settings()
WRONG = "not the password at all"


def log_in(api: Any, email: str, password: str = PASSWORD, ip: str = "203.0.113.1") -> Any:
    return api.request(
        "POST", "/v1/auth/token", json_body={"email": email, "password": password}, remote_addr=ip
    )


def sign_up_from(api: Any, email: str, ip: str) -> Any:
    return api.request(
        "POST",
        "/v1/users",
        json_body={"email": email, "password": PASSWORD, "name": "Guess"},
        remote_addr=ip,
    )


def without_request_id(response: Any) -> dict[str, Any]:
    return {k: v for k, v in response.json().items() if k != "request_id"}


THROTTLED = {
    "type": "about:blank",
    "title": "Too Many Requests",
    "status": 429,
    "detail": "Too many attempts; try again later.",
    "instance": "/v1/auth/token",
    "code": "too_many_attempts",
}


@pytest.fixture
def known(api):
    return sign_up(api, email="known@example.com")


def _fail_email(api: Any, email: str, times: int) -> list[Any]:
    # From a new address each time: only the per-email limit is in play.
    return [log_in(api, email, WRONG, ip=f"198.51.100.{n + 1}") for n in range(times)]


def test_failed_logins_per_email_throttle_even_the_right_password(api, known):
    failures = _fail_email(api, "known@example.com", SETTINGS.login_failures_per_email)

    right = log_in(api, "Known@Example.com ", ip="192.0.2.50")  # normalised: the same email

    assert [r.status for r in failures] == [401] * SETTINGS.login_failures_per_email
    assert (right.status, without_request_id(right)) == (429, THROTTLED)
    assert 0 < int(right.header("Retry-After")) <= SETTINGS.login_window_seconds
    assert right.header("Content-Type") == "application/problem+json"
    assert log_in(api, "someone-else@example.com", WRONG, ip="192.0.2.50").status == 401  # not throttled


def test_known_and_unknown_emails_are_throttled_alike(api, known):
    known_answers = _fail_email(api, "known@example.com", SETTINGS.login_failures_per_email + 1)
    unknown_answers = _fail_email(api, "unknown@example.com", SETTINGS.login_failures_per_email + 1)

    statuses = [401] * SETTINGS.login_failures_per_email + [429]
    assert [r.status for r in known_answers] == [r.status for r in unknown_answers] == statuses
    for mine, theirs in zip(known_answers, unknown_answers, strict=True):
        assert without_request_id(mine) == without_request_id(theirs)
        assert mine.header("WWW-Authenticate") == theirs.header("WWW-Authenticate")


def test_both_paths_cost_the_same_hashing_and_the_same_requests(api, known, monkeypatch):
    """Timing: an unknown email verifies against a dummy hash, and counts its failure with the
    same write as a known one."""
    from agenda_core.services import passwords
    from bench.ddb_requests import recording

    checks: list[str] = []
    original = passwords.verify_password
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: checks.append("verify") or original(h, p))

    with recording() as known_calls:
        log_in(api, "known@example.com", WRONG)
    with recording() as unknown_calls:
        log_in(api, "unknown@example.com", WRONG)

    assert checks == ["verify", "verify"]
    known_ops = [c.operation for c in known_calls if c.service == "dynamodb"]
    unknown_ops = [c.operation for c in unknown_calls if c.service == "dynamodb"]
    assert known_ops == unknown_ops == ["BatchGetItem", "TransactWriteItems"]


def test_a_good_login_is_one_read_and_one_write(api, known):
    from bench.ddb_requests import recording

    with recording() as calls:
        response = log_in(api, "known@example.com")

    assert response.status == 200
    assert [c.operation for c in calls if c.service == "dynamodb"] == ["BatchGetItem", "TransactWriteItems"]


def test_a_throttled_login_costs_one_read_and_no_hashing(api, known, monkeypatch):
    from agenda_core.services import passwords
    from bench.ddb_requests import recording

    _fail_email(api, "known@example.com", SETTINGS.login_failures_per_email)
    monkeypatch.setattr(passwords, "verify_password", lambda h, p: pytest.fail("hashed while throttled"))

    with recording() as calls:
        response = log_in(api, "known@example.com")

    assert response.status == 429
    assert [c.operation for c in calls if c.service == "dynamodb"] == ["BatchGetItem"]


def test_failed_logins_per_source_ip_throttle_every_email_from_it(api, known):
    answers = [
        log_in(api, f"guess{n}@example.com", WRONG, ip="203.0.113.9")
        for n in range(SETTINGS.login_failures_per_ip)
    ]

    from_there = log_in(api, "known@example.com", ip="203.0.113.9")
    elsewhere = log_in(api, "known@example.com", ip="203.0.113.10")

    assert [a.status for a in answers] == [401] * SETTINGS.login_failures_per_ip
    assert (from_there.status, without_request_id(from_there)) == (429, THROTTLED)
    assert elsewhere.status == 200


def test_an_ipv6_client_is_counted_per_64(api, known):
    for n in range(SETTINGS.login_failures_per_ip):
        log_in(api, f"guess{n}@example.com", WRONG, ip=f"2001:db8:0:1::{n + 1:x}")

    same_64 = log_in(api, "known@example.com", ip="2001:db8:0:1:ffff::1")
    other_64 = log_in(api, "known@example.com", ip="2001:db8:0:2::1")

    assert (same_64.status, other_64.status) == (429, 200)


def test_successful_logins_do_not_count(api, known):
    answers = [log_in(api, "known@example.com") for _ in range(SETTINGS.login_failures_per_email + 2)]

    assert [a.status for a in answers] == [200] * (SETTINGS.login_failures_per_email + 2)


def test_the_throttle_lifts_when_its_window_ends(api, known, clock):
    _fail_email(api, "known@example.com", SETTINGS.login_failures_per_email)
    assert log_in(api, "known@example.com").status == 429

    clock(SETTINGS.login_window_seconds)

    assert log_in(api, "known@example.com").status == 200


SIGNUP_THROTTLED = {**THROTTLED, "instance": "/v1/users"}


def test_sign_ups_per_source_ip_are_limited(api):
    created = [
        sign_up_from(api, f"new{n}@example.com", "203.0.113.20") for n in range(SETTINGS.signups_per_ip)
    ]

    refused = sign_up_from(api, "one-more@example.com", "203.0.113.20")
    elsewhere = sign_up_from(api, "one-more@example.com", "203.0.113.21")

    assert [c.status for c in created] == [201] * SETTINGS.signups_per_ip
    assert (refused.status, without_request_id(refused)) == (429, SIGNUP_THROTTLED)
    assert 0 < int(refused.header("Retry-After")) <= SETTINGS.signup_window_seconds
    assert elsewhere.status == 201  # the refused one created nothing: its email was still free


def test_probing_for_taken_emails_counts_and_a_throttled_probe_learns_nothing(api):
    sign_up_from(api, "taken@example.com", "203.0.113.30")
    probes = [sign_up_from(api, "taken@example.com", "203.0.113.31") for _ in range(SETTINGS.signups_per_ip)]

    again = sign_up_from(api, "taken@example.com", "203.0.113.31")
    free = sign_up_from(api, "free@example.com", "203.0.113.31")

    assert [p.status for p in probes] == [409] * SETTINGS.signups_per_ip
    assert (again.status, free.status) == (429, 429)  # taken or not: the same answer
    assert without_request_id(again) == without_request_id(free) == SIGNUP_THROTTLED


def test_a_sign_up_is_one_transaction(api):
    from bench.ddb_requests import recording

    with recording() as calls:
        response = sign_up_from(api, "counted@example.com", "203.0.113.40")

    assert response.status == 201
    assert [c.operation for c in calls if c.service == "dynamodb"] == ["TransactWriteItems"]


def test_a_container_refuses_a_throttled_source_before_hashing(api, monkeypatch):
    from agenda_core.services import passwords
    from bench.ddb_requests import recording

    for n in range(SETTINGS.signups_per_ip + 1):
        sign_up_from(api, f"fill{n}@example.com", "203.0.113.50")
    monkeypatch.setattr(passwords, "hash_password", lambda p: pytest.fail("hashed while throttled"))

    with recording() as calls:
        response = sign_up_from(api, "later@example.com", "203.0.113.50")

    assert response.status == 429
    assert [c for c in calls if c.service == "dynamodb"] == []


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"email": "a@example.com"}, [("/password", "required")]),
        ({"email": "a@example.com", "password": "x" * 257}, [("/password", "too_long")]),
        ({"email": "a" * 255, "password": "x"}, [("/email", "too_long")]),
        ({"email": "a@example.com", "password": ""}, [("/password", "too_short")]),
        ({"email": ["a@example.com"], "password": "x"}, [("/email", "string_type")]),
        (
            {"email": "a@example.com", "password": "x", "remember_me": True},
            [("/remember_me", "unknown_field")],
        ),
    ],
)
def test_malformed_credentials_are_a_422_and_count_nothing(api, known, body, errors):
    for _ in range(SETTINGS.login_failures_per_email + 1):
        response = api.request("POST", "/v1/auth/token", json_body=body, remote_addr="203.0.113.60")
        assert response.status == 422
        assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == errors

    assert log_in(api, "known@example.com", ip="203.0.113.60").status == 200
