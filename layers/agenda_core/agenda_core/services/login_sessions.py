"""Sessions (API.md §2): log in, refresh, log out, and end a user's other sessions.

A session is a refresh-token family (RFC 9700 §4.14.2; storage in ``db/login_session_records.py``,
token format in ``services/refresh_token_format.py``). Its access tokens carry its id as ``sid``.

- Log in: one BatchGetItem reads the credential and both failed-login counters (per email, per
  source IP); a throttled login is a 429 before any hashing. A wrong password costs the same
  hashing as an unknown email (``passwords.burn_dummy_check``) and one TransactWriteItems that
  counts the failure on both counters. A good one is one TransactWriteItems: the family, its first
  token and a check that the password hash is still the one verified (a login that raced a
  password change starts no session); a hash made with parameters since grown is upgraded in that
  same write.
- Refresh: one BatchGetItem (the token's item by hash, the family's item by the id inside the
  token) and one TransactWriteItems that spends the token, stores its successor and advances the
  family, each under a condition, so of two racing refreshes exactly one rotates. The other (and
  any refresh of the same token within ``refresh_grace_seconds``) reads again and gets the same
  successor, recomputed (it is derived from the spent token with a key only we hold), with no
  write, provided nobody has rotated the family further. Anything else presenting a spent token
  is reuse: the whole family is revoked (one UpdateItem) and the answer is a 401.
- Log out: one TransactWriteItems (a ConditionCheck that the token belongs to the family and an
  Update revoking the family), and a 204 whatever happened: no oracle for token validity.
- Other sessions (after a password change): one Query of the user's live families on gsi1, then
  one conditional UpdateItem per family revoked.

Every refusal of a refresh token is the same 401 ``invalid_refresh_token``.
"""

from __future__ import annotations

import time
from typing import NoReturn

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action
from ulid import ULID

from agenda_core.db import keys
from agenda_core.db.base import TableItem
from agenda_core.db.login_session_records import (
    FAMILY_SK,
    REFRESH_SK,
    RefreshTokenRecord,
    SessionFamilyRecord,
    family_pk,
    refresh_pk,
    sessions_of_pk,
)
from agenda_core.db.records import CredentialRecord
from agenda_core.db.transactions import TransactionFailed, is_condition_failure, storage_errors, transaction
from agenda_core.errors import Unauthorized
from agenda_core.integrations import access_tokens
from agenda_core.integrations.secrets import key_ring, signing_key
from agenda_core.observability import logger
from agenda_core.schemas.users import TokenCreate, TokenPublic, normalise_email
from agenda_core.services import passwords, throttling
from agenda_core.services import refresh_token_format as fmt
from agenda_core.settings import get_settings

Key = tuple[str, str]
SUCCESSOR_KEY_PURPOSE = "refresh-successor"
# How many times a refresh re-reads after losing a race before giving up (it never needs more
# than one: the winner's write is what it reads).
_RACE_RETRIES = 2


def clock() -> float:
    """Now, in epoch seconds (one seam, so tests can move time for the expiry rules)."""
    return time.time()


def _invalid_credentials() -> Unauthorized:
    return Unauthorized("The email or password is not correct.", code="invalid_credentials")


def _invalid_refresh_token() -> Unauthorized:
    return Unauthorized("The refresh token is not valid; sign in again.", code="invalid_refresh_token")


def batch_get(wanted: list[Key]) -> dict[Key, TableItem]:
    """One BatchGetItem, strongly consistent: the items found, by (pk, sk)."""
    with storage_errors():
        return {(item.pk, item.sk): item for item in TableItem.batch_get(wanted, consistent_read=True)}


# --- log in ---------------------------------------------------------------------------------


def log_in(data: TokenCreate, source_ip: str | None) -> TokenPublic:
    """Email and password for a new session. Raises ``RateLimited`` (too many failures for this
    email or source), ``Unauthorized(invalid_credentials)`` (one answer for an unknown email and
    a wrong password, after the same hashing work)."""
    now = clock()
    email = normalise_email(data.email)
    counters = throttling.login_counters(email, source_ip, now)
    credential_key = (keys.email_pk(email), keys.EMAIL_SK)
    items = batch_get([credential_key, *(counter.key for counter in counters)])
    throttling.check(counters, items, now)
    credential = items.get(credential_key)
    if not isinstance(credential, CredentialRecord):
        passwords.burn_dummy_check(data.password)
        _failed_login(counters)
    if not passwords.verify_password(credential.password_hash, data.password):
        _failed_login(counters)
    upgraded = (
        passwords.hash_password(data.password) if passwords.needs_rehash(credential.password_hash) else None
    )
    return start_session(credential, now, upgraded_hash=upgraded)


