"""Agendas (API.md §3): create, list published, full read, replace, merge-patch, delete.

Request budget (README "Design notes"): a read is one DynamoDB request (one Query of the
agenda's partition, following its pages); a write is one conditional request or one
transaction, with the caller's role checked by a condition on the agenda item's ``roles`` map.
Extra requests happen only on rare paths (slug changes and collisions, diagnosing a failed
condition, sweeping a deleted agenda's partition).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from pynamodb.exceptions import PynamoDBException, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action

from agenda_core.db import keys
from agenda_core.db.base import Gsi1, TableItem, get_or_none
from agenda_core.db.ids import iso, new_id, utcnow
from agenda_core.db.raw import decode_item
from agenda_core.db.records import AgendaRecord, MembershipRecord, SlugRecord
from agenda_core.db.transactions import TransactionFailed, is_condition_failure, storage_errors, transaction
from agenda_core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationFailed,
)
from agenda_core.etags import if_match_versions, make_etag
from agenda_core.observability import logger
from agenda_core.policy import OPERATIONS, roles_for
from agenda_core.schemas.agendas import AgendaCreate, AgendaPage, AgendaPublic, AgendaUpdate
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.common import Pagination
from agenda_core.services import paging, slugs
from agenda_core.services.content_kinds import KINDS, View
from agenda_core.services.links import agenda_url
from agenda_core.services.schedule_time import day_window
from agenda_core.services.session_slots import schedule_conflicts, session_conflicts

# Writable fields that may be absent (PUT leaves them out to clear them; PATCH sends null).
_OPTIONAL_FIELDS = ("description", "location", "icon")
_SLUG_CACHE_LIMIT = 1024
# Warm containers remember slug -> id; every hit is verified against the agenda item it loads.
_slug_cache: dict[str, str] = {}
# ... and agenda id -> time zone, which a session write pins with a condition (services/content.py)
# so that its answer can show the times in the agenda's zone without reading the agenda first.
_zone_cache: dict[str, str] = {}


@dataclass(frozen=True)
class Representation[T]:
    body: T
    etag: str
    public: bool  # the anonymous view of a published agenda: cacheable by anyone


# --- mapping ------------------------------------------------------------------------------


def _end_at(record: AgendaRecord) -> date:
    return date.fromisoformat(record.start_at) + timedelta(days=int(record.duration) - 1)


def agenda_fields(record: AgendaRecord, base_url: str) -> dict[str, Any]:
    """The agenda representation's fields (also the base of "my agendas" entries)."""
    return {
        "id": record.id,
        "url": agenda_url(base_url, record.id),
        "slug": record.slug,
        "name": record.name,
        "description": record.description,
        "location": record.location,
        "published": bool(record.published),
        "icon": record.icon,
        "start_at": date.fromisoformat(record.start_at),
        "end_at": _end_at(record),
        "duration": int(record.duration),
        "timezone": record.timezone,
        "version": int(record.version),
        "created_at": datetime.fromisoformat(record.created_at),
        "updated_at": datetime.fromisoformat(record.updated_at),
    }


def agenda_json_fields(record: AgendaRecord, base_url: str) -> dict[str, Any]:
    """``agenda_fields`` JSON-ready, empty optional fields left out (the full read's hot path)."""
    fields = {
        **agenda_fields(record, base_url),
        "start_at": record.start_at,
        "end_at": _end_at(record).isoformat(),
        "created_at": record.created_at,  # stored in their API form (RFC 3339, UTC, ms)
        "updated_at": record.updated_at,
    }
    return {name: value for name, value in fields.items() if value is not None and value != ""}


def _role(record: AgendaRecord, caller: Caller) -> str | None:
    if caller.user_id is None:
        return None
    roles = record.roles.as_dict() if record.roles else {}
    return roles.get(caller.user_id)


def _audience(record: AgendaRecord, caller: Caller) -> str:
    return "member" if _role(record, caller) else "public"


def _agenda_etag(record: AgendaRecord, caller: Caller, kind: str, base_url: str) -> str:
    return make_etag(int(record.version), kind, _audience(record, caller), base_url)


def _is_visible(record: AgendaRecord, caller: Caller) -> bool:
    rule = OPERATIONS["agenda.read"]
    return (rule.public_when_published and bool(record.published)) or _role(record, caller) in (
        rule.roles or ()
    )


