"""Access tokens to RFC 8725 (RELIABILITY.md "access token"): one pinned algorithm, required
claims, issuer and audience checked, ≤ 60 s leeway, keys named by kid and rotated by kid.
Every refusal is a 401 with WWW-Authenticate."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from tests.builders import PASSWORD, auth, sign_up

WWW_AUTHENTICATE = 'Bearer realm="agenda-api"'


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def secret_value(aws: dict[str, str]) -> dict[str, Any]:
    import boto3

    client = boto3.client("secretsmanager", region_name="us-east-1")
    return json.loads(client.get_secret_value(SecretId=aws["TokenSigningKeySecret"])["SecretString"])


def put_secret(aws: dict[str, str], value: dict[str, Any]) -> None:
    import boto3

    client = boto3.client("secretsmanager", region_name="us-east-1")
    client.put_secret_value(SecretId=aws["TokenSigningKeySecret"], SecretString=json.dumps(value))


def jwt_key(raw_key: str) -> bytes:
    """What the API signs JWTs with: a key derived from the secret's (integrations/secrets.py)."""
    from agenda_core.integrations.secrets import SigningKey

    return SigningKey("any", raw_key.encode()).derive("jwt")


class Minter:
    """Signs claims the way the API does, so each vector changes exactly one thing."""

    def __init__(self, aws: dict[str, str], claims: dict[str, Any]) -> None:
        value = secret_value(aws)
        self.kid, self.key = value["kid"], jwt_key(value["key"])
        self.claims = claims

    def token(
        self,
        *,
        drop: str | None = None,
        alg: str = "HS256",
        key: bytes | None = None,
        headers: dict[str, Any] | None = None,
        **changes: Any,
    ) -> str:
        claims = {**self.claims, **changes}
        if drop:
            del claims[drop]
        header = {"kid": self.kid, "typ": "at+jwt", **(headers or {})}
        header = {k: v for k, v in header.items() if v is not None}
        return jwt.encode(claims, key or self.key, algorithm=alg, headers=header)


@pytest.fixture
def account(api):
    return sign_up(api, email="claims@example.com")


@pytest.fixture
def minter(aws, account) -> Minter:
    claims = jwt.decode(account["token"], options={"verify_signature": False})
    return Minter(aws, claims)


def me(api: Any, token: str) -> Any:
    return api.request("GET", "/v1/users/me", headers=auth(token))


def test_the_api_signs_hs256_with_kid_and_every_required_claim(api, account):
    header = jwt.get_unverified_header(account["token"])
    claims = jwt.decode(account["token"], options={"verify_signature": False})

    assert header == {"alg": "HS256", "typ": "at+jwt", "kid": "k1"}
    assert claims.keys() == {"iss", "aud", "sub", "sid", "iat", "exp", "jti"}
    assert (claims["iss"], claims["aud"], claims["sub"]) == (
        "agenda-api",
        "agenda-api",
        account["user"]["id"],
    )
    assert claims["exp"] - claims["iat"] == 900


def test_a_token_minted_like_the_apis_is_accepted(api, minter):
    """The control for the vectors below: only what each of them changes makes it fail."""
    assert me(api, minter.token()).status == 200
    assert me(api, minter.token(jti="another")).status == 200


def test_expiry_has_a_leeway_of_sixty_seconds(api, minter):
    now = int(time.time())

    within = me(api, minter.token(iat=now - 1000, exp=now - 30))
    beyond = me(api, minter.token(iat=now - 1000, exp=now - 61))

    assert within.status == 200
    assert (beyond.status, beyond.json()["code"]) == (401, "token_expired")
    assert beyond.header("WWW-Authenticate") == WWW_AUTHENTICATE


def _hand_made(m: Minter, header: dict[str, Any]) -> str:
    """Signed with the right key by hand, whatever the header says (PyJWT would refuse some)."""
    import hashlib
    import hmac

    encoded = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(m.claims).encode())
    signature = hmac.new(m.key, encoded.encode(), hashlib.sha256).digest()
    return f"{encoded}.{_b64(signature)}"


def _rs256_header_with_an_hmac_signature(m: Minter) -> str:
    return _hand_made(m, {"alg": "RS256", "typ": "at+jwt", "kid": m.kid})


def _unsigned(m: Minter) -> str:
    return jwt.encode(m.claims, None, algorithm="none", headers={"kid": m.kid, "typ": "at+jwt"})


def _without(claim: str) -> Callable[[Minter], str]:
    return lambda m: m.token(drop=claim)


