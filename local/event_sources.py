"""The in-process gateway's event sources (local/gateway.py ``GatewayApp``): the template's
DynamoDB streams, SQS queues and S3 Object Created rules, each run by its pump
(local/streams.py, local/queues.py, local/buckets.py) against the functions, as Lambda's event
source mappings and EventBridge would. A mixin, so the gateway module stays about requests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from local.streams import StreamPump, stream_subscriptions


class EventSources:
    """Mixed into GatewayApp, which provides what is declared here."""

    if TYPE_CHECKING:
        template: Any
        parameters: Mapping[str, Any]
        resources: Mapping[str, str]
        region: str
        aws_endpoint: str | None
        dynamodb_endpoint: str | None
        _pumps: dict[str, Any]
        _pump_lock: threading.Lock

        def invoke(self, function_id: str, event: dict[str, Any]) -> Any: ...

        def _ensure_environment(self) -> None: ...

    def pump_streams(self) -> int:
        """Delivers new DynamoDB stream records to their functions (local/streams.py)."""

        def make() -> StreamPump | None:
            subscriptions = stream_subscriptions(self.template, self.parameters)
            tables = {s.table_id: self.resources.get(s.table_id, s.table_id) for s in subscriptions}
            return (
                StreamPump(subscriptions, tables, self.invoke, self._streams_client, self.region)
                if subscriptions
                else None
            )

        return self._run_pump("streams", make)

    def pump_queues(self) -> int:
        """Delivers waiting SQS messages to their functions (local/queues.py)."""
        from local.queues import QueuePump, queue_subscriptions

        def make() -> QueuePump | None:
            subscriptions = queue_subscriptions(self.template, self.parameters)
            urls = {s.queue_id: self.resources[s.queue_id] for s in subscriptions}
            return QueuePump(subscriptions, urls, self.invoke, self._sqs_client) if subscriptions else None

        return self._run_pump("queues", make)

    def pump_buckets(self) -> int:
        """Delivers new objects' Object Created events to their functions (local/buckets.py)."""
        from local.buckets import BucketPump, bucket_subscriptions

        def make() -> BucketPump | None:
            subscriptions = bucket_subscriptions(self.template, self.parameters)
            names = {s.bucket_id: self.resources[s.bucket_id] for s in subscriptions}
            return (
                BucketPump(subscriptions, names, self.invoke, self._s3_client, self.region)
                if subscriptions
                else None
            )

        return self._run_pump("buckets", make)

    def _run_pump(self, name: str, make: Callable[[], Any]) -> int:
        """Runs the pump of one kind of event source, made at its first use (None: the template
        has no such source)."""
        with self._pump_lock:
            if name not in self._pumps:
                self._ensure_environment()
                self._pumps[name] = make()
        pump = self._pumps[name]
        return int(pump.pump()) if pump is not None else 0

    def _s3_client(self) -> Any:
        import boto3

        return boto3.client("s3", region_name=self.region, endpoint_url=self.aws_endpoint)

    def _sqs_client(self) -> Any:
        import boto3

        return boto3.client("sqs", region_name=self.region, endpoint_url=self.aws_endpoint)

    def _streams_client(self) -> Any:
        import boto3
        from botocore.config import Config

        # Account-based endpoints (<account>.streams-ddb...) are not emulated: the classic one is.
        endpoint = self.aws_endpoint or f"https://streams.dynamodb.{self.region}.amazonaws.com"
        return boto3.client(
            "dynamodbstreams",
            region_name=self.region,
            endpoint_url=self.dynamodb_endpoint or endpoint,
            config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
        )