def _failed_login(counters: tuple[throttling.Counter, ...]) -> NoReturn:
    throttling.record_failures(counters)
    raise _invalid_credentials()


def start_session(
    credential: CredentialRecord, now: float, *, upgraded_hash: str | None = None
) -> TokenPublic:
    """A new family for the credential's user, with its first token and an access token.

    One TransactWriteItems; it also requires the password hash to be the one just verified, so a
    login that raced a password change is refused (``Unauthorized``) rather than outliving it."""
    settings = get_settings()
    created = int(now)
    expires = created + settings.refresh_absolute_seconds
    family_id = str(ULID())
    token = fmt.new_token(family_id)
    token_hash = fmt.token_hash(token)
    user_id = credential.user_id
    family = SessionFamilyRecord(
        family_pk(family_id),
        FAMILY_SK,
        id=family_id,
        user_id=user_id,
        created_at=created,
        expires_at=expires,
        last_used_at=created,
        current_hash=token_hash,
        revoked=False,
        gsi1pk=sessions_of_pk(user_id),
        gsi1sk=family_id,
        ttl=expires,
    )
    first = RefreshTokenRecord(
        refresh_pk(token_hash),
        REFRESH_SK,
        family_id=family_id,
        user_id=user_id,
        issued_at=created,
        ttl=expires,
    )
    unchanged = CredentialRecord.password_hash == credential.password_hash
    # Signed before anything is stored: when the signing key cannot be read (Secrets Manager
    # throttled), the login fails with nothing written, not after a session no one will ever
    # hold (found by tests/faults).
    pair = _pair(user_id, family_id, token)
    try:
        with transaction() as tx:
            tx.put("family", family, condition=TableItem.pk.does_not_exist())
            tx.put("token", first, condition=TableItem.pk.does_not_exist())
            if upgraded_hash is None:
                tx.check("credential", CredentialRecord, credential.pk, credential.sk, condition=unchanged)
            else:
                # The hash parameters grew since this hash was made: upgrade it while we hold the
                # password (RELIABILITY.md).
                tx.change(
                    "credential",
                    credential,
                    actions=[CredentialRecord.password_hash.set(upgraded_hash)],
                    condition=unchanged,
                )
    except TransactionFailed as error:
        if "credential" in error.failed:
            raise _invalid_credentials() from error
        raise
    logger.info("session started", extra={"user_id": user_id, "session_id": family_id})
    return pair


def _pair(user_id: str, family_id: str, refresh_token: str) -> TokenPublic:
    access_token, lifetime = access_tokens.issue_access_token(user_id, family_id)
    return TokenPublic(access_token=access_token, expires_in=lifetime, refresh_token=refresh_token)


# --- refresh --------------------------------------------------------------------------------


def refresh(token: str) -> TokenPublic:
    """A new pair for a live refresh token, which is spent. Raises
    ``Unauthorized(invalid_refresh_token)`` for anything else; presenting a spent token outside
    the grace window also revokes its family."""
    family_id = fmt.family_of(token)
    if family_id is None:
        raise _invalid_refresh_token()
    token_hash = fmt.token_hash(token)
    wanted = [(refresh_pk(token_hash), REFRESH_SK), (family_pk(family_id), FAMILY_SK)]
    for _ in range(_RACE_RETRIES):
        now = clock()
        items = batch_get(wanted)
        item, family = items.get(wanted[0]), items.get(wanted[1])
        if not (
            isinstance(item, RefreshTokenRecord)
            and isinstance(family, SessionFamilyRecord)
            and item.family_id == family_id
            and _live(family, now)
        ):
            raise _invalid_refresh_token()
        if item.spent_at is not None:
            return _replay_or_revoke(token, token_hash, item, family, now)
        rotated = _rotate(token, token_hash, item, family, now)
        if rotated is not None:
            return rotated
        # Lost a race: another request spent the token (or ended the session) since our read.
    raise _invalid_refresh_token()


def _live(family: SessionFamilyRecord, now: float) -> bool:
    idle = get_settings().refresh_idle_seconds
    return not family.revoked and now < family.expires_at and now < family.last_used_at + idle


def _successor_key() -> bytes:
    return signing_key().derive(SUCCESSOR_KEY_PURPOSE)


