"""The product's password hashing as deployed (RELIABILITY.md: Argon2id with argon2-cffi's defaults,
never below m=19 MiB, t=2, p=1). The rest of the suite hashes with the cheapest Argon2id
parameters (tests/conftest.py); these tests opt out and hold the real ones."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from agenda_core.services import passwords

pytestmark = pytest.mark.real_password_hashing

PASSWORD = "canary: correct horse battery staple"


def test_the_hasher_is_argon2id_with_argon2_cffis_defaults_and_above_the_floor() -> None:
    hasher = passwords._hasher()
    defaults = PasswordHasher()

    assert (hasher.type, hasher.memory_cost, hasher.time_cost, hasher.parallelism) == (
        Type.ID,
        defaults.memory_cost,
        defaults.time_cost,
        defaults.parallelism,
    )
    assert hasher.memory_cost >= 19 * 1024
    assert hasher.time_cost >= 2
    assert hasher.parallelism >= 1


def test_a_hash_names_its_parameters_verifies_its_password_and_only_it() -> None:
    stored = passwords.hash_password(PASSWORD)
    defaults = PasswordHasher()

    assert stored.startswith(
        f"$argon2id$v=19$m={defaults.memory_cost},t={defaults.time_cost},p={defaults.parallelism}$"
    )
    assert passwords.verify_password(stored, PASSWORD)
    assert not passwords.verify_password(stored, PASSWORD + " ")
    assert not passwords.verify_password("not a hash", PASSWORD)
    assert not passwords.needs_rehash(stored)


def test_a_hash_made_with_weaker_parameters_still_verifies_and_needs_rehashing() -> None:
    cheaper = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(PASSWORD)

    assert passwords.verify_password(cheaper, PASSWORD)  # old hashes keep working...
    assert passwords.needs_rehash(cheaper)  # ...and are replaced at the next login


def test_an_unknown_email_costs_a_real_verification() -> None:
    # The dummy hash that unknown emails are checked against has the real parameters.
    assert passwords._dummy_hash().split("$")[3] == passwords.hash_password(PASSWORD).split("$")[3]
