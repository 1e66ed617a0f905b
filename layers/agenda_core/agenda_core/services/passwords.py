"""Argon2id password hashes (RELIABILITY.md: argon2-cffi defaults, never below m=19 MiB, t=2, p=1).

argon2-cffi is imported on first use: only sign-up and login pay for it.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2-cffi's defaults: Argon2id, m=64 MiB, t=3, p=4


@cache
def _dummy_hash() -> str:
    # Verified against on the unknown-email path so both paths cost one hash check.
    return str(_hasher().hash("not-a-real-password-but-the-same-cost"))


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def burn_dummy_check(password: str) -> None:
    """Spend what a real verification spends, so unknown emails are not faster (no enumeration)."""
    verify_password(_dummy_hash(), password)


def needs_rehash(password_hash: str) -> bool:
    return bool(_hasher().check_needs_rehash(password_hash))
