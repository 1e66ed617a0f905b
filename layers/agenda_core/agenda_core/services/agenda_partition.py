"""Access to an agenda's partition: loading it, who may see it, and what a warm container remembers.

Everything an agenda owns lives in its partition (docs/design.md "The table"), so every read of
an agenda or its content is one request: a Query of the partition (pages followed) or one
BatchGetItem of the agenda item with the items asked for. The agenda item carries the ``roles``
map, so the visibility and role checks ride on that same request.

A warm container remembers two things per agenda (bounded, forgotten wholesale when full):
- slug -> id, so a GET by slug is not one GetItem more; every hit is verified against the agenda
  item it loads;
- the **head**: the agenda item as last read or written here. A write pins the version it read
  there (``db/commits.py``: the write holds only if the agenda is still at that version), so a
  stale head costs a retry, never a wrong write; a session write also shows its times in the
  head's zone, which the same condition pins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pynamodb.expressions.operand import Path

from agenda_core.db import keys
from agenda_core.db.base import TableItem, get_or_none
from agenda_core.db.raw import decode_item
from agenda_core.db.records import AgendaRecord, MembershipRecord, SlugRecord
from agenda_core.db.transactions import storage_errors
from agenda_core.errors import NotFound, PermissionDenied
from agenda_core.etags import make_etag
from agenda_core.policy import OPERATIONS
from agenda_core.schemas.auth import Caller
from agenda_core.services.content_kinds import KINDS

_CACHE_LIMIT = 1024
_slug_cache: dict[str, str] = {}
# agenda id -> the agenda item as DynamoDB JSON (a record rebuilt from it is the caller's to change)
_heads: dict[str, dict[str, Any]] = {}


@dataclass(frozen=True)
class Representation[T]:
    body: T
    etag: str
    public: bool  # the anonymous view of a published agenda: cacheable by anyone
    headers: dict[str, str] = field(default_factory=dict)  # more response headers it carries


def forget_remembered() -> None:
    """What a cold container knows: nothing (tests call this between worlds)."""
    _slug_cache.clear()
    _heads.clear()


# --- who may see it ----------------------------------------------------------------------------


def is_agenda_id(value: str) -> bool:
    return value.startswith("agd_")


def role_of(record: AgendaRecord, caller: Caller) -> str | None:
    if caller.user_id is None:
        return None
    roles = record.roles.as_dict() if record.roles else {}
    return roles.get(caller.user_id)


def audience(record: AgendaRecord, caller: Caller) -> str:
    return "member" if role_of(record, caller) else "public"


def is_visible(record: AgendaRecord, caller: Caller) -> bool:
    rule = OPERATIONS["agenda.read"]
    return (rule.public_when_published and bool(record.published)) or role_of(record, caller) in (
        rule.roles or ()
    )


def authorize(agenda: AgendaRecord, caller: Caller, operation: str, target: str | None = None) -> None:
    """Raises ``NotFound`` when the caller may not even see the agenda, ``PermissionDenied`` when
    they see it but their role does not allow ``operation`` (policy.OPERATIONS)."""
    rule = OPERATIONS[operation]
    role = role_of(agenda, caller)
    if role in (rule.roles or ()) or (rule.on_self and role is not None and target == caller.user_id):
        return
    if not is_visible(agenda, caller):
        raise NotFound("No agenda with this id or slug.")
    raise PermissionDenied(
        "Your role on this agenda does not allow this." if role else "You are not a member of this agenda.",
        code="insufficient_role",
    )


def agenda_etag(record: AgendaRecord, caller: Caller, kind: str, base_url: str, *extra: str) -> str:
    """The ETag of a representation that changes with the agenda's version (``kind``: "agenda",
    "full", "changes", a list...), per audience and base URL."""
    return make_etag(int(record.version), kind, audience(record, caller), base_url, *extra)


# --- what a warm container remembers -----------------------------------------------------------


def remember(record: AgendaRecord) -> AgendaRecord:
    """Notes ``record`` as the agenda's head, and returns it."""
    if len(_heads) >= _CACHE_LIMIT:
        _heads.clear()
    _heads[record.id] = record.serialize()
    return record


def forget_head(agenda_id: str) -> None:
    _heads.pop(agenda_id, None)


def head_of(agenda_id: str) -> AgendaRecord:
    """The agenda item as this container last saw it, else one consistent GetItem. Only a write
    that pins the head's version may trust it. Raises ``NotFound``."""
    known = _heads.get(agenda_id)
    if known is not None:
        return AgendaRecord.from_raw_data(known)
    with storage_errors():
        head = get_or_none(AgendaRecord, keys.agenda_pk(agenda_id), keys.AGENDA_SK, consistent=True)
    if head is None:
        raise NotFound("No agenda with this id.")
    return remember(head)


def _lookup_slug(slug: str) -> str | None:
    with storage_errors():
        claim = get_or_none(SlugRecord, keys.slug_pk(slug), keys.SLUG_SK)
    if claim is None:
        return None
    if len(_slug_cache) >= _CACHE_LIMIT:
        _slug_cache.clear()
    _slug_cache[slug] = claim.agenda_id
    return claim.agenda_id


