"""The caller's own account (API.md §2): PATCH /v1/users/me.

Request budget:

- a new ``name`` alone: one conditional UpdateItem (it returns the new item);
- with ``If-Match``, or an empty patch: one GetItem first (the ETag of a user is a digest of its
  representation, which a condition cannot compare), then the UpdateItem conditioned on the
  fields that representation shows, so a change in between is a 412;
- a new ``password`` (rare): the GetItem, one BatchGetItem (the credential and the caller's
  failed-login counters: a wrong ``current_password`` is a failed login, throttled like one), one
  TransactWriteItems (credential and profile), then the end of every other session of the
  account (``login_sessions.revoke_other_sessions``: one Query and one UpdateItem per session). The
  session the request comes from stays (its ``sid``). Access tokens already issued to other
  sessions stay valid until they expire (≤ 15 min): they are not looked up per request.
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition

from agenda_core.db import keys
from agenda_core.db.base import TableItem, get_or_none
from agenda_core.db.ids import iso, utcnow
from agenda_core.db.records import CredentialRecord, UserRecord
from agenda_core.db.transactions import TransactionFailed, is_condition_failure, storage_errors, transaction
from agenda_core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PreconditionFailed,
    Unauthorized,
    ValidationFailed,
)
from agenda_core.etags import content_etag
from agenda_core.observability import logger
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.profile import UserUpdate
from agenda_core.schemas.users import UserPublic
from agenda_core.services import login_sessions, passwords, throttling, users


def user_etag(user: UserPublic) -> str:
    """The ETag GET /v1/users/me gives this representation (a digest of its bytes)."""
    return content_etag(user.model_dump_json())


def _if_match_hit(header: str, etag: str) -> bool:
    """RFC 9110 §13.1.1: strong comparison; ``*`` matches any current representation."""
    if header.strip() == "*":
        return True
    return any(tag.strip() == etag for tag in header.split(","))


def update_me(
    caller: Caller, data: UserUpdate, if_match: str | None, source_ip: str | None, base_url: str
) -> UserPublic:
    """Applies the merge patch to the caller's account. Raises ``ValidationFailed`` (a password
    without the current one or the other way round; a wrong ``current_password``, pointed at
    ``/current_password``), ``RateLimited`` (too many wrong current passwords), ``NotFound`` (the
    account is gone), ``PreconditionFailed`` (``If-Match`` is stale), ``Conflict`` (the password
    changed meanwhile)."""
    if caller.user_id is None:
        raise Unauthorized()
    fields = data.model_fields_set - {"email"}
    changes_password = bool(fields & {"password", "current_password"})
    if changes_password and not {"password", "current_password"} <= fields:
        missing = "current_password" if "password" in fields else "password"
        raise ValidationFailed(
            [
                FieldError(
                    f"/{missing}", "required", f"/{missing}: send password and current_password together."
                )
            ]
        )
    if not changes_password and if_match is None and "name" in fields:
        return _rename(caller.user_id, data, seen=None, base_url=base_url)
    with storage_errors():
        record = get_or_none(UserRecord, keys.user_pk(caller.user_id), keys.USER_SK, consistent=True)
    if record is None:
        raise NotFound("This account no longer exists.")
    if if_match is not None and not _if_match_hit(if_match, user_etag(users._public(record, base_url))):
        raise PreconditionFailed()
    seen = record if if_match is not None else None
    if changes_password:
        return _change_password(caller, record, data, seen, source_ip, base_url)
    if "name" in fields:
        return _rename(caller.user_id, data, seen=seen, base_url=base_url)
    return users._public(record, base_url)


def _unchanged_since(seen: UserRecord | None) -> Condition:
    condition = TableItem.pk.exists()
    if seen is not None:
        # Everything the representation (and so its ETag) shows that can change.
        condition &= (UserRecord.updated_at == seen.updated_at) & (UserRecord.name == seen.name)
    return condition


def _rename(user_id: str, data: UserUpdate, *, seen: UserRecord | None, base_url: str) -> UserPublic:
    assert data.name is not None
    record = UserRecord(keys.user_pk(user_id), keys.USER_SK)
    try:
        with storage_errors():
            record.update(
                actions=[UserRecord.name.set(data.name), UserRecord.updated_at.set(iso(utcnow()))],
                condition=_unchanged_since(seen),
            )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise
        if seen is not None:
            raise PreconditionFailed() from error
        raise NotFound("This account no longer exists.") from error
    return users._public(record, base_url)


def _change_password(
    caller: Caller,
    record: UserRecord,
    data: UserUpdate,
    seen: UserRecord | None,
    source_ip: str | None,
    base_url: str,
) -> UserPublic:
    assert data.password is not None and data.current_password is not None
    now = login_sessions.clock()
    counters = throttling.login_counters(record.email, source_ip, now)
    credential_key = (keys.email_pk(record.email), keys.EMAIL_SK)
    items = login_sessions.batch_get([credential_key, *(counter.key for counter in counters)])
    throttling.check(counters, items, now)
    credential = items.get(credential_key)
    if not isinstance(credential, CredentialRecord) or credential.user_id != record.id:
        raise NotFound("This account no longer exists.")
    if not passwords.verify_password(credential.password_hash, data.current_password):
        throttling.record_failures(counters)
        raise ValidationFailed(
            [
                FieldError(
                    "/current_password",
                    "incorrect_password",
                    "/current_password: is not the current password.",
                )
            ]
        )
    new_hash = passwords.hash_password(data.password)
    updated_at = iso(utcnow())
    actions = [UserRecord.updated_at.set(updated_at)]
    if data.name is not None:
        actions.append(UserRecord.name.set(data.name))
    try:
        with transaction() as tx:
            tx.change(
                "credential",
                credential,
                actions=[CredentialRecord.password_hash.set(new_hash)],
                condition=CredentialRecord.password_hash == credential.password_hash,
            )
            tx.change("user", record, actions=actions, condition=_unchanged_since(seen))
    except TransactionFailed as error:
        if "user" in error.failed and seen is not None:
            raise PreconditionFailed() from error
        raise Conflict(
            "The account changed while the password was being changed; try again.", code="concurrent_change"
        ) from error
    ended = login_sessions.revoke_other_sessions(
        record.id, keep=caller.credential_id, reason="password_change"
    )
    logger.info("password changed", extra={"user_id": record.id, "sessions_ended": ended})
    record.updated_at = updated_at
    if data.name is not None:
        record.name = data.name
    return users._public(record, base_url)
