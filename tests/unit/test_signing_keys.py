"""The signing-key secret and its rotation by kid (integrations/secrets.py), without AWS."""

from __future__ import annotations

import json

import pytest

from agenda_core.integrations.secrets import KeyRing, SigningKey, SigningKeyMisconfigured, parse_secret

CURRENT = "c" * 64
OLD = "o" * 64


def test_a_secret_with_one_key():
    ring = parse_secret(json.dumps({"kid": "k2", "key": CURRENT}))

    assert ring == KeyRing(SigningKey("k2", CURRENT.encode()))
    assert ring.find("k2") == ring.current
    assert ring.find("k1") is None


def test_a_secret_in_rotation_accepts_both_kids_and_signs_with_the_current():
    ring = parse_secret(json.dumps({"kid": "k2", "key": CURRENT, "previous": {"kid": "k1", "key": OLD}}))

    assert ring.current == SigningKey("k2", CURRENT.encode())
    assert ring.find("k1") == SigningKey("k1", OLD.encode())
    assert [key.kid for key in ring.candidates()] == ["k2", "k1"]
    assert ring.find("k3") is None


def test_a_previous_key_with_the_current_kid_is_ignored():
    ring = parse_secret(json.dumps({"kid": "k1", "key": CURRENT, "previous": {"kid": "k1", "key": OLD}}))

    assert ring.previous is None and ring.find("k1") == ring.current


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        json.dumps([]),
        json.dumps({"key": CURRENT}),
        json.dumps({"kid": "", "key": CURRENT}),
        json.dumps({"kid": "k1", "key": 12345}),
        json.dumps({"kid": "k1", "key": "x" * 31}),  # under 256 bits
        json.dumps({"kid": "k1", "key": CURRENT, "previous": {"kid": "k0", "key": "short"}}),
        json.dumps({"kid": "k1", "key": CURRENT, "previous": "k0"}),
    ],
)
def test_a_malformed_secret_is_a_deployment_error(raw):
    with pytest.raises(SigningKeyMisconfigured):
        parse_secret(raw)


def test_derived_keys_differ_by_purpose_and_key():
    key, other = SigningKey("k1", CURRENT.encode()), SigningKey("k2", OLD.encode())

    assert len(key.derive("jwt")) == 32
    assert key.derive("jwt") != key.derive("cursor") != key.derive("refresh-successor")
    assert key.derive("jwt") != other.derive("jwt")
