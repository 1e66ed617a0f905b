"""Which keyed create this request is (a leaf: the HTTP edge sets it, the table's side reads it).

A create sent with an ``Idempotency-Key`` (API.md §1) claims the key in its own transaction
(db/create_claims.py), so a retry of it after an ambiguous failure (a timeout after DynamoDB
committed, a container killed before it answered) finds the object the first attempt made instead
of making a twin. The claim is named by (caller, route, key): ``http/idempotency.py`` sets it
around the create, and nothing else does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("create_claim", default=None)


@contextmanager
def claiming(caller_id: str, route_key: str, key: str) -> Iterator[None]:
    """While active, the request's create claims (caller, route, key)."""
    digest = hashlib.sha256(f"{caller_id}\n{route_key}\n{key}".encode()).hexdigest()
    token = _current.set(digest)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> str | None:
    """The claim's digest, or None for a create sent without a key."""
    return _current.get()
