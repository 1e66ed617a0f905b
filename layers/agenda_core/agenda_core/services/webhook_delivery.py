"""One delivery message, attempted once (API.md §7; RELIABILITY.md "webhooks").

A message (services/webhook_fanout.py) names an endpoint, the event body and the attempt number.
Before the attempt, the delivery record (db/webhook_records.py ``DeliveryRecord``) is claimed
with a condition on its attempt count, so a message that SQS or the stream delivers twice is
attempted once; a claim left behind by a container that died is taken over after
``_STALE_CLAIM``. The body is sent exactly as queued, signed for this attempt's timestamp with
every secret in use (two during a rotation), pinned to a checked address
(integrations/webhook_http.py). The attempt goes into the log; the schedule
(services/webhook_schedule.py) says whether and when the next one is queued, and whether the
endpoint is disabled.

A deleted, paused or disabled endpoint receives nothing: its messages are dropped (a scheduled
retry's delivery is marked dead). A redelivery (POST .../redeliver) is one attempt of a logged
delivery, same ``webhook-id``, claimed by its own token; it changes the delivery's status only
when it succeeds.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PynamoDBException

from agenda_core.db import keys
from agenda_core.db.base import TableItem, get_or_none
from agenda_core.db.ids import iso, utcnow
from agenda_core.db.transactions import is_condition_failure, storage_errors
from agenda_core.db.webhook_records import (
    SECRET_SK,
    DeliveryRecord,
    WebhookRecord,
    WebhookSecretRecord,
    delivery_sk,
    webhook_pk,
    webhook_sk,
)
from agenda_core.integrations import webhook_http, webhook_queue, webhook_signing
from agenda_core.observability import logger
from agenda_core.services.webhook_schedule import Decision, after_attempt
from agenda_core.settings import get_settings

LOG_DAYS = 30  # API.md §7: the delivery log keeps 30 days
_STALE_CLAIM = timedelta(minutes=2)  # longer than a delivering function may run


def _load(message: Mapping[str, Any]) -> tuple[WebhookRecord | None, WebhookSecretRecord | None]:
    """One BatchGetItem: the endpoint and its secrets."""
    webhook_id = str(message["webhook_id"])
    with storage_errors():
        items = list(
            TableItem.batch_get(
                [
                    (keys.agenda_pk(str(message["agenda_id"])), webhook_sk(webhook_id)),
                    (webhook_pk(webhook_id), SECRET_SK),
                ],
                consistent_read=True,
            )
        )
    webhook = next((i for i in items if isinstance(i, WebhookRecord)), None)
    secret = next((i for i in items if isinstance(i, WebhookSecretRecord)), None)
    return webhook, secret


def _claim(message: Mapping[str, Any], now: datetime, token: str) -> bool:
    """Attempt ``message["attempt"]`` is ours to make, held by ``token`` (False: a duplicate, or
    someone else's)."""
    attempt, webhook_id = int(message["attempt"]), str(message["webhook_id"])
    record = DeliveryRecord(webhook_pk(webhook_id), delivery_sk(str(message["message_id"])))
    stale = (DeliveryRecord.status == "pending") & (DeliveryRecord.updated_at < iso(now - _STALE_CLAIM))
    try:
        _claim_write(message, record, attempt, now, token, stale)
    except PynamoDBException as error:
        if not is_condition_failure(error):
            raise
        # The SDK retries a write whose answer was lost (a timeout after it applied): the
        # retry meets our own claim. Ours, if our token is on it (tests/faults/test_consumers.py).
        with storage_errors():
            held = get_or_none(DeliveryRecord, record.pk, record.sk, consistent=True)
        return held is not None and held.claim == token
    return True


def _claim_write(
    message: Mapping[str, Any], record: DeliveryRecord, attempt: int, now: datetime, token: str, stale: Any
) -> None:
    with storage_errors():
        if message.get("redelivery"):
            # One attempt outside the schedule: the delivery's own state stays as it is.
            redelivery = str(message["redelivery"])
            record.update(
                actions=[DeliveryRecord.redelivery.set(redelivery), DeliveryRecord.claim.set(token)],
                condition=TableItem.pk.exists()
                & (DeliveryRecord.redelivery.does_not_exist() | (DeliveryRecord.redelivery != redelivery)),
            )
        elif attempt == 1:
            fresh = DeliveryRecord(
                record.pk,
                record.sk,
                id=message["message_id"],
                webhook_id=message["webhook_id"],
                agenda_id=message["agenda_id"],
                event_type=message["event_type"],
                status="pending",
                attempts_made=1,
                attempts=[],
                body=str(message["body"]),
                claim=token,
                created_at=iso(now),
                updated_at=iso(now),
                ttl=int((now + timedelta(days=LOG_DAYS)).timestamp()),
            )
            # A first attempt whose container died after its claim is taken over, as later
            # attempts are (tests/faults: its log write failing left it pending for good).
            fresh.save(
                condition=TableItem.pk.does_not_exist() | ((DeliveryRecord.attempts_made == 1) & stale)
            )
        else:
            retrying = (DeliveryRecord.attempts_made == attempt - 1) & (DeliveryRecord.status == "retrying")
            mine_before = (DeliveryRecord.attempts_made == attempt) & stale
            record.update(
                actions=[
                    DeliveryRecord.attempts_made.set(attempt),
                    DeliveryRecord.status.set("pending"),
                    DeliveryRecord.updated_at.set(iso(now)),
                    DeliveryRecord.claim.set(token),
                ],
                condition=retrying | mine_before,
            )


def _is_2xx(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def _secrets_in_use(secret: WebhookSecretRecord, now: datetime) -> list[str]:
    current = [secret.secret]
    if secret.previous_secret and secret.previous_secret_until and secret.previous_secret_until > iso(now):
        current.append(secret.previous_secret)
    return current


def _log_entry(
    attempt: webhook_http.Attempt, at: datetime, decision: Decision, redelivery: bool
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "at": iso(at),
        "duration_ms": int(attempt.seconds * 1000),
        "status": attempt.status,
        "error": attempt.error,
        "answer": attempt.answer_head.decode("utf-8", "replace") or None,
        "next_attempt_at": iso(decision.retry_at) if decision.retry_at else None,
        "redelivery": True if redelivery else None,
    }
    return {name: value for name, value in entry.items() if value is not None}


def deliver(message: Mapping[str, Any]) -> None:
    """Makes attempt ``message["attempt"]`` of one message, or passes it on until it is due.
    Raises on storage or queue trouble (SQS then delivers the message again)."""
    now = utcnow()
    not_before = message.get("not_before")
    if not_before and datetime.fromisoformat(str(not_before)) > now:
        wait = (datetime.fromisoformat(str(not_before)) - now).total_seconds()
        webhook_queue.send([message], delay_seconds=wait)
        return
    webhook, secret = _load(message)
    if webhook is None or secret is None or not webhook.active or webhook.disabled_reason:
        _give_up(message, now)  # deleted, paused or disabled: nothing goes out
        return
    token = uuid.uuid4().hex
    if not _claim(message, now, token):
        logger.info("duplicate webhook message dropped", extra={"message_id": message["message_id"]})
        return
    body = str(message["body"]).encode()
    headers = webhook_signing.headers(
        _secrets_in_use(secret, now), str(message["message_id"]), int(now.timestamp()), body
    )
    attempt = webhook_http.post(
        webhook.url, body, headers, allow_loopback_http=get_settings().allow_loopback_webhooks
    )
    failing_since = datetime.fromisoformat(webhook.failing_since) if webhook.failing_since else None
    done = utcnow()
    # A 2xx that is not a success (its answer was too long) counts as no answer at all.
    answered = attempt.status if attempt.succeeded or not _is_2xx(attempt.status) else None
    decision = after_attempt(
        int(message["attempt"]),
        answered,
        done,
        failing_since=failing_since,
        retry_after=attempt.retry_after,
    )
    if message.get("redelivery"):
        decision = Decision(disable=decision.disable)  # one attempt: no retries of its own
    if not _record(message, attempt, decision, done, token):
        return  # taken over by another container, which logs and schedules it
    _mark_endpoint(webhook, attempt, decision, done)
    if decision.retry_at is not None:
        following = {**message, "attempt": int(message["attempt"]) + 1, "not_before": iso(decision.retry_at)}
        webhook_queue.send([following], delay_seconds=(decision.retry_at - done).total_seconds())


def _record(
    message: Mapping[str, Any], attempt: webhook_http.Attempt, decision: Decision, at: datetime, token: str
) -> bool:
    """The attempt into the log, once: while our claim holds (False: it no longer does). A
    redelivery changes the delivery's status only when it succeeded: a failed one leaves the
    schedule (and its next attempt) as it was."""
    record = DeliveryRecord(webhook_pk(str(message["webhook_id"])), delivery_sk(str(message["message_id"])))
    redelivery = bool(message.get("redelivery"))
    entry = _log_entry(attempt, at, decision, redelivery)
    actions: list[Any] = [
        DeliveryRecord.attempts.set(DeliveryRecord.attempts.append([entry])),
        DeliveryRecord.updated_at.set(iso(at)),
        DeliveryRecord.claim.remove(),
    ]
    if attempt.succeeded:
        actions += [DeliveryRecord.status.set("delivered"), DeliveryRecord.next_attempt_at.remove()]
    elif not redelivery:
        actions += [
            DeliveryRecord.status.set("retrying" if decision.retry_at else "dead"),
            DeliveryRecord.next_attempt_at.set(iso(decision.retry_at))
            if decision.retry_at
            else DeliveryRecord.next_attempt_at.remove(),
        ]
    try:
        with storage_errors():
            record.update(actions=actions, condition=DeliveryRecord.claim == token)
    except PynamoDBException as error:
        if not is_condition_failure(error):
            raise
        # The SDK's retry of our own write (its answer lost) finds the claim gone: logged once.
        # A claim another container took over since (ours was stale) is theirs to log.
        with storage_errors():
            held = get_or_none(DeliveryRecord, record.pk, record.sk, consistent=True)
        return held is not None and held.claim is None
    return True


def _give_up(message: Mapping[str, Any], now: datetime) -> None:
    """A scheduled retry for an endpoint that no longer takes deliveries: the delivery is dead
    (the log says so instead of a next attempt that never comes)."""
    attempt = int(message["attempt"])
    if attempt == 1 or message.get("redelivery"):
        return  # nothing was logged for it
    record = DeliveryRecord(webhook_pk(str(message["webhook_id"])), delivery_sk(str(message["message_id"])))
    try:
        with storage_errors():
            record.update(
                actions=[
                    DeliveryRecord.status.set("dead"),
                    DeliveryRecord.next_attempt_at.remove(),
                    DeliveryRecord.updated_at.set(iso(now)),
                ],
                condition=(DeliveryRecord.status == "retrying")
                & (DeliveryRecord.attempts_made == attempt - 1),
            )
    except PynamoDBException as error:
        if not is_condition_failure(error):
            raise


def _mark_endpoint(
    webhook: WebhookRecord, attempt: webhook_http.Attempt, decision: Decision, at: datetime
) -> None:
    """The endpoint's run of failures, and its disabling; written only when it changes."""
    actions: list[Any] = []
    if attempt.succeeded and webhook.failing_since:
        actions.append(WebhookRecord.failing_since.remove())
    elif not attempt.succeeded and not webhook.failing_since:
        actions.append(WebhookRecord.failing_since.set(iso(at)))
    if decision.disable:
        actions += [
            WebhookRecord.disabled_reason.set(decision.disable),
            WebhookRecord.updated_at.set(iso(at)),
        ]
        logger.warning(
            "webhook endpoint disabled", extra={"webhook_id": webhook.id, "reason": decision.disable}
        )
    if actions:
        with storage_errors():
            webhook.update(actions=actions, condition=TableItem.pk.exists())