def _agenda_representation(
    record: AgendaRecord, caller: Caller, base_url: str
) -> Representation[AgendaPublic]:
    return Representation(
        body=AgendaPublic(**agenda_fields(record, base_url)),
        etag=_agenda_etag(record, caller, "agenda", base_url),
        public=False,
    )


# --- validation that needs more than the schema ----------------------------------------------


def _check_references(icon: str | None) -> None:
    # Uploads arrive with API.md §6: until then no upload exists, so no id can be referenced.
    if icon is not None:
        raise ValidationFailed(
            [FieldError("/icon", "unknown_upload", "No ready upload of yours has this id.")]
        )


# --- create ----------------------------------------------------------------------------------


def create_agenda(caller: Caller, data: AgendaCreate, base_url: str) -> Representation[AgendaPublic]:
    """Creates an agenda owned by the caller. Raises ``Conflict(slug_taken)``, ``ValidationFailed``."""
    assert caller.user_id is not None
    _check_references(data.icon)
    now = utcnow()
    agenda_id = new_id("agenda", now)
    slug = data.slug or slugs.slugify(data.name)
    for attempt in range(4):
        record = _new_record(agenda_id, caller.user_id, data, slug, iso(now))
        membership = MembershipRecord(
            keys.agenda_pk(agenda_id),
            keys.member_sk(caller.user_id),
            agenda_id=agenda_id,
            user_id=caller.user_id,
            role="owner",
            created_at=iso(now),
            updated_at=iso(now),
            gsi1pk=keys.member_of_pk(caller.user_id),
            gsi1sk=agenda_id,
        )
        try:
            with transaction() as tx:
                tx.put("agenda", record, condition=TableItem.pk.does_not_exist())
                tx.put("slug", _slug_claim(slug, agenda_id), condition=TableItem.pk.does_not_exist())
                tx.put("owner", membership, condition=TableItem.pk.does_not_exist())
        except TransactionFailed as error:
            if "slug" not in error.failed:
                raise
            if slugs.release_if_stale(slug):
                continue
            if data.slug:
                raise Conflict(f"The slug '{slug}' is taken.", code="slug_taken") from error
            slug = slugs.with_random_suffix(slugs.slugify(data.name))
            logger.info("generated slug taken; retrying", extra={"attempt": attempt})
            continue
        logger.info("agenda created", extra={"agenda_id": agenda_id})
        return _agenda_representation(record, caller, base_url)
    raise Conflict("Could not find a free slug; send one.", code="slug_taken")


def _new_record(agenda_id: str, owner_id: str, data: AgendaCreate, slug: str, now: str) -> AgendaRecord:
    start_at = data.start_at.isoformat()
    window = day_window(data.start_at, data.duration, data.timezone)
    return AgendaRecord(
        keys.agenda_pk(agenda_id),
        keys.AGENDA_SK,
        id=agenda_id,
        slug=slug,
        name=data.name,
        description=data.description or None,
        location=data.location or None,
        published=data.published,
        icon=data.icon,
        start_at=start_at,
        duration=data.duration,
        timezone=data.timezone,
        window_start=window[0],
        window_end=window[1],
        version=1,
        roles={owner_id: "owner"},
        created_at=now,
        updated_at=now,
        gsi1pk=keys.PUBLISHED_GSI_PK if data.published else None,
        gsi1sk=keys.published_sk(start_at, agenda_id),
    )


def _slug_claim(slug: str, agenda_id: str) -> SlugRecord:
    return SlugRecord(keys.slug_pk(slug), keys.SLUG_SK, agenda_id=agenda_id)


# --- list ------------------------------------------------------------------------------------


