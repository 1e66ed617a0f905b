"""An agenda's webhook subscriptions (API.md §7): owners and editors manage them.

Storage and request budget (db/webhook_records.py): listing is one Query of the agenda item and
its subscriptions; reading one is one BatchGetItem of the agenda and the subscription. A create
and a delete are one transaction each (the subscription, its secret, the agenda's count under a
role condition), read only to explain a failure. A change and a secret rotation read the agenda
and the subscription (one BatchGetItem) and commit one transaction pinned to what they read: the
answer is the whole subscription, which a merge patch alone does not give.

Subscriptions are not agenda content: they change neither the agenda's version nor its change
log, and no representation of the agenda shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pynamodb.expressions.condition import Condition

from agenda_core.db import create_claims, keys
from agenda_core.db.base import TableItem, get_or_none
from agenda_core.db.cursors import decode_cursor, encode_cursor, query_fingerprint
from agenda_core.db.ids import iso, new_id, utcnow
from agenda_core.db.records import AgendaRecord
from agenda_core.db.transactions import TransactionFailed, storage_errors, transaction
from agenda_core.db.webhook_records import (
    SECRET_SK,
    WebhookRecord,
    WebhookSecretRecord,
    webhook_secret_pk,
    webhook_sk,
)
from agenda_core.errors import Conflict, FieldError, NotFound, ValidationFailed
from agenda_core.integrations.webhook_signing import new_secret
from agenda_core.integrations.webhook_targets import TargetRefused, check_url
from agenda_core.observability import logger
from agenda_core.policy import roles_for
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.common import Pagination
from agenda_core.schemas.webhooks import (
    EVENT_TYPES,
    WebhookCreate,
    WebhookPage,
    WebhookPublic,
    WebhookUpdate,
    WebhookWithSecret,
)
from agenda_core.services.agenda_partition import authorize, is_agenda_id
from agenda_core.services.agendas import write_condition
from agenda_core.services.cursor_keys import LIST_PAGES, cursor_key
from agenda_core.settings import get_settings

_NO_WEBHOOK = "No webhook with this id on this agenda."
_CHANGED = "The webhook changed while we wrote; try again."


# --- checks of what a subscription asks for --------------------------------------------------


def _checked_url(url: str) -> str:
    try:
        check_url(url, allow_loopback_http=get_settings().allow_loopback_webhooks)
    except TargetRefused as refused:
        raise ValidationFailed([FieldError("/url", refused.reason, refused.detail)]) from refused
    return url


def _checked_events(events: list[str]) -> list[str]:
    """``["*"]`` when it is among them (all events), else known event types without repeats, in
    the order sent."""
    unknown = [
        FieldError(f"/events/{i}", "unknown_event", f"No event is called '{name}'.")
        for i, name in enumerate(events)
        if name not in EVENT_TYPES and name != "*"
    ]
    if unknown:
        raise ValidationFailed(unknown)
    return ["*"] if "*" in events else list(dict.fromkeys(events))


# --- mapping -----------------------------------------------------------------------------------


def _public(record: WebhookRecord) -> dict[str, Any]:
    status = "disabled" if record.disabled_reason else "active" if record.active else "paused"
    return {
        "id": record.id,
        "url": record.url,
        "events": list(record.events),
        "description": record.description,
        "active": bool(record.active),
        "status": status,
        "disabled_reason": record.disabled_reason,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


def _role_condition(caller: Caller, operation: str) -> Condition:
    return write_condition(caller, None, roles_for(operation))


def _revision() -> str:
    return new_id("webhook").split("_", 1)[1]  # a fresh ULID: unique per write


# --- reads -------------------------------------------------------------------------------------


def agenda_and_webhooks(agenda_id: str) -> tuple[AgendaRecord | None, list[WebhookRecord]]:
    """One Query: the agenda item and its subscriptions (their sort keys begin like its own)."""
    agenda, found = None, []
    with storage_errors():
        for item in TableItem.query(
            keys.agenda_pk(agenda_id), TableItem.sk.startswith(keys.AGENDA_SK), consistent_read=True
        ):
            if isinstance(item, AgendaRecord):
                agenda = item
            elif isinstance(item, WebhookRecord):
                found.append(item)
    return agenda, found


def _agenda_and_webhook(agenda_id: str, webhook_id: str) -> tuple[AgendaRecord, WebhookRecord]:
    """One BatchGetItem. Raises ``NotFound``."""
    if not is_agenda_id(agenda_id):
        raise NotFound("No agenda with this id.")
    pk = keys.agenda_pk(agenda_id)
    with storage_errors():
        items = list(
            TableItem.batch_get([(pk, keys.AGENDA_SK), (pk, webhook_sk(webhook_id))], consistent_read=True)
        )
    agenda = next((i for i in items if isinstance(i, AgendaRecord)), None)
    webhook = next((i for i in items if isinstance(i, WebhookRecord)), None)
    if agenda is None:
        raise NotFound("No agenda with this id.")
    return agenda, _found(webhook)


def _found(webhook: WebhookRecord | None) -> WebhookRecord:
    if webhook is None:
        raise NotFound(_NO_WEBHOOK)
    return webhook


def list_webhooks(
    caller: Caller, agenda_id: str, *, per_page: int, cursor: str | None, page_url: Callable[[str], str]
) -> WebhookPage:
    """The agenda's subscriptions, oldest first. Raises ``NotFound``, ``PermissionDenied``,
    ``InvalidCursor``."""
    agenda, webhooks = agenda_and_webhooks(agenda_id) if is_agenda_id(agenda_id) else (None, [])
    if agenda is None:
        raise NotFound("No agenda with this id.")
    authorize(agenda, caller, "webhooks.list")
    fingerprint = query_fingerprint(route="webhooks", agenda=agenda.id)
    key = cursor_key(agenda, LIST_PAGES)
    after = decode_cursor(cursor, fingerprint, key)["after"] if cursor else ""
    remaining = [w for w in sorted(webhooks, key=lambda w: w.id) if w.id > str(after)]
    page = remaining[:per_page]
    next_url = None
    if len(remaining) > per_page:
        next_url = page_url(encode_cursor({"after": page[-1].id}, fingerprint, key))
    return WebhookPage(
        webhooks=[WebhookPublic(**_public(w)) for w in page],
        pagination=Pagination(next=next_url, per_page=per_page),
    )


def read_webhook(caller: Caller, agenda_id: str, webhook_id: str) -> WebhookPublic:
    """Raises ``NotFound``, ``PermissionDenied``."""
    agenda, webhook = _agenda_and_webhook(agenda_id, webhook_id)
    authorize(agenda, caller, "webhooks.read")
    return WebhookPublic(**_public(webhook))


# --- writes ------------------------------------------------------------------------------------


def _explain(caller: Caller, agenda_id: str, operation: str, failure: TransactionFailed) -> Exception:
    """Why a create or delete did not commit: the agenda is gone or not the caller's to change,
    the cap, the subscription gone, or a race (409)."""
    with storage_errors():
        agenda = get_or_none(AgendaRecord, keys.agenda_pk(agenda_id), keys.AGENDA_SK, consistent=True)
    if agenda is None:
        return NotFound("No agenda with this id.")
    authorize(agenda, caller, operation)
    if "webhook" in failure.failed:
        return NotFound(_NO_WEBHOOK)
    if (
        operation == "webhooks.create"
        and int(agenda.webhooks_count or 0) >= get_settings().webhooks_per_agenda
    ):
        limit = get_settings().webhooks_per_agenda
        return Conflict(f"An agenda has at most {limit} webhooks.", code="too_many_webhooks")
    return Conflict(_CHANGED, code="write_conflict")


def create_webhook(caller: Caller, agenda_id: str, data: WebhookCreate) -> WebhookWithSecret:
    """One transaction. Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed``,
    ``Conflict(too_many_webhooks)``."""
    if not is_agenda_id(agenda_id) or caller.user_id is None:
        raise NotFound("No agenda with this id.")
    url, events = _checked_url(data.url), _checked_events(data.events)
    now = iso(utcnow())
    webhook_id = new_id("webhook")
    record = WebhookRecord(
        keys.agenda_pk(agenda_id),
        webhook_sk(webhook_id),
        id=webhook_id,
        agenda_id=agenda_id,
        url=url,
        events=events,
        description=data.description or None,
        active=True,
        revision=_revision(),
        created_at=now,
        updated_at=now,
    )
    secret = WebhookSecretRecord(
        webhook_secret_pk(webhook_id), SECRET_SK, webhook_id=webhook_id, secret=new_secret()
    )
    limit = get_settings().webhooks_per_agenda
    under_cap = AgendaRecord.webhooks_count.does_not_exist() | (AgendaRecord.webhooks_count < limit)
    try:
        with transaction() as tx:
            tx.put("webhook", record, condition=TableItem.pk.does_not_exist())
            tx.put("secret", secret, condition=TableItem.pk.does_not_exist())
            tx.change(
                "agenda",
                AgendaRecord(keys.agenda_pk(agenda_id), keys.AGENDA_SK),
                actions=[AgendaRecord.webhooks_count.add(1)],
                condition=_role_condition(caller, "webhooks.create") & under_cap,
            )
            create_claims.add(tx, webhook_id)
    except TransactionFailed as failure:
        if (made := create_claims.claimed(failure)) is not None:
            return _made_before(agenda_id, made)  # an earlier attempt of this keyed create committed
        raise _explain(caller, agenda_id, "webhooks.create", failure) from failure
    logger.info("webhook created", extra={"agenda_id": agenda_id, "webhook_id": webhook_id})
    return WebhookWithSecret(**_public(record), secret=secret.secret)


def _made_before(agenda_id: str, webhook_id: str) -> WebhookWithSecret:
    """The subscription (with its secret, as its create answered) an earlier attempt made."""
    _, webhook = _agenda_and_webhook(agenda_id, webhook_id)
    with storage_errors():
        secret = get_or_none(WebhookSecretRecord, webhook_secret_pk(webhook_id), SECRET_SK, consistent=True)
    if secret is None:
        raise NotFound("The webhook this Idempotency-Key created was deleted since.")
    return WebhookWithSecret(**_public(webhook), secret=secret.secret)


def delete_webhook(caller: Caller, agenda_id: str, webhook_id: str) -> None:
    """One transaction. Raises ``NotFound``, ``PermissionDenied``."""
    if not is_agenda_id(agenda_id) or caller.user_id is None:
        raise NotFound("No agenda with this id.")
    try:
        with transaction() as tx:
            tx.remove(
                "webhook",
                WebhookRecord(keys.agenda_pk(agenda_id), webhook_sk(webhook_id)),
                condition=TableItem.pk.exists(),
            )
            tx.remove("secret", WebhookSecretRecord(webhook_secret_pk(webhook_id), SECRET_SK))
            tx.change(
                "agenda",
                AgendaRecord(keys.agenda_pk(agenda_id), keys.AGENDA_SK),
                actions=[AgendaRecord.webhooks_count.add(-1)],
                condition=_role_condition(caller, "webhooks.delete"),
            )
    except TransactionFailed as failure:
        raise _explain(caller, agenda_id, "webhooks.delete", failure) from failure


def _pinned_write(
    caller: Caller,
    agenda: AgendaRecord,
    webhook: WebhookRecord,
    operation: str,
    actions: list[Any],
    secret_actions: list[Any] | None = None,
) -> None:
    """One transaction on the subscription as read (its revision) by a caller still allowed."""
    try:
        with transaction() as tx:
            tx.change(
                "webhook", webhook, actions=actions, condition=WebhookRecord.revision == webhook.revision
            )
            if secret_actions:
                secret = WebhookSecretRecord(webhook_secret_pk(webhook.id), SECRET_SK)
                tx.change("secret", secret, actions=secret_actions, condition=TableItem.pk.exists())
            tx.check(
                "agenda",
                AgendaRecord,
                keys.agenda_pk(agenda.id),
                keys.AGENDA_SK,
                condition=_role_condition(caller, operation),
            )
    except TransactionFailed as failure:
        raise Conflict(_CHANGED, code="write_conflict") from failure


def update_webhook(caller: Caller, agenda_id: str, webhook_id: str, patch: WebhookUpdate) -> WebhookPublic:
    """A merge patch. Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed``,
    ``Conflict(write_conflict)``."""
    agenda, webhook = _agenda_and_webhook(agenda_id, webhook_id)
    authorize(agenda, caller, "webhooks.update")
    sent = patch.model_fields_set
    now = iso(utcnow())
    changes: dict[str, Any] = {"updated_at": now, "revision": _revision()}
    if "url" in sent and patch.url is not None:
        changes["url"] = _checked_url(patch.url)
    if "events" in sent and patch.events is not None:
        changes["events"] = _checked_events(patch.events)
    if "description" in sent:
        changes["description"] = patch.description or None
    if "active" in sent and patch.active is not None:
        changes["active"] = patch.active
        if patch.active:
            changes["disabled_reason"] = None  # switched on again: the service tries anew
    actions = [
        getattr(WebhookRecord, name).remove() if value is None else getattr(WebhookRecord, name).set(value)
        for name, value in changes.items()
    ]
    _pinned_write(caller, agenda, webhook, "webhooks.update", actions)
    for name, value in changes.items():
        setattr(webhook, name, value)
    return WebhookPublic(**_public(webhook))


def rotate_secret(caller: Caller, agenda_id: str, webhook_id: str) -> WebhookWithSecret:
    """A new secret; the one it replaces still signs for ``webhook_secret_overlap_seconds``.
    Raises ``NotFound``, ``PermissionDenied``, ``Conflict(write_conflict)``."""
    agenda, webhook = _agenda_and_webhook(agenda_id, webhook_id)
    authorize(agenda, caller, "webhooks.rotate_secret")
    now = utcnow()
    secret = new_secret()
    until = iso(now + timedelta(seconds=get_settings().webhook_secret_overlap_seconds))
    webhook.updated_at, revision = iso(now), _revision()
    _pinned_write(
        caller,
        agenda,
        webhook,
        "webhooks.rotate_secret",
        [WebhookRecord.updated_at.set(webhook.updated_at), WebhookRecord.revision.set(revision)],
        [
            WebhookSecretRecord.previous_secret.set(WebhookSecretRecord.secret),
            WebhookSecretRecord.previous_secret_until.set(until),
            WebhookSecretRecord.secret.set(secret),
        ],
    )
    logger.info("webhook secret rotated", extra={"agenda_id": agenda_id, "webhook_id": webhook_id})
    return WebhookWithSecret(**_public(webhook), secret=secret)
