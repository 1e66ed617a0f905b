"""Accounts: sign-up and "me" (logging in is ``services/login_sessions.py``; changing the account,
``services/profile.py``)."""

from __future__ import annotations

from datetime import datetime

from agenda_core.db import create_claims, keys
from agenda_core.db.base import get_or_none
from agenda_core.db.ids import iso, new_id, utcnow
from agenda_core.db.records import CredentialRecord, TableItem, UserRecord
from agenda_core.db.transactions import TransactionFailed, storage_errors, transaction
from agenda_core.errors import Conflict, NotFound, Unauthorized
from agenda_core.observability import logger
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.users import UserCreate, UserPublic
from agenda_core.services import passwords, throttling
from agenda_core.services.links import me_url


def _public(record: UserRecord, base_url: str) -> UserPublic:
    return UserPublic(
        id=record.id,
        url=me_url(base_url),
        email=record.email,
        name=record.name,
        created_at=datetime.fromisoformat(record.created_at),
        updated_at=datetime.fromisoformat(record.updated_at),
    )


def create_user(data: UserCreate, base_url: str, source_ip: str | None = None) -> UserPublic:
    """Signs a user up. Raises ``RateLimited`` (too many sign-ups from this source; checked
    first, so a throttled caller learns nothing about emails), ``Conflict(email_taken)``.

    One transaction writes the credential (which claims the email), the profile, and one more
    sign-up on the source's counter, conditioned on its being under the limit. A refused sign-up
    (email taken) still counts, with one more UpdateItem.
    """
    now = utcnow()
    counter = throttling.signup_counter(source_ip, now.timestamp())
    throttling.refuse_if_known_full(counter)
    user_id = new_id("user", now)
    user = UserRecord(
        keys.user_pk(user_id),
        keys.USER_SK,
        id=user_id,
        email=data.email,
        name=data.name,
        created_at=iso(now),
        updated_at=iso(now),
    )
    credential = CredentialRecord(
        keys.email_pk(data.email),
        keys.EMAIL_SK,
        user_id=user_id,
        password_hash=passwords.hash_password(data.password),
    )
    try:
        with transaction() as tx:
            tx.put("credential", credential, condition=TableItem.pk.does_not_exist())
            tx.put("user", user, condition=TableItem.pk.does_not_exist())
            throttling.count_within_limit(tx, counter)
            create_claims.add(tx, user_id)
    except TransactionFailed as error:
        if (made := create_claims.claimed(error)) is not None:
            return _made_before(made, data, base_url)  # an earlier attempt of this keyed sign-up
        if throttling.failed(error, counter):
            throttling.remember_full(counter)
            raise throttling.too_many(counter, now.timestamp()) from error
        if "credential" in error.failed:
            throttling.count_attempt(counter)
            raise Conflict("An account with this email already exists.", code="email_taken") from error
        raise
    logger.info("user created", extra={"user_id": user_id})
    return _public(user, base_url)


def _made_before(user_id: str, data: UserCreate, base_url: str) -> UserPublic:
    """The account an earlier attempt of this keyed sign-up made (its answer lost after the
    commit), answered as that attempt would have been. The claim is the email's and the key's; the
    account must still be that email's and name's, else the email is simply taken."""
    with storage_errors():
        record = get_or_none(UserRecord, keys.user_pk(user_id), keys.USER_SK, consistent=True)
    if record is None or (record.email, record.name) != (data.email, data.name):
        raise Conflict("An account with this email already exists.", code="email_taken")
    return _public(record, base_url)


def get_me(caller: Caller, base_url: str) -> UserPublic:
    """The caller's profile. Raises ``Unauthorized`` when the account is gone."""
    if caller.user_id is None:
        raise Unauthorized()
    with storage_errors():
        record = get_or_none(UserRecord, keys.user_pk(caller.user_id), keys.USER_SK)
    if record is None:
        raise NotFound("This account no longer exists.")
    return _public(record, base_url)
