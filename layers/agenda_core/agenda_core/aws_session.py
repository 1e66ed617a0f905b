"""One botocore session per thread (a leaf: imports nothing from agenda_core).

Each botocore session loads endpoint and service data again (30-50 ms at a cold start), while a
second client from the same session costs a few ms. So pynamodb's client and ours (Secrets
Manager, the idempotency table) all come from this session. It is per thread because botocore
client creation is not thread-safe (pynamodb issue #153); a Lambda container has one thread.
"""

from __future__ import annotations

import threading
from typing import Any

_local = threading.local()


def botocore_session() -> Any:
    session = getattr(_local, "session", None)
    if session is None:
        from botocore.session import get_session

        session = get_session()
        _local.session = session
    return session


def share_with_pynamodb() -> None:
    """pynamodb asks ``botocore.session.get_session`` for a new session per connection."""
    import pynamodb.connection.base as pynamodb_base

    pynamodb_base.get_session = botocore_session
