"""Opaque, tamper-proof list cursors bound to their query (API.md §1 "lists").

A cursor is ``base64url(json) . base64url(hmac)``; the JSON holds DynamoDB's LastEvaluatedKey
and a fingerprint of the query it belongs to, so a cursor replayed against other filters, a
forged key or a truncated token all fail the same way (``InvalidCursor``, a 400).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from agenda_core.errors import InvalidCursor

_MAX_CURSOR_LENGTH = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def query_fingerprint(**query: Any) -> str:
    canonical = json.dumps(query, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(last_key: dict[str, Any], fingerprint: str, key: bytes) -> str:
    payload = json.dumps({"k": last_key, "q": fingerprint}, separators=(",", ":")).encode()
    signature = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(signature)}"


@dataclass(frozen=True)
class SealedCursor:
    """A well-formed cursor of the right query whose signature is not checked yet: for a reader
    that needs the position to fetch the key it is signed with (the change feed reads the agenda
    item, which holds its key, in the same request as the changes after the position). Nothing
    read with an unchecked position may be answered before ``opened`` succeeds."""

    payload: bytes
    signature: bytes
    claimed: dict[str, Any]

    def opened(self, key: bytes) -> dict[str, Any]:
        """The position, once the signature holds for ``key``; raises ``InvalidCursor``."""
        expected = hmac.new(key, self.payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(expected, self.signature):
            raise InvalidCursor()
        return self.claimed


def read_cursor(cursor: str, fingerprint: str) -> SealedCursor:
    """Parses ``cursor`` and checks it belongs to the query; raises ``InvalidCursor``."""
    try:
        if len(cursor) > _MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        payload_text, signature_text = cursor.split(".")
        payload, signature = _unb64(payload_text), _unb64(signature_text)
        # base64 leaves slack in the last character: accept only the one canonical spelling.
        if _b64(payload) != payload_text or _b64(signature) != signature_text:
            raise ValueError("not canonical")
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidCursor() from error
    if not isinstance(data, dict) or data.get("q") != fingerprint or not isinstance(data.get("k"), dict):
        raise InvalidCursor()
    return SealedCursor(payload, signature, data["k"])


def decode_cursor(cursor: str, fingerprint: str, key: bytes) -> dict[str, Any]:
    """The position inside ``cursor``; raises ``InvalidCursor`` for anything else."""
    return read_cursor(cursor, fingerprint).opened(key)
