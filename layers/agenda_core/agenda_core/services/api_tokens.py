"""API tokens for integrations (API.md §2): create, list, delete, and authenticate with one.

Storage (``db/token_records.py``): one item per token, keyed by its id, indexed by its owner.
Request budget:

- authenticate: one consistent GetItem by primary key, then nothing for up to
  ``api_token_cache_seconds`` (≤ 60 s) in this container; plus, at most once per
  ``api_token_last_used_interval_seconds`` per token, one conditional UpdateItem of
  ``last_used_at``. A token whose format or checksum is wrong costs no request at all.
- list: one Query of gsi1. delete: one conditional DeleteItem.
- create: one Query (Select COUNT, for the per-user cap) and one conditional PutItem; with an
  ``Idempotency-Key``, one TransactWriteItems of the token and its create claim instead, plus the
  idempotency record. A keyed create's secret is derived, not drawn (``_replay_seed``), so that a
  retry after an answer lost past the commit shows the same token, not a second one. The count is a soft cap (two racing creates may both
  pass it), which is all it needs to be: it bounds what one account can pile up.

The container cache: a verified token's item is remembered by token id, and every use still
compares the presented secret's hash and checks the expiry, so a wrong secret or an expired token
is refused from the cache too. What the cache delays is a deletion: other warm containers accept a
deleted token for up to ``api_token_cache_seconds`` (the container that deleted it forgets it at
once). That is the price of keeping an API-token read at the route's own request count.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import PynamoDBException

from agenda_core import create_claim
from agenda_core.db import create_claims
from agenda_core.db.base import TableItem, get_or_none
from agenda_core.db.ids import iso, new_id, utcnow
from agenda_core.db.token_records import TOKEN_SK, ApiTokenRecord, token_pk, tokens_of_pk
from agenda_core.db.transactions import (
    TransactionFailed,
    is_condition_failure,
    save_new,
    storage_errors,
    transaction,
)
from agenda_core.errors import (
    Conflict,
    FieldError,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
    ValidationFailed,
)
from agenda_core.integrations.secrets import SigningKey, key_ring, signing_key
from agenda_core.observability import logger
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.tokens import (
    SCOPE_ORDER,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenPage,
    ApiTokenPublic,
)
from agenda_core.services import paging, token_format
from agenda_core.settings import get_settings

_CACHE_LIMIT = 1024
_INVALID = "The API token is not valid."
# What a keyed create's token secret is derived with (integrations/secrets.py SigningKey.derive).
_REPLAY_PURPOSE = "api-token-replay"


def token_url(base_url: str, token_id: str) -> str:
    return f"{base_url}/v1/users/me/tokens/{token_id}"


def _public(record: ApiTokenRecord, base_url: str) -> ApiTokenPublic:
    return ApiTokenPublic(**_fields(record, base_url))


def _fields(record: ApiTokenRecord, base_url: str) -> dict[str, object]:
    return {
        "id": record.id,
        "url": token_url(base_url, record.id),
        "name": record.name,
        "scopes": [scope for scope in SCOPE_ORDER if scope in record.scopes],
        "expires_at": datetime.fromisoformat(record.expires_at) if record.expires_at else None,
        "last_used_at": datetime.fromisoformat(record.last_used_at) if record.last_used_at else None,
        "created_at": datetime.fromisoformat(record.created_at),
        # Tokens cannot be changed (yet): use is recorded in last_used_at, not as a change.
        "updated_at": datetime.fromisoformat(record.updated_at),
    }


# --- create ----------------------------------------------------------------------------------


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is None:
        return
    days = get_settings().api_token_max_lifetime_days
    if expires_at <= now:
        problem = "must be in the future"
    elif expires_at > now + timedelta(days=days):
        problem = f"must be at most {days} days from now"
    else:
        return
    raise ValidationFailed([FieldError("/expires_at", "invalid_value", f"/expires_at: {problem}")])


def create_token(caller: Caller, data: ApiTokenCreate, base_url: str) -> ApiTokenCreated:
    """A new token of the caller's; its secret is in the answer and nowhere else.

    Raises ``ValidationFailed`` (expiry), ``Conflict(too_many_tokens)``; for a retry of a keyed
    create whose token was deleted since, ``NotFound``.
    """
    assert caller.user_id is not None
    now = utcnow()
    _check_expiry(data.expires_at, now)
    limit = get_settings().api_tokens_per_user_max
    with storage_errors():
        count = ApiTokenRecord.count(tokens_of_pk(caller.user_id), index_name="gsi1", limit=limit)
    if count >= limit:
        raise Conflict(f"You have {limit} API tokens; delete one first.", code="too_many_tokens")
    token_id = new_id("token", now)
    keyed = create_claims.keyed()
    secret = token_format.new_token(token_id, seed=_replay_seed(token_id, signing_key()) if keyed else None)
    record = ApiTokenRecord(
        token_pk(token_id),
        TOKEN_SK,
        id=token_id,
        user_id=caller.user_id,
        name=data.name,
        scopes=set(data.scopes),
        secret_hash=token_format.secret_hash(secret),
        expires_at=iso(data.expires_at) if data.expires_at else None,
        created_at=iso(now),
        updated_at=iso(now),
        gsi1pk=tokens_of_pk(caller.user_id),
        gsi1sk=token_id,
    )
    if not keyed:
        save_new(record)
    else:
        try:
            with transaction() as tx:
                tx.put("token", record, condition=TableItem.pk.does_not_exist())
                create_claims.add(tx, token_id)
        except TransactionFailed as failure:
            if (made := create_claims.claimed(failure)) is not None:
                return _made_before(caller.user_id, made, base_url)
            raise
    # The id only: the secret is never logged.
    logger.info("api token created", extra={"token_id": token_id, "user_id": caller.user_id})
    return ApiTokenCreated(**_fields(record, base_url), token=secret)


def _replay_seed(token_id: str, key: SigningKey) -> bytes:
    """What a keyed create's token is made from, so that a retry after a lost answer can show the
    same token again (issue 14: the same answer as a clean first try) although only its hash is
    stored. It needs a key only we hold and the claim's digest of (caller, route, Idempotency-Key):
    neither the table nor the key alone gives a token away."""
    digest = create_claim.current()
    assert digest is not None
    return hmac.new(key.derive(_REPLAY_PURPOSE), f"{token_id}\n{digest}".encode(), hashlib.sha256).digest()


def _made_before(user_id: str, token_id: str, base_url: str) -> ApiTokenCreated:
    """The token an earlier attempt of this keyed create made, its secret made again from the
    same seed (one consistent GetItem). A key rotated out since, or the token deleted since, and
    the secret can no longer be shown: ``NotFound``, never a secret that does not work."""
    with storage_errors():
        record = get_or_none(ApiTokenRecord, token_pk(token_id), TOKEN_SK, consistent=True)
    if record is not None and record.user_id == user_id:
        for key in key_ring().candidates():  # the token may have been made before a key rotation
            secret = token_format.new_token(token_id, seed=_replay_seed(token_id, key))
            if hmac.compare_digest(token_format.secret_hash(secret), record.secret_hash):
                return ApiTokenCreated(**_fields(record, base_url), token=secret)
    raise NotFound("The API token this Idempotency-Key created was deleted since, or can no longer be shown.")


# --- list and delete ---------------------------------------------------------------------------


def list_tokens(
    caller: Caller, *, per_page: int, cursor: str | None, base_url: str, page_url: Callable[[str], str]
) -> ApiTokenPage:
    """The caller's tokens, oldest first (one Query of gsi1). Never any secret or hash.

    Raises ``InvalidCursor``.
    """
    assert caller.user_id is not None
    # Bound to the user too: another user's cursor is a 400, not a start key in someone else's list.
    page = paging.index_page(
        ApiTokenRecord,
        tokens_of_pk(caller.user_id),
        query={"route": "tokens", "user": caller.user_id},
        per_page=per_page,
        cursor=cursor,
        page_url=page_url,
    )
    return ApiTokenPage(
        tokens=[_public(record, base_url) for record in page.records], pagination=page.pagination
    )


def delete_token(caller: Caller, token_id: str) -> None:
    """Deletes one of the caller's tokens, on the condition that it is theirs: a transaction of
    one item rather than a DeleteItem, for its idempotency token. The SDK retries a delete whose
    answer was lost; a plain DeleteItem's retry met its own effect and answered 404 for a token
    it had just deleted (found by tests/faults), a transaction's retry is answered as the first
    attempt was.

    Raises ``NotFound`` (also for another user's token: API.md §1, 404 when not visible).
    """
    assert caller.user_id is not None
    try:
        with transaction() as tx:
            tx.remove(
                "token",
                ApiTokenRecord(token_pk(token_id), TOKEN_SK),
                condition=ApiTokenRecord.user_id == caller.user_id,
            )
    except TransactionFailed as error:
        raise NotFound("You have no API token with this id.") from error
    _cache.pop(token_id, None)
    logger.info("api token deleted", extra={"token_id": token_id, "user_id": caller.user_id})


# --- authenticate ------------------------------------------------------------------------------


@dataclass
class _Known:
    """What a warm container remembers of a token it loaded (never the secret itself)."""

    user_id: str
    scopes: frozenset[str]
    secret_hash: str
    expires_at: datetime | None
    last_used_at: str | None
    loaded_at: float


_cache: dict[str, _Known] = {}


def forget_cached_tokens() -> None:
    """Forget every remembered token (tests; a fresh container)."""
    _cache.clear()


def _load(token_id: str) -> _Known | None:
    # Consistent: a token works the moment it is created, and stops the moment it is deleted
    # (for containers that had not cached it).
    with storage_errors():
        record = get_or_none(ApiTokenRecord, token_pk(token_id), TOKEN_SK, consistent=True)
    if record is None:
        return None
    known = _Known(
        user_id=record.user_id,
        scopes=frozenset(record.scopes),
        secret_hash=record.secret_hash,
        expires_at=datetime.fromisoformat(record.expires_at) if record.expires_at else None,
        last_used_at=record.last_used_at,
        loaded_at=time.monotonic(),
    )
    lifetime = get_settings().api_token_cache_seconds
    if lifetime > 0:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[token_id] = known
    return known


def _remembered(token_id: str) -> _Known | None:
    known = _cache.get(token_id)
    if known is None:
        return None
    if time.monotonic() - known.loaded_at >= get_settings().api_token_cache_seconds:
        del _cache[token_id]
        return None
    return known


def authenticate(token: str) -> Caller:
    """The caller an API token (``agt_…``) stands for. Raises ``Unauthorized`` (``invalid_token``
    for a malformed, unknown, deleted or wrong token; ``token_expired``)."""
    token_id = token_format.token_id_of(token)
    if token_id is None:
        # A typo or a made-up token: refused before any database call.
        raise Unauthorized(_INVALID, code="invalid_token")
    known = _remembered(token_id) or _load(token_id)
    if known is None or not hmac.compare_digest(known.secret_hash, token_format.secret_hash(token)):
        raise Unauthorized(_INVALID, code="invalid_token")
    now = utcnow()
    if known.expires_at is not None and now >= known.expires_at:
        raise Unauthorized("The API token has expired.", code="token_expired")
    _record_use(token_id, known, now)
    return Caller(user_id=known.user_id, scopes=known.scopes, via="api_token", credential_id=token_id)


def _record_use(token_id: str, known: _Known, now: datetime) -> None:
    """Sets ``last_used_at`` when it is older than the interval: a conditional UpdateItem, so that
    of the containers noticing at once only one writes, and a deleted token is not recreated.
    Best effort: bookkeeping never fails the request it is about."""
    stale_before = iso(now - timedelta(seconds=get_settings().api_token_last_used_interval_seconds))
    if known.last_used_at is not None and known.last_used_at >= stale_before:
        return
    try:
        with storage_errors():
            ApiTokenRecord(token_pk(token_id), TOKEN_SK).update(
                actions=[ApiTokenRecord.last_used_at.set(iso(now))],
                condition=TableItem.pk.exists()
                & (
                    ApiTokenRecord.last_used_at.does_not_exist()
                    | (ApiTokenRecord.last_used_at < stale_before)
                ),
            )
    except (PynamoDBException, ServiceUnavailable) as error:
        if not (isinstance(error, PynamoDBException) and is_condition_failure(error)):
            logger.warning("recording an api token's use failed", extra={"token_id": token_id})
    # Written by us, or by another container within the interval: either way, fresh enough.
    known.last_used_at = iso(now)
