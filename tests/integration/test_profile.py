"""PATCH /v1/users/me (API.md §2): a merge patch of the name; a password change needs the
current password and ends the account's other sessions; the email is read-only."""

from __future__ import annotations

from typing import Any

import pytest

from agenda_core.settings import get_settings
from tests.builders import PASSWORD, PRIVATE_CACHE, auth, sign_up

NEW_PASSWORD = "a whole new passphrase"


def log_in(api: Any, email: str, password: str = PASSWORD) -> Any:
    return api.request("POST", "/v1/auth/token", json_body={"email": email, "password": password})


def patch_me(api: Any, token: str, body: Any, **headers: str) -> Any:
    return api.request("PATCH", "/v1/users/me", json_body=body, headers={**auth(token), **headers})


def refresh(api: Any, token: str) -> Any:
    return api.request("POST", "/v1/auth/refresh", json_body={"refresh_token": token})


@pytest.fixture
def account(api):
    return sign_up(api, email="profile@example.com", name="Ada")


def test_a_new_name_is_the_whole_user_back_with_a_new_etag(api, account):
    response = patch_me(api, account["token"], {"name": "Ada King"})

    assert response.status == 200
    body = response.json()
    assert body == {**account["user"], "name": "Ada King", "updated_at": body["updated_at"]}
    assert body["updated_at"] > account["user"]["updated_at"]
    me = api.request("GET", "/v1/users/me", headers=account["headers"])
    assert me.json() == body
    assert response.header("ETag") == me.header("ETag")
    assert response.header("Cache-Control") == PRIVATE_CACHE


def test_a_merge_patch_media_type_is_accepted(api, account):
    response = api.request(
        "PATCH",
        "/v1/users/me",
        body='{"name": "Countess"}',
        headers={**account["headers"], "Content-Type": "application/merge-patch+json"},
    )

    assert (response.status, response.json()["name"]) == (200, "Countess")


def test_an_empty_patch_changes_nothing(api, account):
    response = patch_me(api, account["token"], {})

    assert (response.status, response.json()) == (200, account["user"])


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"email": "other@example.com"}, [("/email", "read_only_field")]),
        ({"email": "profile@example.com", "name": "Ada"}, [("/email", "read_only_field")]),
        ({"id": "usr_x"}, [("/id", "read_only_field")]),
        ({"role": "admin"}, [("/role", "unknown_field")]),
        ({"name": None}, [("/name", "invalid_value")]),
        ({"name": ""}, [("/name", "too_short")]),
        ({"name": "x" * 201}, [("/name", "too_long")]),
        ({"password": "short", "current_password": PASSWORD}, [("/password", "too_short")]),
        ({"password": "x" * 257, "current_password": PASSWORD}, [("/password", "too_long")]),
        ({"password": NEW_PASSWORD}, [("/current_password", "required")]),
        ({"current_password": PASSWORD}, [("/password", "required")]),
        ({"password": NEW_PASSWORD, "current_password": "x" * 257}, [("/current_password", "too_long")]),
        ({"password": None, "current_password": PASSWORD}, [("/password", "invalid_value")]),
    ],
)
def test_bad_patches_are_a_422_naming_the_field_and_change_nothing(api, account, body, errors):
    response = patch_me(api, account["token"], body)

    assert response.status == 422
    assert response.header("Content-Type") == "application/problem+json"
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == errors
    me = api.request("GET", "/v1/users/me", headers=account["headers"])
    assert me.json() == account["user"]
    assert log_in(api, "profile@example.com").status == 200


def test_a_wrong_current_password_is_a_422_at_current_password(api, account):
    response = patch_me(api, account["token"], {"password": NEW_PASSWORD, "current_password": "wrong one!"})

    assert response.status == 422
    body = {k: v for k, v in response.json().items() if k != "request_id"}
    assert body == {
        "type": "about:blank",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "/current_password: is not the current password.",
        "instance": "/v1/users/me",
        "code": "validation_failed",
        "errors": [
            {
                "pointer": "/current_password",
                "code": "incorrect_password",
                "detail": "/current_password: is not the current password.",
            }
        ],
    }
    assert log_in(api, "profile@example.com", NEW_PASSWORD).status == 401
    assert log_in(api, "profile@example.com").status == 200


