"""Sign-up, login and "me" (API.md §2) through the API as API Gateway serves it."""

from __future__ import annotations

import re

from tests.builders import PASSWORD, PRIVATE_CACHE, auth, sign_up
from tests.conftest import BASE_URL

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_sign_up_returns_the_user_without_any_secret(api):
    response = api.request(
        "POST", "/v1/users", json_body={"email": "Grace@Example.COM", "password": PASSWORD, "name": "Grace"}
    )

    assert response.status == 201
    body = response.json()
    assert re.match(r"^usr_[0-9A-HJKMNP-TV-Z]{26}$", body["id"])
    assert TIMESTAMP.match(body["created_at"]) and body["created_at"] == body["updated_at"]
    assert body == {
        "id": body["id"],
        "url": f"{BASE_URL}/v1/users/me",
        "email": "grace@example.com",
        "name": "Grace",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert response.header("Location") == f"{BASE_URL}/v1/users/me"
    assert PASSWORD not in response.body.decode()


def test_an_email_signs_up_once_whatever_its_case(api):
    sign_up(api, email="twice@example.com")

    again = api.request(
        "POST", "/v1/users", json_body={"email": "TWICE@example.com", "password": PASSWORD, "name": "Other"}
    )

    assert again.status == 409
    assert again.json()["code"] == "email_taken"
    assert again.header("Content-Type") == "application/problem+json"


def test_sign_up_validation_names_every_bad_field(api):
    response = api.request(
        "POST",
        "/v1/users",
        json_body={"email": "not-an-email", "password": "short", "name": "", "id": "usr_x", "admin": True},
    )

    assert response.status == 422
    errors = {(e["pointer"], e["code"]) for e in response.json()["errors"]}
    assert errors == {
        ("/email", "invalid_value"),
        ("/password", "too_short"),
        ("/name", "too_short"),
        ("/id", "read_only_field"),
        ("/admin", "unknown_field"),
    }


def test_login_gives_a_bearer_token_that_opens_me(api):
    account = sign_up(api, email="me@example.com", name="Me")

    me = api.request("GET", "/v1/users/me", headers=account["headers"])

    assert me.status == 200
    assert me.json() == account["user"]
    assert me.header("Cache-Control") == PRIVATE_CACHE


def test_unknown_email_and_wrong_password_get_the_same_answer(api):
    sign_up(api, email="known@example.com")

    wrong_password = api.request(
        "POST", "/v1/auth/token", json_body={"email": "known@example.com", "password": "wrong password!"}
    )
    unknown_email = api.request(
        "POST", "/v1/auth/token", json_body={"email": "nobody@example.com", "password": "wrong password!"}
    )

    for response in (wrong_password, unknown_email):
        assert response.status == 401
        assert response.header("WWW-Authenticate") == 'Bearer realm="agenda-api"'
    strip = lambda r: {k: v for k, v in r.json().items() if k != "request_id"}  # noqa: E731
    assert (
        strip(wrong_password)
        == strip(unknown_email)
        == {
            "type": "about:blank",
            "title": "Unauthorized",
            "status": 401,
            "detail": "The email or password is not correct.",
            "instance": "/v1/auth/token",
            "code": "invalid_credentials",
        }
    )


def test_me_needs_a_valid_token(api):
    missing = api.request("GET", "/v1/users/me")
    garbage = api.request("GET", "/v1/users/me", headers=auth("not.a.jwt"))
    basic = api.request("GET", "/v1/users/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})

    assert [r.status for r in (missing, garbage, basic)] == [401, 401, 401]
    assert [r.json()["code"] for r in (missing, garbage, basic)] == [
        "unauthorized",
        "invalid_token",
        "invalid_token",
    ]
    assert all(r.header("WWW-Authenticate") for r in (missing, garbage, basic))


def test_a_token_signed_with_another_key_is_refused(api):
    import jwt

    account = sign_up(api)
    claims = jwt.decode(account["token"], options={"verify_signature": False})
    forged = jwt.encode(
        claims, "another-key-of-enough-length-0123456789", algorithm="HS256", headers={"kid": "k1"}
    )
    unsigned = jwt.encode(claims, None, algorithm="none")

    for token in (forged, unsigned):
        response = api.request("GET", "/v1/users/me", headers=auth(token))
        assert response.status == 401
        assert response.json()["code"] == "invalid_token"


def test_tokens_in_the_query_string_are_refused(api):
    account = sign_up(api)

    response = api.request("GET", f"/v1/users/me?access_token={account['token']}", headers=account["headers"])

    assert response.status == 400
    assert response.json()["code"] == "credentials_in_query"
    assert account["token"] not in response.body.decode()


def test_me_has_an_etag_and_answers_304(api):
    account = sign_up(api)
    first = api.request("GET", "/v1/users/me", headers=account["headers"])

    again = api.request(
        "GET", "/v1/users/me", headers={**account["headers"], "If-None-Match": first.header("ETag")}
    )

    assert first.header("ETag").startswith('"') and not first.header("ETag").startswith("W/")
    assert (again.status, again.body, again.header("ETag")) == (304, b"", first.header("ETag"))
