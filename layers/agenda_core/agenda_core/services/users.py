"""Accounts: sign-up, login, "me"."""

from __future__ import annotations

from datetime import datetime

from agenda_core.db import keys
from agenda_core.db.base import get_or_none
from agenda_core.db.ids import iso, new_id, utcnow
from agenda_core.db.records import CredentialRecord, TableItem, UserRecord
from agenda_core.db.transactions import TransactionFailed, storage_errors, transaction
from agenda_core.errors import Conflict, NotFound, Unauthorized
from agenda_core.integrations import access_tokens
from agenda_core.observability import logger
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.users import TokenCreate, TokenPublic, UserCreate, UserPublic, normalise_email
from agenda_core.services import passwords
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


def create_user(data: UserCreate, base_url: str) -> UserPublic:
    """Signs a user up. Raises ``Conflict(email_taken)``.

    One transaction writes the credential (which claims the email) and the profile.
    """
    now = utcnow()
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
    except TransactionFailed as error:
        if "credential" in error.failed:
            raise Conflict("An account with this email already exists.", code="email_taken") from error
        raise
    logger.info("user created", extra={"user_id": user_id})
    return _public(user, base_url)


def issue_token(data: TokenCreate) -> TokenPublic:
    """Logs in. One identical ``Unauthorized(invalid_credentials)`` for an unknown email and a
    wrong password, after the same amount of hashing work."""
    with storage_errors():
        credential = get_or_none(
            CredentialRecord, keys.email_pk(normalise_email(data.email)), keys.EMAIL_SK, consistent=True
        )
    if credential is None:
        passwords.burn_dummy_check(data.password)
        raise Unauthorized("The email or password is not correct.", code="invalid_credentials")
    if not passwords.verify_password(credential.password_hash, data.password):
        raise Unauthorized("The email or password is not correct.", code="invalid_credentials")
    if passwords.needs_rehash(credential.password_hash):
        # The hash parameters grew since this hash was made: upgrade it while we hold the password.
        with storage_errors():
            credential.update(
                actions=[CredentialRecord.password_hash.set(passwords.hash_password(data.password))]
            )
    token, lifetime = access_tokens.issue_access_token(credential.user_id)
    return TokenPublic(access_token=token, expires_in=lifetime)


def get_me(caller: Caller, base_url: str) -> UserPublic:
    """The caller's profile. Raises ``Unauthorized`` when the account is gone."""
    if caller.user_id is None:
        raise Unauthorized()
    with storage_errors():
        record = get_or_none(UserRecord, keys.user_pk(caller.user_id), keys.USER_SK)
    if record is None:
        raise NotFound("This account no longer exists.")
    return _public(record, base_url)