def forget_slug(slug: str) -> None:
    _slug_cache.pop(slug, None)


def agenda_id_of(id_or_slug: str) -> str | None:
    """The agenda id behind a path segment (a slug not yet remembered costs one GetItem)."""
    if is_agenda_id(id_or_slug):
        return id_or_slug
    return _slug_cache.get(id_or_slug) or _lookup_slug(id_or_slug)


# --- loading -----------------------------------------------------------------------------------


def _resolve[T](
    id_or_slug: str, fetch: Callable[[str], tuple[AgendaRecord | None, T]]
) -> tuple[AgendaRecord, T]:
    """Runs ``fetch`` on the agenda id behind ``id_or_slug``; a slug this container remembers
    wrongly (renamed, deleted) is looked up once more. Raises ``NotFound``."""
    agenda_id = agenda_id_of(id_or_slug)
    for _attempt in range(2):
        if agenda_id is None:
            break
        record, found = fetch(agenda_id)
        if record is not None and (is_agenda_id(id_or_slug) or record.slug == id_or_slug):
            return remember(record), found
        if is_agenda_id(id_or_slug):
            break
        forget_slug(id_or_slug)
        agenda_id = _lookup_slug(id_or_slug)
    raise NotFound("No agenda with this id or slug.")


def load_agenda(id_or_slug: str, *, consistent: bool) -> AgendaRecord:
    """The agenda item alone: one GetItem (what a revalidation costs). Raises ``NotFound``."""

    def fetch(agenda_id: str) -> tuple[AgendaRecord | None, None]:
        with storage_errors():
            pk = keys.agenda_pk(agenda_id)
            return get_or_none(AgendaRecord, pk, keys.AGENDA_SK, consistent=consistent), None

    return _resolve(id_or_slug, fetch)[0]


def load_with_items(
    id_or_slug: str, sort_keys: list[str], *, consistent: bool
) -> tuple[AgendaRecord, list[TableItem]]:
    """The agenda item and the items of its partition with these sort keys (those that exist), in
    one BatchGetItem. Raises ``NotFound``."""

    def fetch(agenda_id: str) -> tuple[AgendaRecord | None, list[TableItem]]:
        pk = keys.agenda_pk(agenda_id)
        with storage_errors():
            items = list(
                TableItem.batch_get(
                    [(pk, keys.AGENDA_SK), *((pk, sk) for sk in sort_keys)], consistent_read=consistent
                )
            )
        record = next((item for item in items if isinstance(item, AgendaRecord)), None)
        return record, [item for item in items if item is not record]

    return _resolve(id_or_slug, fetch)


def load_agenda_and_members(id_or_slug: str) -> tuple[AgendaRecord, list[MembershipRecord]]:
    """The agenda item and its membership items, in one Query. Raises ``NotFound``."""

    def fetch(agenda_id: str) -> tuple[AgendaRecord | None, list[MembershipRecord]]:
        # The agenda and its members sort before all content (db/keys.py): "sk < $" reads them.
        with storage_errors():
            items = list(
                TableItem.query(
                    keys.agenda_pk(agenda_id),
                    range_key_condition=TableItem.sk < keys.MEMBERS_END,
                    consistent_read=True,
                )
            )
        record = next((item for item in items if isinstance(item, AgendaRecord)), None)
        return record, [item for item in items if isinstance(item, MembershipRecord)]

    return _resolve(id_or_slug, fetch)


def load_partition(
    id_or_slug: str, *, consistent: bool, kinds: tuple[str, ...] | None = None
) -> tuple[AgendaRecord, list[dict[str, Any]]]:
    """The agenda item and its content of ``kinds`` (all of it when None) as plain attribute
    values (db/raw.py), in one Query (a slug not yet known to this container costs one GetItem
    more). Raises ``NotFound``."""
    return _resolve(id_or_slug, lambda agenda_id: _content_values(agenda_id, consistent, kinds))


def _content_values(
    agenda_id: str, consistent: bool, kinds: tuple[str, ...] | None
) -> tuple[AgendaRecord | None, list[dict[str, Any]]]:
    """One Query of the partition, pages followed, decoded without pynamodb's models (the full
    agenda's hot path: bench/RESULTS.md); the agenda item itself becomes an ``AgendaRecord``. A
    filter on ``kinds`` still reads (and bills) the whole partition, but DynamoDB sends back, and
    we parse, only the agenda item and the kinds asked for."""
    wanted = Path("type").is_in("agenda", *kinds) if kinds is not None else None
    table = TableItem._get_connection()
    agenda: AgendaRecord | None = None
    content: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    with storage_errors():
        while True:
            page = table.query(
                keys.agenda_pk(agenda_id),
                filter_condition=wanted,
                consistent_read=consistent,
                exclusive_start_key=start,
            )
            for item in page.get("Items", ()):
                if item["sk"]["S"] == keys.AGENDA_SK:
                    agenda = AgendaRecord.from_raw_data(item)
                elif item["type"]["S"] in KINDS:
                    content.append(decode_item(item))
            start = page.get("LastEvaluatedKey")
            if not start:
                return agenda, content
