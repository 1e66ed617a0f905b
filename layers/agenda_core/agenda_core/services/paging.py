"""One page of a query on the gsi1 index, with tamper-proof cursors (API.md §1 "lists").

The cursor carries DynamoDB's LastEvaluatedKey, signed and bound to ``query`` (the route and its
filters, and the user for per-user lists), so a cursor replayed against another list is a 400.
The signing key is fetched only when a cursor is read or written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.expressions.condition import Condition

from agenda_core.db.base import TableItem
from agenda_core.db.cursors import decode_cursor, encode_cursor, query_fingerprint
from agenda_core.db.transactions import storage_errors
from agenda_core.integrations.secrets import signing_key
from agenda_core.schemas.common import Pagination


def _key() -> bytes:
    return signing_key().derive("cursor")


def start_key(cursor: str | None, query: dict[str, Any]) -> dict[str, Any] | None:
    """Where the page starts: ``None`` without a cursor. Raises ``InvalidCursor``."""
    return decode_cursor(cursor, query_fingerprint(**query), _key()) if cursor else None


@dataclass(frozen=True)
class IndexPage[T]:
    records: list[T]
    pagination: Pagination


def index_page[T: TableItem](
    record_class: type[T],
    partition: str,
    *,
    query: dict[str, Any],
    per_page: int,
    cursor: str | None,
    page_url: Callable[[str], str],
    condition: Condition | None = None,
) -> IndexPage[T]:
    """One Query of gsi1's ``partition`` (items of other kinds are left out). Raises ``InvalidCursor``."""
    first = start_key(cursor, query)
    with storage_errors():
        results = TableItem.gsi1.query(
            partition, range_key_condition=condition, limit=per_page, last_evaluated_key=first
        )
        items = list(results)
        last_key = results.last_evaluated_key
    next_url = None
    if last_key and len(items) == per_page:
        next_url = page_url(encode_cursor(last_key, query_fingerprint(**query), _key()))
    return IndexPage(
        records=[item for item in items if isinstance(item, record_class)],
        pagination=Pagination(next=next_url, per_page=per_page),
    )
