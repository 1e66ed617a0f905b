"""The plaintext form of a refresh token (pure: no I/O).

    rt_<26-char ULID of the session (family)>.<43 base64url characters: 256 bits>

- Opaque to clients; the ``rt_`` prefix tells it from a JWT or an API token at a glance (a refresh
  token sent as a bearer token is refused as a malformed JWT) and lets secret scanners find it.
- The family id inside makes a refresh one BatchGetItem by primary keys: the token's item (by the
  hash of the whole token) and the family's item. The id is not secret; the 256 bits are.
- A family's first token is random. Each later one is derived from its predecessor:
  ``HMAC-SHA256(successor key, SHA-256(predecessor))``. Nothing secret is stored: the table holds
  hashes only, and a second refresh of the same token inside the grace window recomputes the
  very successor the first one issued (RFC 9700 §4.14.2 lets a server tolerate such races).
  Without the key (derived from the signing secret), a stolen spent token predicts nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from agenda_core.schemas.common import ULID_PATTERN

PREFIX = "rt_"
SECRET_BYTES = 32
_SECRET_CHARS = 43  # base64url of 32 bytes, without padding
LENGTH = len(PREFIX) + 26 + 1 + _SECRET_CHARS
_TOKEN_RE = re.compile(rf"{PREFIX}({ULID_PATTERN})\.[A-Za-z0-9_-]{{{_SECRET_CHARS}}}")


def _encode(secret: bytes) -> str:
    return base64.urlsafe_b64encode(secret).rstrip(b"=").decode("ascii")


def _token(family_id: str, secret: bytes) -> str:
    return f"{PREFIX}{family_id}.{_encode(secret)}"


def new_token(family_id: str) -> str:
    """The first token of the family ``family_id`` (a ULID)."""
    return _token(family_id, secrets.token_bytes(SECRET_BYTES))


def family_of(token: str) -> str | None:
    """The family id inside a well-formed token; ``None`` for anything else (costs no request)."""
    match = _TOKEN_RE.fullmatch(token)  # fullmatch: "$" would let a trailing newline through
    return match.group(1) if match else None


def token_hash(token: str) -> str:
    """What is stored instead of the token: SHA-256 is right for 256 random bits (no stretching
    needed, nothing to guess)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def successor(token: str, key: bytes) -> str:
    """The token that replaces ``token`` when it is spent: the same for every caller that holds
    ``token`` and the key, and for nobody else."""
    family_id = family_of(token)
    if family_id is None:
        raise ValueError("not a refresh token")
    digest = hmac.new(key, bytes.fromhex(token_hash(token)), hashlib.sha256).digest()
    return _token(family_id, digest)