def test_wrong_current_passwords_count_as_failed_logins(api, account):
    limit = get_settings().login_failures_per_email
    answers = [
        patch_me(api, account["token"], {"password": NEW_PASSWORD, "current_password": f"guess {n}"}).status
        for n in range(limit)
    ]

    right = patch_me(api, account["token"], {"password": NEW_PASSWORD, "current_password": PASSWORD})

    assert answers == [422] * limit
    assert (right.status, right.json()["code"]) == (429, "too_many_attempts")
    assert right.header("Retry-After")
    assert log_in(api, "profile@example.com").status == 429  # the same counter


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(api, account):
    this = log_in(api, "profile@example.com").json()
    phone = log_in(api, "profile@example.com").json()
    laptop = log_in(api, "profile@example.com").json()
    laptop = refresh(api, laptop["refresh_token"]).json()  # a rotated session ends too

    response = patch_me(
        api, this["access_token"], {"password": NEW_PASSWORD, "current_password": PASSWORD, "name": "Ada L."}
    )

    assert response.status == 200
    assert response.json() == {
        **account["user"],
        "name": "Ada L.",
        "updated_at": response.json()["updated_at"],
    }
    assert refresh(api, phone["refresh_token"]).status == 401
    assert refresh(api, laptop["refresh_token"]).status == 401
    assert refresh(api, this["refresh_token"]).status == 200
    assert log_in(api, "profile@example.com").status == 401
    assert log_in(api, "profile@example.com", NEW_PASSWORD).status == 200
    assert PASSWORD not in response.body.decode() and NEW_PASSWORD not in response.body.decode()


def test_if_match_is_honoured(api, account):
    etag = api.request("GET", "/v1/users/me", headers=account["headers"]).header("ETag")
    patch_me(api, account["token"], {"name": "Someone else got here first"})

    stale = patch_me(api, account["token"], {"name": "Mine"}, **{"If-Match": etag})
    current = api.request("GET", "/v1/users/me", headers=account["headers"]).header("ETag")
    fresh = patch_me(api, account["token"], {"name": "Mine"}, **{"If-Match": current})
    anything = patch_me(api, account["token"], {"name": "Mine again"}, **{"If-Match": "*"})

    assert (stale.status, stale.json()["code"]) == (412, "precondition_failed")
    assert (fresh.status, fresh.json()["name"]) == (200, "Mine")
    assert (anything.status, anything.json()["name"]) == (200, "Mine again")
    stale_password = patch_me(
        api, account["token"], {"password": NEW_PASSWORD, "current_password": PASSWORD}, **{"If-Match": etag}
    )
    assert stale_password.status == 412
    assert log_in(api, "profile@example.com").status == 200  # the password did not change


def test_a_rename_is_one_request(api, account):
    from bench.ddb_requests import recording

    with recording() as calls:
        response = patch_me(api, account["token"], {"name": "Counted"})

    assert response.status == 200
    assert [c.operation for c in calls if c.service == "dynamodb"] == ["UpdateItem"]


def test_only_a_signed_in_session_may_change_the_account(api, account):
    anonymous = api.request("PATCH", "/v1/users/me", json_body={"name": "x"})
    created = api.request(
        "POST",
        "/v1/users/me/tokens",
        json_body={"name": "CI", "scopes": ["read", "write"]},
        headers=account["headers"],
    )
    assert created.status == 201, created.body
    with_api_token = patch_me(api, created.json()["token"], {"name": "x"})

    assert (anonymous.status, anonymous.header("WWW-Authenticate")) == (401, 'Bearer realm="agenda-api"')
    assert (with_api_token.status, with_api_token.json()["code"]) == (403, "insufficient_scope")
    assert api.request("GET", "/v1/users/me", headers=account["headers"]).json() == account["user"]
