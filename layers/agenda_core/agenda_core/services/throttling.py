"""Guessing limits: failed logins per email and per source IP, sign-ups per source IP.

Fixed windows (``settings``: e.g. 5 failed logins per email and 20 per IP in 15 minutes, 10
sign-ups per IP in an hour), one counter item per subject and window (``db/login_session_records.py``),
its ``ttl`` at the window's end. While a counter is at its limit the request is a 429 with
``Retry-After`` (the seconds left in the window), even with the right password, and before any
password hashing, so a throttled guesser costs us no Argon2 work.

The counters ride on requests the routes make anyway: a login reads its counters in the same
BatchGetItem as the credential and writes them only when it fails; a sign-up increments its
counter inside its own transaction, under a condition that it is below the limit.

Per-email counters exist for unknown emails too (the subject is the normalised text the client
sent), so a throttled answer never tells whether an account exists. IPv6 sources count per /64:
one client usually holds a whole /64 and could otherwise rotate through it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from agenda_core.db.login_session_records import ThrottleCounterRecord, throttle_pk, window_sk
from agenda_core.db.transactions import Transaction, TransactionFailed, storage_errors, transaction
from agenda_core.errors import RateLimited
from agenda_core.observability import logger
from agenda_core.settings import get_settings

LOGIN_EMAIL, LOGIN_IP, SIGNUP_IP = "login-email", "login-ip", "signup-ip"
UNKNOWN_SOURCE = "unknown"
_MEMO_LIMIT = 4096
# Counters this container has seen at their limit -> the end of their window: a sign-up from a
# throttled source is refused before its password is hashed (the table stays the authority).
_known_full: dict[tuple[str, str], int] = {}


@dataclass(frozen=True)
class Counter:
    scope: str
    pk: str
    sk: str
    limit: int
    window_end: int  # epoch seconds

    @property
    def key(self) -> tuple[str, str]:
        return (self.pk, self.sk)

    def retry_after(self, now: float) -> int:
        return max(1, math.ceil(self.window_end - now))


def client_network(source_ip: str | None) -> str:
    """What a per-IP limit counts: the address, or its /64 for IPv6; ``unknown`` without one."""
    if not source_ip:
        return UNKNOWN_SOURCE
    try:
        address = ipaddress.ip_address(source_ip.strip())
    except ValueError:
        return UNKNOWN_SOURCE
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _hash(subject: str) -> str:
    return hashlib.sha256(subject.encode()).hexdigest()


def _counter(scope: str, subject: str, limit: int, window_seconds: int, now: float) -> Counter:
    start = int(now // window_seconds) * window_seconds
    return Counter(scope, throttle_pk(scope, _hash(subject)), window_sk(start), limit, start + window_seconds)


def login_counters(normalised_email: str, source_ip: str | None, now: float) -> tuple[Counter, Counter]:
    """The failed-login counters a login with this email from this source is judged by."""
    settings = get_settings()
    window = settings.login_window_seconds
    return (
        _counter(LOGIN_EMAIL, normalised_email, settings.login_failures_per_email, window, now),
        _counter(LOGIN_IP, client_network(source_ip), settings.login_failures_per_ip, window, now),
    )


def signup_counter(source_ip: str | None, now: float) -> Counter:
    settings = get_settings()
    return _counter(
        SIGNUP_IP, client_network(source_ip), settings.signups_per_ip, settings.signup_window_seconds, now
    )


def too_many(counter: Counter, now: float) -> RateLimited:
    logger.info("throttled", extra={"scope": counter.scope})
    return RateLimited(
        counter.retry_after(now), "Too many attempts; try again later.", code="too_many_attempts"
    )


def check(counters: Iterable[Counter], items: Mapping[tuple[str, str], object], now: float) -> None:
    """Raises ``RateLimited`` when any counter (read in ``items``) is at its limit; the
    ``Retry-After`` is that of the counter that frees last."""
    full = [c for c in counters if _count(items.get(c.key)) >= c.limit]
    if full:
        raise too_many(max(full, key=lambda c: c.window_end), now)


def _count(item: object) -> int:
    return int(item.attempts or 0) if isinstance(item, ThrottleCounterRecord) else 0


def _increment(counter: Counter) -> list[Action]:
    record = ThrottleCounterRecord
    return [
        record.attempts.add(1),
        record.ttl.set(counter.window_end),
        record.type.set(ThrottleCounterRecord),
    ]


def _record(counter: Counter) -> ThrottleCounterRecord:
    return ThrottleCounterRecord(counter.pk, counter.sk)


def record_failures(counters: Iterable[Counter]) -> None:
    """Counts one failed attempt on each counter: one TransactWriteItems (upserts)."""
    with transaction() as tx:
        for counter in counters:
            tx.change(counter.scope, _record(counter), actions=_increment(counter))


def count_within_limit(tx: Transaction, counter: Counter) -> None:
    """Adds to ``tx`` one attempt on ``counter``, conditioned on its being under the limit; the
    transaction then fails with ``counter.scope`` among its failed names when it is not."""
    record = ThrottleCounterRecord
    condition: Condition = record.attempts.does_not_exist() | (record.attempts < counter.limit)
    tx.change(counter.scope, _record(counter), actions=_increment(counter), condition=condition)


def refuse_if_known_full(counter: Counter, now: float | None = None) -> None:
    """A 429 without any request when this container already saw ``counter`` at its limit."""
    now = time.time() if now is None else now
    end = _known_full.get(counter.key)
    if end is not None:
        if end > now:
            raise too_many(counter, now)
        del _known_full[counter.key]


def remember_full(counter: Counter) -> None:
    if len(_known_full) >= _MEMO_LIMIT:
        _known_full.clear()
    _known_full[counter.key] = counter.window_end


def count_attempt(counter: Counter) -> None:
    """One more attempt on ``counter`` outside a transaction (a refused sign-up still counts, so
    probing for taken emails is throttled too): one UpdateItem (an upsert)."""
    with storage_errors():
        _record(counter).update(actions=_increment(counter))


def failed(error: TransactionFailed, counter: Counter) -> bool:
    return counter.scope in error.failed


def reset_memo() -> None:
    _known_full.clear()
