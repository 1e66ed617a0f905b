"""The token-signing keys from Secrets Manager, cached for a few minutes per container.

The secret is ``{"kid": "...", "key": "..."}`` (template.yaml generates it), optionally with
``"previous": {"kid": "...", "key": "..."}`` while a rotation overlaps (RELIABILITY.md: rotation
by ``kid``): new tokens are signed with the current key, tokens signed with the previous one are
still accepted until it is dropped from the secret. Other keys are derived from a key with HMAC
so one secret serves: JWT signing, cursor signing, refresh-token successors.

A ``kid`` this container does not know makes it re-read the secret (at most once per
``_RELOAD_INTERVAL_SECONDS``), so a container with a cached ring accepts tokens signed with a key
that was rotated in after it last read the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from agenda_core.errors import ServiceUnavailable
from agenda_core.integrations.aws import client, is_unavailable
from agenda_core.observability import logger
from agenda_core.settings import get_settings

_CACHE_SECONDS = 300
_RELOAD_INTERVAL_SECONDS = 30


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: bytes

    def derive(self, purpose: str) -> bytes:
        return hmac.new(self.secret, purpose.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class KeyRing:
    current: SigningKey
    previous: SigningKey | None = None

    def find(self, kid: str) -> SigningKey | None:
        return next((key for key in self.candidates() if hmac.compare_digest(key.kid, kid)), None)

    def candidates(self) -> tuple[SigningKey, ...]:
        """Current first: what verifies with either, in the order to try them."""
        return (self.current,) if self.previous is None else (self.current, self.previous)


class SigningKeyMisconfigured(RuntimeError):
    """The secret is not ``{"kid", "key"[, "previous"]}`` with keys of at least 256 bits: a
    deployment bug (a logged 500), never something a client caused."""


_cached: tuple[float, KeyRing] | None = None
_last_forced_reload = 0.0


def _key(data: Any, where: str) -> SigningKey:
    if not isinstance(data, dict):
        raise SigningKeyMisconfigured(f"{where}: not an object")
    kid, key = data.get("kid"), data.get("key")
    if not isinstance(kid, str) or not kid or not isinstance(key, str):
        raise SigningKeyMisconfigured(f"{where}: needs a string kid and key")
    secret = key.encode()
    if len(secret) < get_settings().signing_key_min_bytes:
        raise SigningKeyMisconfigured(f"{where}: the key is shorter than 256 bits")
    return SigningKey(kid=kid, secret=secret)


def parse_secret(raw: str) -> KeyRing:
    """The ring a secret value describes. Raises ``SigningKeyMisconfigured``."""
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise SigningKeyMisconfigured("the secret is not JSON") from error
    current = _key(data, "secret")
    previous = data.get("previous")
    if previous is None:
        return KeyRing(current)
    old = _key(previous, "secret.previous")
    return KeyRing(current, None if old.kid == current.kid else old)


def _load() -> KeyRing:
    global _cached
    from botocore.exceptions import BotoCoreError, ClientError

    arn = get_settings().signing_key_secret_arn
    try:
        raw = client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    except (BotoCoreError, ClientError) as error:
        if isinstance(error, ClientError) and not is_unavailable(error):
            raise  # access denied, no such secret: a deployment bug (a logged 500)
        # Throttled or unreachable after the SDK's retries: a 503 the client may retry, never a
        # 500 (RELIABILITY.md; found by tests/faults: it escaped the handler, a 502).
        logger.warning("secrets manager unavailable", extra={"error": type(error).__name__})
        raise ServiceUnavailable(get_settings().retry_after_seconds) from error
    ring = parse_secret(raw)
    _cached = (time.monotonic(), ring)
    return ring


def key_ring() -> KeyRing:
    if _cached and time.monotonic() - _cached[0] < _CACHE_SECONDS:
        return _cached[1]
    return _load()


def signing_key() -> SigningKey:
    """The key new tokens are signed with."""
    return key_ring().current


def verification_key(kid: str) -> SigningKey | None:
    """The key a token signed under ``kid`` verifies with; ``None`` for an unknown kid."""
    global _last_forced_reload
    key = key_ring().find(kid)
    now = time.monotonic()
    if key is None and now - _last_forced_reload >= _RELOAD_INTERVAL_SECONDS:
        # Perhaps rotated in since this container read the secret: look once more (bounded, so a
        # stream of made-up kids cannot turn into a stream of Secrets Manager calls).
        _last_forced_reload = now
        key = _load().find(kid)
    return key


def reset_cache() -> None:
    global _cached, _last_forced_reload
    _cached = None
    _last_forced_reload = 0.0
