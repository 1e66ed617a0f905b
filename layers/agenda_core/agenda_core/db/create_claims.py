"""Exactly-once creates under ambiguity (issue 14; API.md §1 ``Idempotency-Key``).

Powertools' idempotency record (http/idempotency.py) replays a create's first answer, but only an
answer it saw: when DynamoDB commits and the answer is lost (a read timeout after the commit, the
container killed before the record is completed), the record is deleted or expires, and the retry
would run the create again and make a twin. So a keyed create also puts a **claim**,
``CLAIM#<sha256(caller, route, key)>`` / ``CLAIM``, naming the object it made, in the create's own
transaction: both commit or neither. A retry's transaction then fails on the claim, and the
service answers with the object the first attempt made (``claimed``), as a clean first try would
have. The claim outlives Powertools' record (same TTL, a day more), so within the key's lifetime a
create happens once.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from agenda_core import create_claim
from agenda_core.db.base import TableItem, get_or_none
from agenda_core.db.ids import utcnow
from agenda_core.db.transactions import Transaction, TransactionFailed, storage_errors
from agenda_core.settings import get_settings

CLAIM_SK = "CLAIM"
_MARGIN_SECONDS = 24 * 60 * 60


def claim_pk(digest: str) -> str:
    return f"CLAIM#{digest}"


class ClaimRecord(TableItem, discriminator="claim"):
    object_id = UnicodeAttribute()  # what the create made: an agenda, an item, an import


def keyed() -> bool:
    """Whether this request's create was sent with an ``Idempotency-Key`` (and so claims it)."""
    return create_claim.current() is not None


def add(tx: Transaction, object_id: str) -> None:
    """Puts this keyed create's claim in ``tx`` (named "claim"); nothing for a create without a key."""
    digest = create_claim.current()
    if digest is None:
        return
    lifetime = get_settings().idempotency_ttl_seconds + _MARGIN_SECONDS
    claim = ClaimRecord(
        claim_pk(digest), CLAIM_SK, object_id=object_id, ttl=int(utcnow().timestamp()) + lifetime
    )
    tx.put("claim", claim, condition=TableItem.pk.does_not_exist())


def claimed(failure: TransactionFailed) -> str | None:
    """The id of the object an earlier attempt of this keyed create made, when ``failure`` is its
    claim holding (one consistent GetItem), else None."""
    digest = create_claim.current()
    if digest is None or "claim" not in failure.failed:
        return None
    with storage_errors():
        found = get_or_none(ClaimRecord, claim_pk(digest), CLAIM_SK, consistent=True)
    return str(found.object_id) if found is not None else None
