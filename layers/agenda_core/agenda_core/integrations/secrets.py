"""The token-signing key from Secrets Manager, cached for the life of the container.

The secret is ``{"kid": "...", "key": "..."}`` (template.yaml generates it). Other keys are
derived from it with HMAC so one secret serves: JWT signing, cursor signing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from agenda_core.integrations.aws import client
from agenda_core.settings import get_settings

_CACHE_SECONDS = 300


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: bytes

    def derive(self, purpose: str) -> bytes:
        return hmac.new(self.secret, purpose.encode(), hashlib.sha256).digest()


_cached: tuple[float, SigningKey] | None = None


def signing_key() -> SigningKey:
    global _cached
    now = time.monotonic()
    if _cached and now - _cached[0] < _CACHE_SECONDS:
        return _cached[1]
    arn = get_settings().signing_key_secret_arn
    raw = client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    data = json.loads(raw)
    key = SigningKey(kid=str(data["kid"]), secret=str(data["key"]).encode())
    _cached = (now, key)
    return key


def reset_cache() -> None:
    global _cached
    _cached = None
