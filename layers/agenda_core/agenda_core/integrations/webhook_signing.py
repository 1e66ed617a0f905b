"""Webhook secrets and signatures, per the Standard Webhooks specification (API.md §7).

A secret is ``whsec_`` + base64 of 32 random bytes (RELIABILITY.md). A delivery is signed over
``{webhook-id}.{webhook-timestamp}.{body}`` with HMAC-SHA256, sent as ``v1,<base64>``; during a
rotation both secrets sign and the header carries both signatures, space-separated, so a receiver
holding either verifies (the reference ``standardwebhooks`` package does: tests/unit).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secrets_in_use: Iterable[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: one ``v1,`` signature per secret in use."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode("ascii")
        for secret in secrets_in_use
    )


def headers(secrets_in_use: Iterable[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one delivery (the same id on every retry)."""
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secrets_in_use, message_id, timestamp, body),
    }
