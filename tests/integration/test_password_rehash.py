"""RELIABILITY.md: "rehash on login when parameters grew". A user whose stored hash is weaker than
what the product now uses gets it replaced by the login that proves the password."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests import builders
from tests.conftest import QUICK_ARGON2


def stored_hash(email: str) -> str:
    from agenda_core.db import keys

    key = {"pk": {"S": keys.email_pk(email)}, "sk": {"S": keys.EMAIL_SK}}
    item = boto3.client("dynamodb", region_name="us-east-1").get_item(TableName="AgendaTable", Key=key)
    return str(item["Item"]["password_hash"]["S"])


def parameters(password_hash: str) -> str:
    return password_hash.split("$")[3]  # "m=65536,t=3,p=4"


def test_a_login_replaces_a_weaker_hash_and_the_password_still_works(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a user signed up while hashing was cheap (the suite's parameters stand in for an
    # older, weaker configuration)
    user = builders.sign_up(api, email="rehash@example.com")
    weak = stored_hash(user["user"]["email"])
    assert parameters(weak) == "m={memory_cost},t={time_cost},p={parallelism}".format(**QUICK_ARGON2)

    # When they log in with the product's real parameters in force
    from agenda_core.services import passwords

    monkeypatch.undo()  # quick_password_hashing's patches (tests/conftest.py): the real hasher again
    login = api.request(
        "POST", "/v1/auth/token", json_body={"email": "rehash@example.com", "password": builders.PASSWORD}
    )

    # Then the stored hash is the real one, and it verifies the same password
    assert login.status == 200, login.body
    upgraded = stored_hash("rehash@example.com")
    assert parameters(upgraded) == parameters(passwords.hash_password("x" * 12))
    assert passwords.verify_password(upgraded, builders.PASSWORD)
    again = api.request(
        "POST", "/v1/auth/token", json_body={"email": "rehash@example.com", "password": builders.PASSWORD}
    )
    assert again.status == 200, again.body
    assert stored_hash("rehash@example.com") == upgraded  # no rehash once it is current
