"""The canary watch of tests/canaries.py finds what it must, and only that.

First the detector alone, on made-up records (so each rule can be seen to fail); then leaks planted
in the real handlers, read through the same hooks as the rest of the suite (`canary_watch` keeps
them out of the session's verdict); last, a whole pytest session with a leak in it exits 1.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests import builders, canaries
from tests.canaries import Detector

ROOT = Path(__file__).resolve().parents[2]

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3JfMDEifQ.c2lnbmF0dXJlLW9mLWEtdGVzdC10b2tlbg"
REFRESH = "rt_01JQ0000000000000000000000." + "A" * 20 + "b" * 23
API_TOKEN = "agt_01JQ0000000000000000000000" + "x" * 40 + "Ab12Cd"


def json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


def labels(detector: Detector) -> list[tuple[str, str]]:
    return [(finding.where, finding.canary) for finding in detector.flush("test")]


# -- the detector ------------------------------------------------------------------------------


def test_a_password_is_found_in_a_log_line_and_in_a_response() -> None:
    detector = Detector()
    detector.add("canary-password-42", "a password")
    detector.text("log agenda-api", '{"message": "login", "password": "canary-password-42"}')
    detector.response("POST", "/v1/users", 422, [], json_bytes({"detail": "bad: canary-password-42"}))
    detector.response("POST", "/v1/users", 201, [], json_bytes({"id": "usr_1", "name": "Ada"}))

    assert labels(detector) == [
        ("log agenda-api", "a password"),
        ("response POST /v1/users -> 422", "a password"),
    ]


def test_a_password_is_found_json_escaped_and_never_shown_in_the_report() -> None:
    detector = Detector()
    detector.add('pass"word\\canary', "a password")
    detector.response("GET", "/v1/x", 400, [], json_bytes({"detail": 'pass"word\\canary'}))

    (finding,) = detector.flush("test")
    assert finding.canary == "a password"
    assert "canary" not in finding.excerpt
    assert "<a password>" in finding.excerpt


def test_values_that_would_turn_up_by_chance_are_no_canaries() -> None:
    detector = Detector()
    detector.add("short", "too short")
    detector.add("x" * 300, "too plain")
    detector.text("log", "short " + "x" * 400)

    assert labels(detector) == []


@pytest.mark.parametrize(
    "encode",
    [
        lambda raw: raw.hex(),
        lambda raw: base64.b64encode(raw).decode(),
        lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ],
    ids=["hex", "base64", "base64url"],
)
def test_key_material_is_found_in_every_encoding_even_inside_a_longer_run(encode: Any) -> None:
    derived = bytes(range(200, 232))
    detector = Detector()
    detector.add_key(derived, "a derived key")
    detector.text("log agenda-api", f"cursor key abc{encode(derived)}def")

    assert labels(detector) == [("log agenda-api", "a derived key")]


def test_the_secret_key_itself_is_found() -> None:
    key = "Zq8" * 21 + "x"  # 64 characters, like the template's generated key
    detector = Detector()
    detector.add_key(key, "the signing key")
    detector.response("GET", "/v1/health", 503, [], json_bytes({"detail": f"secret {key}"}))

    assert labels(detector) == [("response GET /v1/health -> 503", "the signing key")]


def test_an_argon2_hash_is_found_anywhere_and_a_traceback_in_responses() -> None:
    detector = Detector()
    hashed = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
    detector.text("log agenda-api", f"user {hashed}")
    detector.response("GET", "/v1/users/me", 200, [], json_bytes({"password_hash": hashed}))
    detector.text("log agenda-api", "Traceback (most recent call last): ...")  # a log may hold one
    detector.response("GET", "/v1/x", 500, [], b"Traceback (most recent call last):\n  File ...")

    assert labels(detector) == [
        ("log agenda-api", "an Argon2 password hash"),
        ("response GET /v1/users/me -> 200", "an Argon2 password hash"),
        ("response GET /v1/x -> 500", "a Python traceback"),
    ]


def issue_login(detector: Detector, *, access: str = JWT, refresh: str = REFRESH) -> None:
    body = {"access_token": access, "token_type": "Bearer", "expires_in": 900, "refresh_token": refresh}
    detector.response("POST", "/v1/auth/token", 200, [], json_bytes(body))


def test_issued_tokens_are_allowed_in_their_issuing_response_only() -> None:
    detector = Detector()
    # The handler logged the refresh token before its response existed: still a leak.
    detector.text("log agenda-api", f"session started {REFRESH}")
    issue_login(detector)
    detector.response("GET", "/v1/users/me", 200, [], json_bytes({"note": JWT}))
    detector.response("POST", "/v1/auth/refresh", 422, [], json_bytes({"detail": f"bad {REFRESH}"}))

    assert labels(detector) == [
        ("log agenda-api", "a token issued by response POST /v1/auth/token -> 200, logged"),
        ("response GET /v1/users/me -> 200", "a token issued by response POST /v1/auth/token -> 200"),
        ("response POST /v1/auth/refresh -> 422", "a token issued by response POST /v1/auth/token -> 200"),
    ]


def test_a_token_nobody_issued_is_found_too() -> None:
    detector = Detector()
    detector.text("log agenda-api", f"Authorization: Bearer {API_TOKEN}")

    assert labels(detector) == [("log agenda-api", "a token, logged")]


def test_a_token_twice_in_its_issuing_response_or_issued_twice_is_found() -> None:
    detector = Detector()
    body = json_bytes({"id": "tok_1", "token": API_TOKEN})
    detector.response("POST", "/v1/users/me/tokens", 201, [("Location", f"/x/{API_TOKEN}")], body)
    issue_login(detector)
    issue_login(detector, access=JWT + "x")  # the same refresh token from a second login

    assert sorted(labels(detector)) == [
        ("response POST /v1/auth/token -> 200", "a token issued before, issued again"),
        (
            "response POST /v1/users/me/tokens -> 201",
            "a token issued by response POST /v1/users/me/tokens -> 201",
        ),
    ]


def test_an_idempotent_replay_and_the_refresh_grace_window_reissue_legitimately() -> None:
    detector = Detector()
    body = json_bytes({"id": "tok_1", "token": API_TOKEN})
    detector.response("POST", "/v1/users/me/tokens", 201, [], body)
    detector.response("POST", "/v1/users/me/tokens", 201, [("Idempotent-Replayed", "true")], body)
    successor = {"access_token": JWT, "token_type": "Bearer", "expires_in": 900, "refresh_token": REFRESH}
    detector.response("POST", "/v1/auth/refresh", 200, [], json_bytes(successor))
    successor["access_token"] = JWT + "y"  # a parallel refresh: a new access token, the same successor
    detector.response("POST", "/v1/auth/refresh", 200, [], json_bytes(successor))
    assert labels(detector) == []

    other = json_bytes({"id": "tok_1", "token": API_TOKEN, "name": "changed"})
    detector.response("POST", "/v1/users/me/tokens", 201, [("Idempotent-Replayed", "true")], other)
    assert labels(detector) == [
        ("response POST /v1/users/me/tokens -> 201", "a token issued before, issued again")
    ]


def test_an_ordinary_run_finds_nothing() -> None:
    detector = Detector()
    detector.add(builders.PASSWORD, "tests.builders.PASSWORD")
    detector.add_key("k" * 8 + "Q1w2E3r4T5y6U7i8O9p0" * 3, "the signing key")
    user = {"id": "usr_01JQ0000000000000000000000", "email": "ada@example.com", "name": "Ada"}
    detector.response(
        "POST", "/v1/users", 201, [("Location", "http://testserver/v1/users/me")], json_bytes(user)
    )
    issue_login(detector)
    detector.text("log agenda-api", '{"level": "INFO", "message": "user created", "user_id": "usr_01JQ"}')
    detector.text("captured stdout call", '{"_aws": {"Timestamp": 1}, "Requests": [1.0]}')

    assert labels(detector) == []


# -- through the real handlers -----------------------------------------------------------------


def test_the_whole_run_is_watched(api: Any) -> None:
    """This session's responses and log lines reach the detector (the plugin is registered)."""
    assert canaries.is_active()
    with canaries.watching() as detector:
        api.request("GET", "/v1/health")
        import logging

        logging.getLogger("agenda-api.canary-test").warning("a line")
    detector.flush("test")
    assert detector.responses_read == 1
    assert detector.lines_read >= 1


