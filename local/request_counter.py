"""How many requests this process has sent to AWS, by service and operation: the local server's
counter for `make loadtest` (bench/loadtest.py), served at GET /_local/aws-requests.

A botocore event hook: `before-send.<service>.<operation>` is emitted once per HTTP attempt (a
retry counts again, as DynamoDB sees it), by every client of every session, boto3's, pynamodb's
own botocore session and the Powertools idempotency store's alike. Handlers reach a session
through botocore's list of built-in handlers, which each new session registers when it is made;
so `install()` must run before the first client exists (the local server does it first thing).
Nothing here is imported by the product: layers/ and functions/ never see it.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

EVENT = "before-send"


class AwsRequestCounter:
    """Counts AWS HTTP requests process-wide once installed; `snapshot()` reads the totals."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._installed = False

    def install(self) -> None:
        """Register the hook for every botocore session made from now on (idempotent)."""
        from botocore import handlers

        if self._installed:
            return
        handlers.BUILTIN_HANDLERS.append((EVENT, self._count))
        self._installed = True

    def _count(self, event_name: str = "", **kwargs: Any) -> None:
        # "before-send.dynamodb.Query"; returning None lets the request go out as usual.
        service, operation = [*event_name.split(".", 2), "", ""][1:3]
        with self._lock:
            self._counts[(service or "unknown", operation or "unknown")] += 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        """{service: {operation: requests sent since install}}, services and operations sorted."""
        with self._lock:
            counts = dict(self._counts)
        result: dict[str, dict[str, int]] = {}
        for (service, operation), number in sorted(counts.items()):
            result.setdefault(service, {})[operation] = number
        return result