def list_published(
    *,
    starts_after: date | None,
    starts_before: date | None,
    per_page: int,
    cursor: str | None,
    base_url: str,
    page_url: Callable[[str], str],
) -> AgendaPage:
    """Published agendas, soonest first (ties by id); both date filters are exclusive.

    Raises ``InvalidCursor``.
    """
    query = {"route": "agendas", "after": starts_after, "before": starts_before}
    # gsi1sk is "<start_at>#<id>": "D#~" sorts after every key of day D, "D#" before all of them.
    low = f"{starts_after.isoformat()}#~" if starts_after else None
    high = f"{starts_before.isoformat()}#" if starts_before else None
    if low and high and low >= high:
        paging.start_key(cursor, query)  # an empty range still refuses a bad cursor
        return AgendaPage(agendas=[], pagination=Pagination(next=None, per_page=per_page))
    if low and high:
        condition: Condition | None = Gsi1.gsi1sk.between(low, high)
    elif low:
        condition = Gsi1.gsi1sk > low
    elif high:
        condition = Gsi1.gsi1sk < high
    else:
        condition = None
    page = paging.index_page(
        AgendaRecord,
        keys.PUBLISHED_GSI_PK,
        query=query,
        per_page=per_page,
        cursor=cursor,
        page_url=page_url,
        condition=condition,
    )
    return AgendaPage(
        agendas=[AgendaPublic(**agenda_fields(record, base_url)) for record in page.records],
        pagination=page.pagination,
    )


# --- full read -------------------------------------------------------------------------------


def _is_agenda_id(value: str) -> bool:
    return value.startswith("agd_")


def _lookup_slug(slug: str) -> str | None:
    with storage_errors():
        claim = get_or_none(SlugRecord, keys.slug_pk(slug), keys.SLUG_SK)
    if claim is None:
        return None
    if len(_slug_cache) >= _SLUG_CACHE_LIMIT:
        _slug_cache.clear()
    _slug_cache[slug] = claim.agenda_id
    return claim.agenda_id


def _remember_zone(record: AgendaRecord) -> AgendaRecord:
    if len(_zone_cache) >= _SLUG_CACHE_LIMIT:
        _zone_cache.clear()
    _zone_cache[record.id] = record.timezone
    return record


def zone_of(agenda_id: str) -> str:
    """The agenda's time zone, from this container's memory or one GetItem. Raises ``NotFound``."""
    zone = _zone_cache.get(agenda_id)
    if zone is None:
        with storage_errors():
            record = get_or_none(AgendaRecord, keys.agenda_pk(agenda_id), keys.AGENDA_SK, consistent=True)
        if record is None:
            raise NotFound("No agenda with this id.")
        zone = _remember_zone(record).timezone
    return zone


def _query_partition(agenda_id: str, consistent: bool, members_only: bool = False) -> list[TableItem]:
    # The agenda and its members sort before all content (db/keys.py): "sk < $" reads just them.
    condition = TableItem.sk < keys.MEMBERS_END if members_only else None
    with storage_errors():
        return list(
            TableItem.query(
                keys.agenda_pk(agenda_id), range_key_condition=condition, consistent_read=consistent
            )
        )


def load_agenda_and_members(id_or_slug: str) -> tuple[AgendaRecord, list[MembershipRecord]]:
    """The agenda item and its membership items, in one Query. Raises ``NotFound``."""
    record, items = _load_partition(id_or_slug, consistent=True, members_only=True)
    return record, [item for item in items if isinstance(item, MembershipRecord)]


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


def _resolve[T](
    id_or_slug: str, fetch: Callable[[str], tuple[AgendaRecord | None, T]]
) -> tuple[AgendaRecord, T]:
    """Runs ``fetch`` on the agenda id behind ``id_or_slug``; a slug this container remembers
    wrongly (renamed, deleted) is looked up once more. Raises ``NotFound``."""
    agenda_id = id_or_slug if _is_agenda_id(id_or_slug) else _agenda_id_of_slug(id_or_slug)
    for _attempt in range(2):
        if agenda_id is None:
            break
        record, found = fetch(agenda_id)
        if record is not None and (_is_agenda_id(id_or_slug) or record.slug == id_or_slug):
            return _remember_zone(record), found
        if _is_agenda_id(id_or_slug):
            break
        _slug_cache.pop(id_or_slug, None)
        agenda_id = _lookup_slug(id_or_slug)
    raise NotFound("No agenda with this id or slug.")


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


def _agenda_id_of_slug(slug: str) -> str | None:
    return _slug_cache.get(slug) or _lookup_slug(slug)


def role_of(record: AgendaRecord, caller: Caller) -> str | None:
    return _role(record, caller)


def is_visible(record: AgendaRecord, caller: Caller) -> bool:
    return _is_visible(record, caller)


