"""S3 Object Created -> EventBridge -> Lambda, locally: the template's `Type: EventBridgeRule`
events whose pattern names `source: [aws.s3]` and a bucket of this template.

moto does not route S3 notifications to our in-process functions, so the pump looks instead:
it lists the bucket under the pattern's key prefix, and each object it has not seen (by key and
ETag) goes to the function as the event EventBridge would deliver ("detail-type": "Object
Created", "detail": {"bucket": {"name"}, "object": {"key", "size", "etag"}}). A function that
raises gets the object again at the next pump, as EventBridge retries. The dev server pumps in
its background thread; the tests call `GatewayApp.pump_buckets()`.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.template import Template, _as_template, functions

log = logging.getLogger("local.buckets")

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class BucketSubscription:
    function_id: str
    bucket_id: str  # the bucket's logical id
    prefix: str  # the pattern's key prefix ("" for every object)


def _bucket_of(pattern: Mapping[str, Any]) -> str | None:
    names = ((pattern.get("detail") or {}).get("bucket") or {}).get("name") or []
    for name in names:
        if isinstance(name, dict) and isinstance(name.get("Ref"), str):
            return str(name["Ref"])
    return None


def _prefix_of(pattern: Mapping[str, Any]) -> str:
    keys = ((pattern.get("detail") or {}).get("object") or {}).get("key") or []
    for key in keys:
        if isinstance(key, dict) and "prefix" in key:
            return str(key["prefix"])
    return ""


def bucket_subscriptions(
    template: Template | str | Path, parameters: Mapping[str, Any] | None = None
) -> list[BucketSubscription]:
    """Every EventBridge rule of a function that takes Object Created events of a template bucket."""
    template = _as_template(template)
    found = []
    for function_id in functions(template, parameters):
        events = (template["Resources"][function_id].get("Properties") or {}).get("Events") or {}
        for event in events.values():
            pattern = (event.get("Properties") or {}).get("Pattern") or {}
            if event.get("Type") != "EventBridgeRule" or "aws.s3" not in (pattern.get("source") or []):
                continue
            bucket = _bucket_of(pattern)
            if bucket and "Object Created" in (pattern.get("detail-type") or []):
                found.append(BucketSubscription(function_id, bucket, _prefix_of(pattern)))
    return found


def object_created_event(bucket: str, key: str, size: int, etag: str, region: str) -> dict[str, Any]:
    """The event EventBridge delivers for a new object (S3's "Object Created" detail type)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": etag.strip('"')},
            "request-id": uuid.uuid4().hex,
            "requester": "123456789012",
            "reason": "PostObject",
        },
    }


class BucketPump:
    """Hands each new object of the subscribed buckets to its function, once (while it succeeds)."""

    def __init__(
        self,
        subscriptions: list[BucketSubscription],
        buckets: Mapping[str, str],  # logical id -> bucket name
        invoke: Invoke,
        client_factory: Callable[[], Any],
        region: str,
    ) -> None:
        self.subscriptions, self.buckets, self.invoke = subscriptions, buckets, invoke
        self.client_factory, self.region = client_factory, region
        self._client: Any = None
        self._seen: set[tuple[str, str, str]] = set()  # (bucket, key, etag) handed over
        self._lock = threading.Lock()

    def pump(self) -> int:
        """Delivers every object not seen yet. Returns how many were delivered."""
        from local.streams import marking

        with self._lock, marking():
            if self._client is None:
                self._client = self.client_factory()
            return sum(self._deliver(subscription) for subscription in self.subscriptions)

    def _deliver(self, subscription: BucketSubscription) -> int:
        bucket = self.buckets[subscription.bucket_id]
        delivered = 0
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=subscription.prefix
        )
        for page in pages:
            for stored in page.get("Contents") or []:
                seen = (bucket, stored["Key"], stored.get("ETag", ""))
                if seen in self._seen:
                    continue
                event = object_created_event(bucket, stored["Key"], int(stored["Size"]), seen[2], self.region)
                try:
                    self.invoke(subscription.function_id, event)
                except Exception:
                    log.exception(
                        "%s failed on %s; retried at the next pump", subscription.function_id, seen[1]
                    )
                    continue
                self._seen.add(seen)
                delivered += 1
        return delivered