def test_a_password_a_handler_logs_is_caught(api: Any, canary_watch: Detector, monkeypatch: Any) -> None:
    from agenda_core.observability import logger
    from agenda_core.services import passwords

    hash_password = passwords.hash_password

    def leaky(password: str) -> str:
        logger.info("hashing", extra={"password": password})  # INFO: below the suite's own level
        return hash_password(password)

    monkeypatch.setattr(passwords, "hash_password", leaky)
    body = {"email": "leaky@example.com", "password": "planted-canary-password-1", "name": "Leaky"}
    assert api.request("POST", "/v1/users", json_body=body).status == 201

    assert ("log agenda-api", "a password a test sent") in [
        (finding.where, finding.canary) for finding in canary_watch.flush("test")
    ]


def test_a_hash_or_the_key_in_a_response_is_caught(
    api: Any, canary_watch: Detector, monkeypatch: Any
) -> None:
    from agenda_core.errors import NotFound
    from agenda_core.integrations import secrets
    from agenda_core.services import users

    user = builders.sign_up(api)

    def leaky_get_me(caller: Any, base_url: str) -> Any:
        hashed = "$argon2id$v=19$m=65536,t=3,p=4$planted$planted"
        raise NotFound(f"debug: {hashed} {secrets.signing_key().secret.decode()}")

    monkeypatch.setattr(users, "get_me", leaky_get_me)
    assert api.request("GET", "/v1/users/me", headers=user["headers"]).status == 404

    found = {(finding.where, finding.canary) for finding in canary_watch.flush("test")}
    assert ("response GET /v1/users/me -> 404", "an Argon2 password hash") in found
    assert ("response GET /v1/users/me -> 404", "the signing key (the secret's `key`)") in found