def _load_partition(
    id_or_slug: str, consistent: bool, members_only: bool = False
) -> tuple[AgendaRecord, list[TableItem]]:
    """The agenda item and everything in its partition (or just its members), as records: one
    Query. Raises ``NotFound``."""

    def fetch(agenda_id: str) -> tuple[AgendaRecord | None, list[TableItem]]:
        items = _query_partition(agenda_id, consistent, members_only)
        return next((item for item in items if isinstance(item, AgendaRecord)), None), items

    return _resolve(id_or_slug, fetch)


def _full_body(
    record: AgendaRecord, items: list[dict[str, Any]], caller: Caller, base_url: str
) -> dict[str, Any]:
    """The agenda with every session, speaker, track, venue and category, JSON-ready (the shape of
    ``AgendaFull``, built without pydantic: this is the hot read); members also get the schedule's
    conflicts, on each session and as one list."""
    by_kind: dict[str, list[dict[str, Any]]] = {name: [] for name in KINDS}
    for item in items:
        if (bucket := by_kind.get(item["type"])) is not None:
            bucket.append(item)
    sessions = by_kind["session"]
    member = _role(record, caller) is not None
    view = View(
        base_url=base_url,
        agenda_id=record.id,
        zone=record.timezone,
        member=member,
        conflicts=session_conflicts(sessions) if member else {},
    )
    body = agenda_json_fields(record, base_url)
    for kind in KINDS.values():
        body[kind.plural] = [
            kind.public_fields(item, view) for item in sorted(by_kind[kind.name], key=kind.sort_key)
        ]
    if member and (found := schedule_conflicts(sessions)):
        body["conflicts"] = found
    return body


def read_full_agenda(caller: Caller, id_or_slug: str, base_url: str) -> Representation[dict[str, Any]]:
    """The whole agenda in one response, from one Query of its partition. Raises ``NotFound``
    (also when not visible to the caller)."""
    record, items = load_partition(id_or_slug, consistent=not caller.is_anonymous)
    if not _is_visible(record, caller):
        raise NotFound("No agenda with this id or slug.")
    return Representation(
        body=_full_body(record, items, caller, base_url),
        etag=_agenda_etag(record, caller, "full", base_url),
        public=_audience(record, caller) == "public",
    )


def full_agenda_etag(caller: Caller, id_or_slug: str, base_url: str) -> tuple[str, bool]:
    """The current ETag of the full agenda from one small read (for ``If-None-Match``), and
    whether it is the public representation. Raises ``NotFound``."""
    agenda_id = (
        id_or_slug if _is_agenda_id(id_or_slug) else (_slug_cache.get(id_or_slug) or _lookup_slug(id_or_slug))
    )
    record = None
    if agenda_id is not None:
        with storage_errors():
            record = get_or_none(
                AgendaRecord, keys.agenda_pk(agenda_id), keys.AGENDA_SK, consistent=not caller.is_anonymous
            )
    if record is None or (not _is_agenda_id(id_or_slug) and record.slug != id_or_slug):
        # Fall back to the full path, which also heals a stale slug cache.
        representation = read_full_agenda(caller, id_or_slug, base_url)
        return representation.etag, representation.public
    if not _is_visible(record, caller):
        raise NotFound("No agenda with this id or slug.")
    return _agenda_etag(record, caller, "full", base_url), _audience(record, caller) == "public"


# --- replace and patch -----------------------------------------------------------------------

_ATTRIBUTES: dict[str, Any] = {
    "name": AgendaRecord.name,
    "description": AgendaRecord.description,
    "location": AgendaRecord.location,
    "published": AgendaRecord.published,
    "icon": AgendaRecord.icon,
    "start_at": AgendaRecord.start_at,
    "duration": AgendaRecord.duration,
    "timezone": AgendaRecord.timezone,
    "window_start": AgendaRecord.window_start,
    "window_end": AgendaRecord.window_end,
}
# The fields the agenda's days depend on: changing one may leave sessions outside them.
_DAY_FIELDS = ("start_at", "duration", "timezone")
_CAREFUL_ATTEMPTS = 3


def _storage_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _actions(agenda_id: str, to_set: dict[str, Any], to_clear: list[str]) -> list[Action]:
    actions: list[Action] = []
    for name, value in to_set.items():
        if name in _ATTRIBUTES:
            actions.append(_ATTRIBUTES[name].set(_storage_value(value)))
    actions.extend(_ATTRIBUTES[name].remove() for name in to_clear)
    if "start_at" in to_set:
        actions.append(AgendaRecord.gsi1sk.set(keys.published_sk(to_set["start_at"].isoformat(), agenda_id)))
    if "published" in to_set:
        # The published index is sparse: only published agendas carry its partition key.
        if to_set["published"]:
            actions.append(AgendaRecord.gsi1pk.set(keys.PUBLISHED_GSI_PK))
        else:
            actions.append(AgendaRecord.gsi1pk.remove())
    actions.append(AgendaRecord.version.add(1))
    actions.append(AgendaRecord.updated_at.set(iso(utcnow())))
    return actions


