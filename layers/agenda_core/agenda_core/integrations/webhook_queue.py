"""The webhook delivery queue (SQS, template.yaml ``WebhookDeliveriesQueue``): messages from the
fan-out (services/webhook_fanout.py) and the retries the delivering side schedules.

SQS delays a message by at most 15 minutes; a later retry (the schedule reaches 24 h) travels with
its ``not_before`` and hops: the delivering side sends it on again, delayed, until it is due.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from agenda_core.errors import ServiceUnavailable
from agenda_core.integrations.aws import client, is_unavailable
from agenda_core.observability import logger
from agenda_core.settings import get_settings

MAX_DELAY_SECONDS = 15 * 60
_BATCH = 10  # SendMessageBatch's limit


def send(messages: Sequence[Mapping[str, Any]], delay_seconds: float = 0) -> None:
    """Queues ``messages`` (JSON objects), each ``delay_seconds`` late (capped at SQS's 15 min).
    Raises ``RuntimeError`` when SQS refuses any, ``ServiceUnavailable`` when it is throttled or
    unreachable after the SDK's retries (a 503 to an API caller; found by tests/faults, a 500)."""
    from botocore.exceptions import BotoCoreError, ClientError

    if not messages:
        return
    sqs, url = client("sqs"), get_settings().webhook_queue_url
    delay = max(0, min(int(delay_seconds), MAX_DELAY_SECONDS))
    for start in range(0, len(messages), _BATCH):
        chunk = messages[start : start + _BATCH]
        try:
            answer = sqs.send_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "MessageBody": json.dumps(message), "DelaySeconds": delay}
                    for n, message in enumerate(chunk)
                ],
            )
        except (BotoCoreError, ClientError) as error:
            if isinstance(error, ClientError) and not is_unavailable(error):
                raise
            logger.warning("webhook queue unavailable", extra={"error": type(error).__name__})
            raise ServiceUnavailable(get_settings().retry_after_seconds) from error
        if answer.get("Failed"):
            raise RuntimeError(f"SQS refused {len(answer['Failed'])} webhook message(s)")