def test_a_refresh_token_a_handler_logs_is_caught(api: Any, canary_watch: Detector, monkeypatch: Any) -> None:
    from agenda_core.observability import logger
    from agenda_core.services import login_sessions

    start_session = login_sessions.start_session

    def leaky(*args: Any, **kwargs: Any) -> Any:
        tokens = start_session(*args, **kwargs)
        logger.debug(f"session {tokens.refresh_token}")  # DEBUG: the watch lowers the level to it
        return tokens

    monkeypatch.setattr(login_sessions, "start_session", leaky)
    builders.sign_up(api)  # logs in

    assert ("log agenda-api", "a token issued by response POST /v1/auth/token -> 200, logged") in [
        (finding.where, finding.canary) for finding in canary_watch.flush("test")
    ]


# -- the verdict -------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [["-p", "no:xdist"], ["-n", "2"]], ids=["one-process", "xdist-workers"])
def test_a_session_with_a_leak_fails_at_its_end(tmp_path: Path, workers: list[str]) -> None:
    # With pytest-xdist the leak happens in a worker, and the controller must report it and fail.
    (tmp_path / "test_leak.py").write_text(
        textwrap.dedent(
            """
            import logging

            from tests import canaries


            def test_passes_but_leaks():
                canaries.session_detector().add("synthetic-canary-secret-1", "a synthetic canary")
                logging.getLogger("leaky").warning("here: synthetic-canary-secret-1")
            """
        )
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.canaries",
            "-q",
            "-p",
            "no:cacheprovider",
            *workers,
            str(tmp_path),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "1 passed" in run.stdout, run.stdout + run.stderr
    assert run.returncode == 1, run.stdout + run.stderr
    assert "canary secrets found" in run.stdout
    assert "test_passes_but_leaks: a synthetic canary in log leaky" in run.stdout
    assert "synthetic-canary-secret-1" not in run.stdout.split("canary secrets found")[1]