def replace_agenda(
    caller: Caller, agenda_id: str, data: AgendaCreate, if_match: str | None, base_url: str
) -> Representation[AgendaPublic]:
    """PUT: every writable field; optional ones left out are cleared, a left-out slug is kept."""
    _check_references(data.icon)
    fields = data.model_dump(exclude={"slug"})
    to_set = {k: v for k, v in fields.items() if v is not None and v != ""}
    to_clear = [k for k in _OPTIONAL_FIELDS if k not in to_set]
    return _update(caller, agenda_id, to_set, to_clear, data.slug, if_match, base_url, "agenda.replace")


def update_agenda(
    caller: Caller, agenda_id: str, patch: AgendaUpdate, if_match: str | None, base_url: str
) -> Representation[AgendaPublic]:
    """PATCH as an RFC 7396 merge patch: fields sent are set, ``null`` clears an optional one."""
    sent = patch.model_dump(include=patch.model_fields_set)
    _check_references(sent.get("icon"))
    to_set = {k: v for k, v in sent.items() if k != "slug" and v is not None and v != ""}
    to_clear = [k for k in _OPTIONAL_FIELDS if k in sent and (sent[k] is None or sent[k] == "")]
    return _update(caller, agenda_id, to_set, to_clear, sent.get("slug"), if_match, base_url, "agenda.update")


def _role_path(user_id: str) -> Any:
    """``roles.<user_id>`` as a condition path (pynamodb's stubs type map items as values)."""
    return cast(Any, AgendaRecord.roles)[user_id]


def _write_condition(caller: Caller, versions: set[int] | None, roles: frozenset[str]) -> Condition:
    assert caller.user_id is not None
    condition = TableItem.pk.exists() & _role_path(caller.user_id).is_in(*roles)
    if versions is not None:
        condition &= AgendaRecord.version.is_in(*versions) if versions else AgendaRecord.version < 0
    return condition


def _update(
    caller: Caller,
    agenda_id: str,
    to_set: dict[str, Any],
    to_clear: list[str],
    slug: str | None,
    if_match: str | None,
    base_url: str,
    operation: str,
) -> Representation[AgendaPublic]:
    """One conditional UpdateItem when the write cannot break a rule about the agenda's content;
    otherwise (new slug, new days, publishing) the careful path reads the agenda's sessions first.
    Raises ``NotFound``, ``PermissionDenied``, ``PreconditionFailed``, ``Conflict(slug_taken |
    schedule_conflicts)``, ``ValidationFailed(sessions_outside_days)``."""
    if not _is_agenda_id(agenda_id) or caller.user_id is None:
        raise NotFound("No agenda with this id.")
    roles = roles_for(operation)
    versions = if_match_versions(if_match)
    condition = _fast_condition(caller, agenda_id, to_set, slug, versions, roles)
    if condition is not None:
        record = AgendaRecord(keys.agenda_pk(agenda_id), keys.AGENDA_SK)
        try:
            with storage_errors():
                record.update(actions=_actions(agenda_id, to_set, to_clear), condition=condition)
            return _agenda_representation(_remember_zone(record), caller, base_url)
        except UpdateError as error:
            if not is_condition_failure(error):
                raise
    return _careful_update(caller, agenda_id, to_set, to_clear, slug, versions, roles, base_url)


def _fast_condition(
    caller: Caller,
    agenda_id: str,
    to_set: dict[str, Any],
    slug: str | None,
    versions: set[int] | None,
    roles: frozenset[str],
) -> Condition | None:
    """The condition under which the write needs no read: the slug, the days and the published
    state it sets are the ones the agenda already has (None: no such condition can be written,
    because a partial change of the days needs the stored fields to compute them)."""
    condition = _write_condition(caller, versions, roles)
    if slug is not None:
        condition &= AgendaRecord.slug == slug
    if to_set.get("published") is True:
        condition &= AgendaRecord.published == True  # noqa: E712 - a DynamoDB condition, not a test
    changed_days = [name for name in _DAY_FIELDS if name in to_set]
    if changed_days and len(changed_days) < len(_DAY_FIELDS):
        return None
    if changed_days:
        window = day_window(to_set["start_at"], to_set["duration"], to_set["timezone"])
        to_set["window_start"], to_set["window_end"] = window
        condition &= (AgendaRecord.window_start == window[0]) & (AgendaRecord.window_end == window[1])
    return condition


