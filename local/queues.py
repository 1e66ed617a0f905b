"""SQS event sources, run locally: what Lambda's event source mapping does for a `Type: SQS` event
of the template (the webhook delivery queue), against the embedded emulation.

`QueuePump.pump()` receives what each subscribed queue holds (messages still delayed or in flight
stay where they are), hands it to the function in batches of the event's `BatchSize` as
`{"Records": [...]}`, and deletes the messages the function did not report failed
(ReportBatchItemFailures); a failed one comes back when its visibility timeout ends, as on AWS.
`make dev` runs it a few times a second beside the stream pump (local/server.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.streams import event_sources, marking
from local.template import Template

log = logging.getLogger("local")

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class QueueSubscription:
    """A function's `Type: SQS` event: which queue (logical id), how many messages at once."""

    function_id: str
    queue_id: str
    batch_size: int


def queue_subscriptions(
    template: Template | str | Path, parameters: Mapping[str, Any] | None = None
) -> list[QueueSubscription]:
    """Every `Type: SQS` event whose queue is `!GetAtt <Queue>.Arn` of this template."""
    return [
        QueueSubscription(function_id, queue_id, int(props.get("BatchSize") or 10))
        for function_id, queue_id, props in event_sources(template, "SQS", "Arn", parameters)
    ]


class QueuePump:
    """Delivers waiting queue messages to the subscribed functions; one pump at a time."""

    def __init__(
        self,
        subscriptions: list[QueueSubscription],
        queue_urls: Mapping[str, str],  # logical id -> queue URL (create_resources' refs)
        invoke: Invoke,
        client_factory: Callable[[], Any],
    ) -> None:
        self.subscriptions, self.queue_urls, self.invoke = subscriptions, queue_urls, invoke
        self.client_factory = client_factory
        self._client: Any = None
        self._lock = threading.Lock()

    def pump(self) -> int:
        """Hands every visible message to its function. Returns how many were handled."""
        with self._lock, marking():
            if self._client is None:
                self._client = self.client_factory()
            return sum(self._drain(subscription) for subscription in self.subscriptions)

    def _drain(self, subscription: QueueSubscription) -> int:
        url = self.queue_urls[subscription.queue_id]
        handled = 0
        while True:
            got = self._client.receive_message(
                QueueUrl=url, MaxNumberOfMessages=min(10, subscription.batch_size), AttributeNames=["All"]
            ).get("Messages", [])
            if not got:
                return handled
            records = [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "eventSource": "aws:sqs",
                }
                for m in got
            ]
            try:
                result = self.invoke(subscription.function_id, {"Records": records})
            except Exception:
                log.exception("%s failed on a queue batch; its messages come back", subscription.function_id)
                return handled
            failed = {str(f.get("itemIdentifier")) for f in (result or {}).get("batchItemFailures") or []}
            for message in got:
                if message["MessageId"] not in failed:
                    self._client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    handled += 1
            if failed:
                return handled  # the failed ones are invisible until their timeout: stop here