def _rotate(
    token: str, token_hash: str, item: RefreshTokenRecord, family: SessionFamilyRecord, now: float
) -> TokenPublic | None:
    """Spends ``token`` and issues its successor; ``None`` when a condition failed (a racing
    refresh or a revocation got there first)."""
    successor = fmt.successor(token, _successor_key())
    successor_hash = fmt.token_hash(successor)
    at = int(now)
    issued = RefreshTokenRecord(
        refresh_pk(successor_hash),
        REFRESH_SK,
        family_id=family.id,
        user_id=family.user_id,
        issued_at=at,
        ttl=int(family.expires_at),
    )
    try:
        with transaction() as tx:
            tx.change(
                "token",
                item,
                actions=[
                    RefreshTokenRecord.spent_at.set(at),
                    RefreshTokenRecord.successor_hash.set(successor_hash),
                ],
                condition=TableItem.pk.exists() & RefreshTokenRecord.spent_at.does_not_exist(),
            )
            tx.put("successor", issued, condition=TableItem.pk.does_not_exist())
            tx.change(
                "family",
                family,
                actions=[
                    SessionFamilyRecord.last_used_at.set(at),
                    SessionFamilyRecord.current_hash.set(successor_hash),
                ],
                condition=(SessionFamilyRecord.revoked == False)  # noqa: E712 - a DynamoDB condition
                & (SessionFamilyRecord.current_hash == token_hash),
            )
    except TransactionFailed:
        return None
    return _pair(family.user_id, family.id, successor)


def _replay_or_revoke(
    token: str, token_hash: str, item: RefreshTokenRecord, family: SessionFamilyRecord, now: float
) -> TokenPublic:
    """A spent token again: inside the grace window, and while its successor is still the newest
    token, the same successor (a parallel refresh from one app); otherwise reuse (RFC 9700: the
    token may have been stolen), which ends the session."""
    grace = get_settings().refresh_grace_seconds
    spent_at = float(item.spent_at or 0)
    # A BatchGetItem is isolated per item, not against a whole transaction: it can see the token
    # spent by a rotation and the family from just before it. Only that rotation spends the token
    # and it moves the family on to the successor, so a family still naming the spent token as
    # its newest means exactly that: the successor is the newest.
    newest = family.current_hash in {item.successor_hash, token_hash}
    if now - spent_at <= grace and newest:
        for key in key_ring().candidates():  # the successor may have been derived before a key rotation
            successor = fmt.successor(token, key.derive(SUCCESSOR_KEY_PURPOSE))
            if fmt.token_hash(successor) == item.successor_hash:
                return _pair(family.user_id, family.id, successor)
    logger.warning(
        "refresh token reused: session revoked", extra={"user_id": family.user_id, "session_id": family.id}
    )
    revoke_family(family.id, "reuse")
    raise _invalid_refresh_token()


# --- log out and revocation -----------------------------------------------------------------


def _revocation(reason: str) -> list[Action]:
    at = int(clock())
    return [
        SessionFamilyRecord.revoked.set(True),
        SessionFamilyRecord.revoked_at.set(at),
        SessionFamilyRecord.revoked_reason.set(reason),
        # Out of the user's index of live sessions.
        SessionFamilyRecord.gsi1pk.remove(),
        SessionFamilyRecord.gsi1sk.remove(),
    ]


def revoke_family(family_id: str, reason: str) -> bool:
    """Ends a session: one conditional UpdateItem. ``False`` when it was gone or already ended."""
    family = SessionFamilyRecord(family_pk(family_id), FAMILY_SK)
    try:
        with storage_errors():
            family.update(
                actions=_revocation(reason),
                condition=TableItem.pk.exists() & (SessionFamilyRecord.revoked == False),  # noqa: E712
            )
    except UpdateError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def revoke(token: str) -> None:
    """Logs out: ends the session ``token`` belongs to (spent or not). Answers nothing either way:
    an unknown, malformed or already revoked token is not an error (RFC 7009 §2.2)."""
    family_id = fmt.family_of(token)
    if family_id is None:
        return
    family = SessionFamilyRecord(family_pk(family_id), FAMILY_SK)
    try:
        with transaction() as tx:
            tx.check(
                "token",
                RefreshTokenRecord,
                refresh_pk(fmt.token_hash(token)),
                REFRESH_SK,
                condition=RefreshTokenRecord.family_id == family_id,
            )
            tx.change(
                "family",
                family,
                actions=_revocation("logout"),
                condition=TableItem.pk.exists() & (SessionFamilyRecord.revoked == False),  # noqa: E712
            )
    except TransactionFailed:
        return
    logger.info("session ended", extra={"session_id": family_id})


def revoke_other_sessions(user_id: str, keep: str | None, reason: str) -> int:
    """Ends every live session of ``user_id`` but ``keep``; how many it ended. One Query of the
    user's sessions on gsi1 (following its pages), then one UpdateItem per session."""
    ended = 0
    now = clock()
    with storage_errors():
        families = list(TableItem.gsi1.query(sessions_of_pk(user_id)))
    for family in families:
        if not isinstance(family, SessionFamilyRecord) or family.id == keep or now >= family.expires_at:
            continue
        ended += revoke_family(family.id, reason)
    return ended