VECTORS: dict[str, Callable[[Minter], str]] = {
    "alg none": _unsigned,
    "alg none, signature kept": lambda m: _unsigned(m) + m.token().rsplit(".", 1)[1],
    "HS512 with the right key": lambda m: m.token(alg="HS512"),
    "HS384 with the right key": lambda m: m.token(alg="HS384"),
    "RS256 header (key confusion)": _rs256_header_with_an_hmac_signature,
    "bad signature (another key)": lambda m: m.token(key=secrets.token_bytes(32)),
    "bad signature (the raw secret, not the derived key)": lambda m: m.token(key=b"k" * 32),
    "signature cut off": lambda m: m.token().rsplit(".", 1)[0] + ".",
    "expired beyond the leeway": lambda m: m.token(exp=int(time.time()) - 3600),
    "issued in the future": lambda m: m.token(iat=int(time.time()) + 3600),
    "wrong audience": lambda m: m.token(aud="another-api"),
    "audience list": lambda m: m.token(aud=["agenda-api", "another-api"]),
    "wrong issuer": lambda m: m.token(iss="https://evil.example.com"),
    "unknown kid": lambda m: m.token(headers={"kid": "k9"}),
    "no kid": lambda m: m.token(headers={"kid": None}),
    "kid not a string": lambda m: _hand_made(m, {"alg": "HS256", "typ": "at+jwt", "kid": 1}),
    "kid too long": lambda m: _hand_made(m, {"alg": "HS256", "typ": "at+jwt", "kid": m.kid + "x" * 64}),
    "alg in lower case": lambda m: _hand_made(m, {"alg": "hs256", "typ": "at+jwt", "kid": m.kid}),
    "no typ": lambda m: m.token(headers={"typ": None}),
    "typ JWT": lambda m: m.token(headers={"typ": "JWT"}),
    **{f"missing {claim}": _without(claim) for claim in ("iss", "aud", "sub", "exp", "iat", "jti", "sid")},
    "sub not a user id": lambda m: m.token(sub="admin"),
    "sub with a trailing newline": lambda m: m.token(sub=m.claims["sub"] + "\n"),
    "sid not a session id": lambda m: m.token(sid=123),
    "exp not a number": lambda m: m.token(exp="tomorrow"),
    "garbage": lambda m: "not-a-jwt",
    "three dots": lambda m: "a.b.c",
    "bad base64": lambda m: "###.###.###",
    "a JSON array header": lambda m: _b64(b"[]") + "." + m.token().split(".", 1)[1],
    "oversized": lambda m: m.token(padding="x" * 5000),
}


# HS384/HS512 vectors reuse the 256-bit key on purpose (the attack is the algorithm swap).
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("vector", sorted(VECTORS))
def test_every_malformed_or_forged_access_token_is_a_401(api, minter, vector):
    response = me(api, VECTORS[vector](minter))

    assert response.status == 401
    expected = "token_expired" if vector == "expired beyond the leeway" else "invalid_token"
    body = {k: v for k, v in response.json().items() if k != "request_id"}
    assert body == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": body["detail"],
        "instance": "/v1/users/me",
        "code": expected,
    }
    assert body["detail"] in {
        "The access token is not valid.",
        "The access token has expired.",
        "Use the Bearer scheme: Authorization: Bearer <token>.",
    }
    assert response.header("WWW-Authenticate") == WWW_AUTHENTICATE


def test_a_refresh_token_is_not_an_access_token(api, account):
    login = api.request(
        "POST", "/v1/auth/token", json_body={"email": "claims@example.com", "password": PASSWORD}
    )

    response = me(api, login.json()["refresh_token"])

    assert (response.status, response.json()["code"]) == (401, "invalid_token")
    assert response.header("WWW-Authenticate") == WWW_AUTHENTICATE


def test_keys_rotate_by_kid_with_an_overlap(api, aws, account):
    """Rotation: the secret gets a new current key and keeps the old one as `previous`; tokens
    of both kids are accepted, new ones are signed with the new key; once `previous` is gone,
    the old kid is refused."""
    from agenda_core.integrations import secrets as signing_secrets

    old = secret_value(aws)
    old_token = account["token"]
    new = {"kid": "k2", "key": secrets.token_urlsafe(48)}
    put_secret(aws, {**new, "previous": {"kid": old["kid"], "key": old["key"]}})
    claims = jwt.decode(old_token, options={"verify_signature": False})
    new_kid_token = jwt.encode(claims, jwt_key(new["key"]), headers={"kid": "k2", "typ": "at+jwt"})

    # This container still holds the old ring: the unknown kid makes it read the secret again.
    assert me(api, new_kid_token).status == 200
    assert me(api, old_token).status == 200
    login = api.request(
        "POST", "/v1/auth/token", json_body={"email": "claims@example.com", "password": PASSWORD}
    )
    assert jwt.get_unverified_header(login.json()["access_token"])["kid"] == "k2"

    put_secret(aws, new)
    signing_secrets.reset_cache()  # as when the cache (5 min) runs out

    assert me(api, login.json()["access_token"]).status == 200
    refused = me(api, old_token)
    assert (refused.status, refused.json()["code"]) == (401, "invalid_token")


def test_unknown_kids_reread_the_secret_at_most_every_thirty_seconds(api, minter, monkeypatch):
    from agenda_core.integrations import secrets as signing_secrets

    assert me(api, minter.token()).status == 200  # the ring is cached
    loads = []
    original = signing_secrets._load
    monkeypatch.setattr(signing_secrets, "_load", lambda: loads.append(1) or original())

    answers = [me(api, minter.token(headers={"kid": f"made-up-{n}"})).status for n in range(5)]

    assert answers == [401] * 5
    assert len(loads) == 1


def test_a_refresh_inside_the_grace_window_survives_a_key_rotation(api, aws, account):
    """A successor derived with the old key is still recognised after the key rotated."""
    old = secret_value(aws)
    first = api.request(
        "POST", "/v1/auth/token", json_body={"email": "claims@example.com", "password": PASSWORD}
    ).json()
    winner = api.request(
        "POST", "/v1/auth/refresh", json_body={"refresh_token": first["refresh_token"]}
    ).json()
    put_secret(aws, {"kid": "k2", "key": secrets.token_urlsafe(48), "previous": old})
    from agenda_core.integrations import secrets as signing_secrets

    signing_secrets.reset_cache()

    again = api.request("POST", "/v1/auth/refresh", json_body={"refresh_token": first["refresh_token"]})

    assert (again.status, again.json()["refresh_token"]) == (200, winner["refresh_token"])
    assert jwt.get_unverified_header(again.json()["access_token"])["kid"] == "k2"
