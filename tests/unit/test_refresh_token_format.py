"""The refresh-token format and its successor derivation (services/refresh_token_format.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest

from agenda_core.services import refresh_token_format as fmt

FAMILY = "01JQ7Z0000000000000000ABCD"
KEY = b"k" * 32
TOKEN_RE = re.compile(r"^rt_[0-9A-HJKMNP-TV-Z]{26}\.[A-Za-z0-9_-]{43}$")


def _secret(token: str) -> bytes:
    encoded = token.split(".", 1)[1]
    return base64.urlsafe_b64decode(encoded + "=")


def test_a_new_token_names_its_family_and_carries_256_random_bits():
    tokens = {fmt.new_token(FAMILY) for _ in range(100)}

    assert len(tokens) == 100
    for token in tokens:
        assert TOKEN_RE.match(token) and len(token) == fmt.LENGTH
        assert fmt.family_of(token) == FAMILY
        assert len(_secret(token)) == 32


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "rt_",
        f"rt_{FAMILY}",
        f"rt_{FAMILY}.",
        f"rt_{FAMILY}." + "A" * 42,  # one character short
        f"rt_{FAMILY}." + "A" * 44,
        f"rt_{FAMILY}." + "A" * 42 + "=",  # padding is not part of the format
        f"rt_{FAMILY.lower()}." + "A" * 43,
        f"rt_{FAMILY[:-1]}I." + "A" * 43,  # I is not Crockford base32
        f"at_{FAMILY}." + "A" * 43,
        f" rt_{FAMILY}." + "A" * 43,
        f"rt_{FAMILY}." + "A" * 43 + "\n",
        "eyJhbGciOiJIUzI1NiJ9.e30.sig",
        "agt_" + "A" * 72,
    ],
)
def test_anything_else_is_not_a_refresh_token(junk):
    assert fmt.family_of(junk) is None


def test_only_the_hash_is_what_gets_stored():
    token = fmt.new_token(FAMILY)

    assert fmt.token_hash(token) == hashlib.sha256(token.encode()).hexdigest()
    assert token not in fmt.token_hash(token)


def test_the_successor_is_the_hmac_of_the_predecessors_hash():
    token = fmt.new_token(FAMILY)
    expected = hmac.new(KEY, hashlib.sha256(token.encode()).digest(), hashlib.sha256).digest()

    successor = fmt.successor(token, KEY)

    assert TOKEN_RE.match(successor) and fmt.family_of(successor) == FAMILY
    assert _secret(successor) == expected


def test_the_successor_is_deterministic_and_depends_on_token_and_key():
    token, other = fmt.new_token(FAMILY), fmt.new_token(FAMILY)

    assert fmt.successor(token, KEY) == fmt.successor(token, KEY)
    assert fmt.successor(token, KEY) != fmt.successor(other, KEY)
    assert fmt.successor(token, KEY) != fmt.successor(token, b"j" * 32)
    assert fmt.successor(token, KEY) != token
    chain = [token]
    for _ in range(5):
        chain.append(fmt.successor(chain[-1], KEY))
    assert len(set(chain)) == 6


def test_a_successor_of_garbage_is_refused():
    with pytest.raises(ValueError, match="not a refresh token"):
        fmt.successor("garbage", KEY)