def _careful_update(
    caller: Caller,
    agenda_id: str,
    to_set: dict[str, Any],
    to_clear: list[str],
    slug: str | None,
    versions: set[int] | None,
    roles: frozenset[str],
    base_url: str,
) -> Representation[AgendaPublic]:
    """Reads the agenda with its sessions (one Query), checks what the change would do to them,
    and writes only if the agenda is still at the version it read (else reads again)."""
    for _attempt in range(_CAREFUL_ATTEMPTS):
        current, sessions = load_partition(agenda_id, consistent=True, kinds=("session",))
        _check_write(current, caller, versions, roles)
        _check_days(current, to_set, sessions)
        if to_set.get("published") is True and not current.published:
            _check_publishable(sessions)
        pinned = _write_condition(caller, {int(current.version)}, roles)
        if slug is not None and slug != current.slug:
            _change_slug(caller, current, to_set, to_clear, slug, roles)
            record = get_or_none(AgendaRecord, keys.agenda_pk(agenda_id), keys.AGENDA_SK, consistent=True)
            return _agenda_representation(_remember_zone(record or current), caller, base_url)
        record = AgendaRecord(keys.agenda_pk(agenda_id), keys.AGENDA_SK)
        try:
            with storage_errors():
                record.update(actions=_actions(agenda_id, to_set, to_clear), condition=pinned)
        except UpdateError as error:
            if not is_condition_failure(error):
                raise
            continue  # something under the agenda changed since the read: check again
        return _agenda_representation(_remember_zone(record), caller, base_url)
    raise Conflict("The agenda kept changing while we wrote; try again.", code="write_conflict")


def _check_days(current: AgendaRecord, to_set: dict[str, Any], sessions: list[dict[str, Any]]) -> None:
    """Sets the new days' window in ``to_set``; raises ``ValidationFailed`` when a session would
    fall outside them (sessions keep their instants: a new time zone shows them at other local
    times, it does not move them)."""
    stored = {
        "start_at": date.fromisoformat(current.start_at),
        "duration": int(current.duration),
        "timezone": current.timezone,
    }
    # The field to point at: the first one the request really changes (a PUT sends all three).
    changed = [name for name in _DAY_FIELDS if name in to_set and to_set[name] != stored[name]]
    if not changed:
        return
    days = {**stored, **{name: to_set[name] for name in _DAY_FIELDS if name in to_set}}
    window = day_window(days["start_at"], days["duration"], days["timezone"])
    to_set["window_start"], to_set["window_end"] = window
    outside = sorted(
        (s for s in sessions if s["starts"] < window[0] or s["ends"] > window[1]),
        key=lambda s: (s["starts"], s["id"]),
    )
    if outside:
        pointer = "/" + changed[0]
        raise ValidationFailed(
            [
                FieldError(
                    pointer,
                    "sessions_outside_days",
                    f"{pointer}: {len(outside)} session(s) would fall outside the agenda's days; "
                    "move them first.",
                )
            ]
        ).with_extra({"session_ids": [s["id"] for s in outside[:100]]})


def _check_publishable(sessions: list[dict[str, Any]]) -> None:
    """API.md §4: publishing an agenda with schedule conflicts is a 409 listing them."""
    found = schedule_conflicts(sessions)
    if found:
        raise Conflict(
            f"The schedule has {len(found)} conflict(s); resolve them before publishing.",
            code="schedule_conflicts",
        ).with_extra({"conflicts": found})


def _check_write(
    current: AgendaRecord, caller: Caller, versions: set[int] | None, allowed: frozenset[str]
) -> None:
    """Raises the error the caller should see for a write on ``current`` (404, 403, 412)."""
    if not _is_visible(current, caller):
        raise NotFound("No agenda with this id.")
    role = _role(current, caller)
    if role not in allowed:
        raise PermissionDenied(
            "Your role on this agenda does not allow this."
            if role
            else "You are not a member of this agenda.",
            code="insufficient_role",
        )
    if versions is not None and int(current.version) not in versions:
        raise PreconditionFailed()


def _diagnose_write(
    caller: Caller, agenda_id: str, versions: set[int] | None, allowed: frozenset[str]
) -> AgendaRecord:
    """Why did a conditional write fail? Raises the error the caller should see, or returns the
    current record when none of those is the reason."""
    with storage_errors():
        current = get_or_none(AgendaRecord, keys.agenda_pk(agenda_id), keys.AGENDA_SK, consistent=True)
    if current is None:
        raise NotFound("No agenda with this id.")
    _check_write(current, caller, versions, allowed)
    return current


def _change_slug(
    caller: Caller,
    current: AgendaRecord,
    to_set: dict[str, Any],
    to_clear: list[str],
    slug: str,
    roles: frozenset[str],
) -> None:
    """One transaction: claim the new slug, update the agenda (if unchanged since we read it),
    release the old claim. Raises ``Conflict(slug_taken)``."""
    agenda_id = current.id
    for _attempt in range(2):
        try:
            with transaction() as tx:
                tx.put("new_slug", _slug_claim(slug, agenda_id), condition=TableItem.pk.does_not_exist())
                tx.change(
                    "agenda",
                    AgendaRecord(keys.agenda_pk(agenda_id), keys.AGENDA_SK),
                    actions=[*_actions(agenda_id, to_set, to_clear), AgendaRecord.slug.set(slug)],
                    condition=_write_condition(caller, {int(current.version)}, roles),
                )
                tx.remove(
                    "old_slug",
                    SlugRecord(keys.slug_pk(current.slug), keys.SLUG_SK),
                    condition=(SlugRecord.agenda_id == agenda_id) | TableItem.pk.does_not_exist(),
                )
        except TransactionFailed as error:
            if "new_slug" in error.failed and slugs.release_if_stale(slug):
                continue
            if "new_slug" in error.failed:
                raise Conflict(f"The slug '{slug}' is taken.", code="slug_taken") from error
            raise Conflict("The agenda changed while we wrote it; try again.") from error
        _slug_cache.pop(current.slug, None)
        return
    raise Conflict(f"The slug '{slug}' is taken.", code="slug_taken")


# --- delete ----------------------------------------------------------------------------------


def delete_agenda(caller: Caller, agenda_id: str, if_match: str | None) -> None:
    """Deletes the agenda (owner only) with one conditional DeleteItem; the rest of its partition
    and its slug claim are swept right after. Nothing is reachable once the agenda item is gone."""
    if not _is_agenda_id(agenda_id) or caller.user_id is None:
        raise NotFound("No agenda with this id.")
    roles = roles_for("agenda.delete")
    condition = _write_condition(caller, if_match_versions(if_match), roles)
    try:
        with storage_errors():
            old = AgendaRecord._get_connection().delete_item(
                keys.agenda_pk(agenda_id), keys.AGENDA_SK, condition=condition, return_values="ALL_OLD"
            )
    except PynamoDBException as error:
        if not is_condition_failure(error):
            raise
        _diagnose_write(caller, agenda_id, if_match_versions(if_match), roles)
        raise Conflict("The agenda changed while we deleted it; try again.") from error
    slug = old.get("Attributes", {}).get("slug", {}).get("S")
    _sweep_partition(agenda_id, slug)


def _sweep_partition(agenda_id: str, slug: str | None) -> None:
    """Best effort: a failure leaves unreachable items behind, never a visible agenda."""
    try:
        with storage_errors():
            if slug:
                _slug_cache.pop(slug, None)
                claim = SlugRecord(keys.slug_pk(slug), keys.SLUG_SK)
                try:
                    claim.delete(condition=SlugRecord.agenda_id == agenda_id)
                except PynamoDBException as error:
                    if not is_condition_failure(error):
                        raise
            with TableItem.batch_write() as batch:
                for item in TableItem.query(
                    keys.agenda_pk(agenda_id), attributes_to_get=["pk", "sk", "type"]
                ):
                    batch.delete(item)
    except Exception:  # noqa: BLE001 - the delete itself succeeded; the sweep may be retried later
        logger.exception("sweeping a deleted agenda's partition failed", extra={"agenda_id": agenda_id})
