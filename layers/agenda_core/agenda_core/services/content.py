"""Agenda content (API.md §4): the one engine behind sessions, speakers, tracks, venues and
categories (each described in ``services/content_kinds.py``).

Reads follow the agenda's visibility; writes need owner or editor. Every write bumps the agenda's
``version`` in the same transaction, so the full agenda's ETag changes exactly when something
under it changed, and the caller's role, the agenda's days and the content caps are checked by
conditions on the agenda item inside that transaction (no read first).

Request budget (docs/design.md "Agenda content"):
- GET an item: one BatchGetItem (the agenda and the item); a session read by a signed-in caller
  is one Query of the agenda's sessions instead, since its conflicts depend on the others.
- GET a list: one Query of the agenda's partition, filtered to the agenda and that kind.
- POST, PUT, and DELETE of a session: one transaction.
- PATCH: one BatchGetItem (a merge patch merges into what is stored) and one transaction.
- DELETE of a speaker, track, venue or category: one Query (does a session use it?) and one
  transaction that holds only if no session changed in between.
A failed condition costs one more read, to say why (404, 403, 412, 409 or 422).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from pynamodb.expressions.condition import Condition

from agenda_core.db import commits, keys
from agenda_core.db.base import TableItem
from agenda_core.db.content_records import RECORD_CLASSES, ContentRecord
from agenda_core.db.cursors import decode_cursor, encode_cursor, query_fingerprint
from agenda_core.db.ids import created_at_of, iso, new_id, utcnow
from agenda_core.db.records import AgendaRecord
from agenda_core.db.transactions import TransactionFailed
from agenda_core.errors import (
    ApiError,
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationFailed,
)
from agenda_core.etags import if_match_versions, make_etag
from agenda_core.integrations.secrets import signing_key
from agenda_core.observability import logger
from agenda_core.policy import roles_for
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.common import Pagination, PublicModel
from agenda_core.services.agenda_partition import (
    Representation,
    head_of,
    is_visible,
    load_partition,
    load_with_items,
    remember,
    role_of,
)
from agenda_core.services.agendas import WRITE_ATTEMPTS
from agenda_core.services.content_kinds import SESSIONS, ContentKind, View, values_of, without_empty
from agenda_core.services.schedule_time import day_window, local_day
from agenda_core.services.session_slots import session_conflicts

# Every write is pinned to the agenda's version (db/commits.py); one that loses a race reads
# again and retries, up to agendas.WRITE_ATTEMPTS times in all.


# --- reading ---------------------------------------------------------------------------------


def _not_found(kind: ContentKind) -> NotFound:
    return NotFound(f"No {kind.name} with this id in this agenda.")


def _view(
    agenda: AgendaRecord, caller: Caller, base_url: str, sessions: Iterable[Mapping[str, Any]] = ()
) -> View:
    member = role_of(agenda, caller) is not None
    return View(
        base_url=base_url,
        agenda_id=agenda.id,
        zone=agenda.timezone,
        member=member,
        conflicts=session_conflicts(sessions) if member else {},
    )


def _etag(kind: ContentKind, item: Mapping[str, Any], view: View) -> str:
    audience = "member" if view.member else "public"
    # A member's view of a session includes its conflicts, which change with other sessions.
    conflicts = repr(view.conflicts.get(item["id"], [])) if view.member and kind is SESSIONS else ""
    # Only a session's times depend on the zone; writes of other kinds do not know it ("UTC"),
    # and their ETag must be the one a GET answers with.
    zone = view.zone if kind is SESSIONS else ""
    return make_etag(int(item["revision"]), kind.name, audience, view.base_url, zone, conflicts)


def _representation(
    kind: ContentKind, item: Mapping[str, Any], view: View, *, published: bool
) -> Representation[PublicModel]:
    return Representation(
        body=kind.public(**kind.public_fields(item, view)),
        etag=_etag(kind, item, view),
        public=not view.member and published,
    )


def get_item(
    kind: ContentKind, caller: Caller, id_or_slug: str, item_id: str, base_url: str
) -> Representation[PublicModel]:
    """One item, as the caller may see it. Raises ``NotFound`` (also when the agenda is not
    visible to the caller)."""
    if kind is SESSIONS and not caller.is_anonymous:
        # Members see the session's conflicts: read the agenda's sessions in one Query.
        agenda, sessions = load_partition(id_or_slug, consistent=True, kinds=("session",))
        _require_visible(agenda, caller)
        item = next((s for s in sessions if s["id"] == item_id), None)
        if item is None:
            raise _not_found(kind)
        view = _view(agenda, caller, base_url, sessions)
        return _representation(kind, item, view, published=bool(agenda.published))
    agenda, found = load_with_items(
        id_or_slug, [keys.content_sk(kind.name, item_id)], consistent=not caller.is_anonymous
    )
    _require_visible(agenda, caller)
    record = next((r for r in found if isinstance(r, kind.record)), None)
    if record is None:
        raise _not_found(kind)
    view = _view(agenda, caller, base_url)
    return _representation(kind, values_of(record), view, published=bool(agenda.published))


def _require_visible(agenda: AgendaRecord, caller: Caller) -> None:
    if not is_visible(agenda, caller):
        raise NotFound("No agenda with this id or slug.")


@dataclass(frozen=True)
class SessionFilters:
    """The session list's filters (API.md §4); ``day`` is a local date in the agenda's zone."""

    track_id: str | None = None
    venue_id: str | None = None
    speaker_id: str | None = None
    category_id: str | None = None
    day: date | None = None

    def keep(self, session: Mapping[str, Any], zone: str) -> bool:
        return (
            (self.track_id is None or session.get("track_id") == self.track_id)
            and (self.venue_id is None or session.get("venue_id") == self.venue_id)
            and (self.speaker_id is None or self.speaker_id in (session.get("speaker_ids") or ()))
            and (self.category_id is None or self.category_id in (session.get("category_ids") or ()))
            and (self.day is None or local_day(session["starts"], zone) == self.day)
        )

    def as_query(self) -> dict[str, Any]:
        return {name: value for name, value in self.__dict__.items() if value is not None}


def list_items(
    kind: ContentKind,
    caller: Caller,
    id_or_slug: str,
    *,
    per_page: int,
    cursor: str | None,
    base_url: str,
    page_url: Callable[[str], str],
    filters: SessionFilters | None = None,
) -> Representation[PublicModel]:
    """A page of the agenda's items of one kind, in the kind's order (sessions by start). One Query
    of the partition filtered to the agenda and this kind; the page is cut in memory, so the
    order is exact and a cursor is simply "after this sort key". Raises ``NotFound``,
    ``InvalidCursor``."""
    agenda, items = load_partition(id_or_slug, consistent=not caller.is_anonymous, kinds=(kind.name,))
    _require_visible(agenda, caller)
    view = _view(agenda, caller, base_url, items if kind is SESSIONS else ())
    records = [item for item in items if filters is None or filters.keep(item, agenda.timezone)]
    fingerprint = query_fingerprint(
        route=kind.plural, agenda=agenda.id, **(filters.as_query() if filters else {})
    )
    ordered = sorted(records, key=kind.sort_key)
    if cursor:
        after = tuple(decode_cursor(cursor, fingerprint, _cursor_key())["after"])
        ordered = [r for r in ordered if _comparable(kind.sort_key(r)) > _comparable(after)]
    page = ordered[:per_page]
    next_url = None
    if len(ordered) > per_page:
        last = list(_comparable(kind.sort_key(page[-1])))
        next_url = page_url(encode_cursor({"after": last}, fingerprint, _cursor_key()))
    body = kind.page(
        **{
            kind.plural: [kind.public(**kind.public_fields(item, view)) for item in page],
            "pagination": Pagination(next=next_url, per_page=per_page),
        }
    )
    # Lists carry no ETag; cacheable like the items, when what the public sees.
    return Representation(body=body, etag="", public=not view.member and bool(agenda.published))


def _cursor_key() -> bytes:
    # Fetched only when a cursor is read or written: a one-page list costs no Secrets Manager call.
    return signing_key().derive("cursor")


def _comparable(sort_key: Iterable[Any]) -> tuple[Any, ...]:
    # Sort keys travel in cursors as JSON: bools and ints stay, tuples become lists.
    return tuple(int(part) if isinstance(part, bool) else part for part in sort_key)


# --- writing: conditions ---------------------------------------------------------------------


# Who may write content: the same roles for every kind and verb (policy.OPERATIONS, built in one
# loop over the content resources), read from the policy rather than restated here.
_WRITERS = roles_for("sessions.update")


def _role_condition(caller: Caller) -> Condition:
    assert caller.user_id is not None
    role = cast(Any, AgendaRecord.roles)[caller.user_id]
    return TableItem.pk.exists() & role.is_in(*_WRITERS)


def _revision_condition(versions: set[int] | None) -> Condition:
    condition = TableItem.pk.exists()
    if versions is not None:
        revision = ContentRecord.revision
        condition &= revision.is_in(*versions) if versions else revision < 0
    return condition


def _window_condition(fields: Mapping[str, Any]) -> Condition:
    """Inside the agenda's days (API.md §4), against the window the agenda item keeps."""
    return (AgendaRecord.window_start <= fields["starts"]) & (AgendaRecord.window_end >= fields["ends"])


def _cap_condition(kind: ContentKind) -> Condition:
    counter = kind.count_attribute
    return counter.does_not_exist() | (counter < kind.cap)


def _new_revision() -> int:
    # Random, not counted: a write sets it without reading the item (db/content_records.py).
    return secrets.randbelow(2**52) + 1


def _require_agenda_id(agenda_id: str, caller: Caller) -> None:
    if not agenda_id.startswith("agd_") or caller.user_id is None:
        raise NotFound("No agenda with this id.")


def _checks(kind: ContentKind, fields: Mapping[str, Any]) -> None:
    errors = kind.check(fields) if kind is not SESSIONS or {"starts", "ends"} <= fields.keys() else []
    if errors:
        raise ValidationFailed(errors)


def _write(
    kind: ContentKind,
    caller: Caller,
    record: ContentRecord,
    base: AgendaRecord,
    *,
    item_condition: Condition,
    agenda_condition: Condition | None = None,
    count_change: int = 0,
    references_of: Mapping[str, Any] | None = None,
    remove: bool = False,
) -> None:
    """One commit (db/commits.py) on the agenda's version ``base.version``: the item, the agenda's
    counter, a check that every referenced id exists in the agenda, and the change record. On
    success ``base`` becomes the agenda as committed (this container's new head). Raises
    ``TransactionFailed``."""
    condition = _role_condition(caller)
    if agenda_condition is not None:
        condition &= agenda_condition
    actions = [kind.count_attribute.add(count_change)] if count_change else []
    change = commits.Change(
        kind.name,
        record.id,
        commits.DELETED if remove else commits.UPSERTED,
        None if remove else _state(record),
    )
    with commits.commit(base.id, int(base.version), change, actions=actions, condition=condition) as tx:
        if remove:
            tx.remove("item", record, condition=item_condition)
        else:
            tx.put("item", record, condition=item_condition)
        for pointer, ref_kind, ref_id in kind.references(references_of or {}):
            tx.check(
                pointer,
                RECORD_CLASSES[ref_kind],
                record.pk,
                keys.content_sk(ref_kind, ref_id),
                condition=TableItem.pk.exists(),
            )
    base.version = int(base.version) + 1
    if count_change:
        setattr(base, kind.count_name, int(getattr(base, kind.count_name) or 0) + count_change)
    remember(base)


def _state(record: ContentRecord) -> dict[str, Any]:
    """What the change log keeps of an item: its attributes, without the table's bookkeeping."""
    return {name: value for name, value in values_of(record).items() if name not in _KEYS}


_KEYS = frozenset({"pk", "sk", "type", "gsi1pk", "gsi1sk", "ttl"})


def _diagnose(
    kind: ContentKind,
    caller: Caller,
    agenda_id: str,
    item_id: str | None,
    failure: TransactionFailed,
    *,
    versions: set[int] | None = None,
    fields: Mapping[str, Any] | None = None,
    creating: bool = False,
) -> ApiError:
    """Why a write's transaction was cancelled, from one read: the error the caller should see,
    in the order a caller can act on them (visibility, role, existence, If-Match, caps, days,
    references)."""
    sort_keys = [keys.content_sk(kind.name, item_id)] if item_id else []
    try:
        agenda, found = load_with_items(agenda_id, sort_keys, consistent=True)
    except NotFound:
        return NotFound("No agenda with this id.")
    error = _role_error(agenda, caller)
    if error is not None:
        return error
    item = next((i for i in found if isinstance(i, kind.record)), None)
    if item_id and item is None:
        return _not_found(kind)
    if item is not None and versions is not None and int(item.revision) not in versions:
        return PreconditionFailed()
    if creating and int(getattr(agenda, kind.count_name) or 0) >= kind.cap:
        return Conflict(f"An agenda holds at most {kind.cap} {kind.plural}.", code=f"too_many_{kind.plural}")
    if fields is not None and kind is SESSIONS:
        errors = _outside_days(agenda, fields)
        if errors:
            return ValidationFailed(errors)
    unknown = sorted(name for name in failure.failed if name.startswith("/"))
    if unknown:
        return ValidationFailed([_unknown_reference(pointer) for pointer in unknown])
    logger.info("content write lost a race", extra={"failed": sorted(failure.failed)})
    return Conflict("The agenda changed while we wrote; try again.", code="write_conflict")


def _role_error(agenda: AgendaRecord, caller: Caller) -> ApiError | None:
    role = role_of(agenda, caller)
    if role in _WRITERS:
        return None
    if not is_visible(agenda, caller):
        return NotFound("No agenda with this id.")
    return PermissionDenied(
        "Your role on this agenda does not allow this." if role else "You are not a member of this agenda.",
        code="insufficient_role",
    )


_REFERENCE_NAMES = {
    "track_id": "track",
    "venue_id": "venue",
    "speaker_ids": "speaker",
    "category_ids": "category",
}


def _unknown_reference(pointer: str) -> FieldError:
    name = pointer.split("/")[1]
    return FieldError(
        pointer, "unknown_reference", f"{pointer}: no {_REFERENCE_NAMES[name]} with this id in this agenda."
    )


def _outside_days(agenda: AgendaRecord, fields: Mapping[str, Any]) -> list[FieldError]:
    start, end = day_window(date.fromisoformat(agenda.start_at), int(agenda.duration), agenda.timezone)
    errors = []
    detail = f"must be inside the agenda's days ({agenda.start_at}, {int(agenda.duration)} days, {agenda.timezone})."
    if not start <= fields["starts"] < end:
        errors.append(FieldError("/start_at", "outside_agenda_days", f"/start_at: {detail}"))
    if not start < fields["ends"] <= end:
        errors.append(FieldError("/end_at", "outside_agenda_days", f"/end_at: {detail}"))
    return errors


def _check_uploads(fields: Mapping[str, Any]) -> None:
    # Uploads arrive with API.md §6: until then no upload exists, so no id can be referenced.
    if fields.get("photo"):
        raise ValidationFailed(
            [FieldError("/photo", "unknown_upload", "No ready upload of yours has this id.")]
        )


# --- create, replace, update, delete ---------------------------------------------------------


def _write_on_head(
    kind: ContentKind,
    caller: Caller,
    agenda_id: str,
    record: ContentRecord,
    diagnose: Callable[[TransactionFailed], ApiError],
    **write: Any,
) -> str:
    """Runs ``_write`` on the agenda's version as this container last saw it (its head: a miss
    costs one GetItem). A stale head fails the version condition; the diagnosis reads the agenda
    (refreshing the head) and, when nothing else is wrong, the write is tried again. Returns the
    agenda's time zone at the committed version, which a session's answer shows its times in.
    Raises what ``diagnose`` says."""
    for attempt in range(WRITE_ATTEMPTS):
        head = head_of(agenda_id)
        try:
            _write(kind, caller, record, head, **write)
        except TransactionFailed as failure:
            error = diagnose(failure)
            if error.error_code == "write_conflict" and attempt + 1 < WRITE_ATTEMPTS:
                continue
            raise error from failure
        return head.timezone
    raise Conflict("The agenda changed while we wrote; try again.", code="write_conflict")


def _written(
    kind: ContentKind, record: ContentRecord, agenda_id: str, zone: str, base_url: str
) -> Representation[PublicModel]:
    """What a write answers: the writer's (a member's) view of the item. A session's conflicts are
    left out: they depend on the other sessions, which a write does not read (GET shows them)."""
    view = View(base_url=base_url, agenda_id=agenda_id, zone=zone, member=True)
    return _representation(kind, values_of(record), view, published=False)


def create_item(
    kind: ContentKind, caller: Caller, agenda_id: str, data: Any, base_url: str
) -> Representation[PublicModel]:
    """POST. Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed`` (times, unknown
    references), ``Conflict(too_many_<plural>)``."""
    _require_agenda_id(agenda_id, caller)
    fields = without_empty(kind.to_storage(data.model_dump()))
    _check_uploads(fields)
    _checks(kind, fields)
    now = utcnow()
    item_id = new_id(kind.name, now)
    record = kind.record(
        keys.agenda_pk(agenda_id),
        keys.content_sk(kind.name, item_id),
        id=item_id,
        revision=_new_revision(),
        created_at=iso(now),
        updated_at=iso(now),
        **fields,
    )
    agenda_condition = _cap_condition(kind)
    if kind is SESSIONS:
        agenda_condition &= _window_condition(fields)
    zone = _write_on_head(
        kind,
        caller,
        agenda_id,
        record,
        lambda failure: _diagnose(kind, caller, agenda_id, None, failure, fields=fields, creating=True),
        item_condition=TableItem.pk.does_not_exist(),
        agenda_condition=agenda_condition,
        count_change=1,
        references_of=fields,
    )
    logger.info("content created", extra={"agenda_id": agenda_id, "id": item_id})
    return _written(kind, record, agenda_id, zone, base_url)


def _created_at(item_id: str) -> str:
    try:
        return iso(created_at_of(item_id))
    except ValueError:
        # No id we issued: its time part does not fit a ULID or is past year 9999. Such an item
        # cannot exist, so the PUT's condition (the item exists) fails and the diagnosis answers
        # (404, or 403 first); this value is never stored.
        return iso(utcnow())


def replace_item(
    kind: ContentKind,
    caller: Caller,
    agenda_id: str,
    item_id: str,
    data: Any,
    if_match: str | None,
    base_url: str,
) -> Representation[PublicModel]:
    """PUT: the whole writable representation; optional fields left out are cleared. Raises what
    ``create_item`` does, and ``PreconditionFailed``."""
    _require_agenda_id(agenda_id, caller)
    fields = without_empty(kind.to_storage(data.model_dump()))
    _check_uploads(fields)
    _checks(kind, fields)
    versions = if_match_versions(if_match)
    record = kind.record(
        keys.agenda_pk(agenda_id),
        keys.content_sk(kind.name, item_id),
        id=item_id,
        revision=_new_revision(),
        created_at=_created_at(item_id),
        updated_at=iso(utcnow()),
        **fields,
    )
    zone = _write_on_head(
        kind,
        caller,
        agenda_id,
        record,
        lambda failure: _diagnose(
            kind, caller, agenda_id, item_id, failure, versions=versions, fields=fields
        ),
        item_condition=_revision_condition(versions),
        agenda_condition=_window_condition(fields) if kind is SESSIONS else None,
        references_of=fields,
    )
    return _written(kind, record, agenda_id, zone, base_url)


def update_item(
    kind: ContentKind,
    caller: Caller,
    agenda_id: str,
    item_id: str,
    patch: Any,
    if_match: str | None,
    base_url: str,
) -> Representation[PublicModel]:
    """PATCH as an RFC 7396 merge patch: one consistent read of the agenda and the item, the merge,
    then one transaction that holds only if the item is still what was read (else read again).
    Raises what ``replace_item`` does."""
    _require_agenda_id(agenda_id, caller)
    sent = patch.model_dump(include=patch.model_fields_set)
    changes = kind.to_storage(sent)
    _check_uploads(changes)
    versions = if_match_versions(if_match)
    for _attempt in range(WRITE_ATTEMPTS):
        try:
            agenda, found = load_with_items(agenda_id, [keys.content_sk(kind.name, item_id)], consistent=True)
        except NotFound:
            raise NotFound("No agenda with this id.") from None
        error = _role_error(agenda, caller)
        if error is not None:
            raise error
        current = next((item for item in found if isinstance(item, kind.record)), None)
        if current is None:
            raise _not_found(kind)
        if versions is not None and int(current.revision) not in versions:
            raise PreconditionFailed()
        merged = without_empty({**kind.stored_fields(current), **changes})
        _checks(kind, merged)
        if kind is SESSIONS:
            outside = _outside_days(agenda, merged)
            if outside:
                raise ValidationFailed(outside)
        record = kind.record(
            current.pk,
            current.sk,
            id=item_id,
            revision=_new_revision(),
            created_at=current.created_at,
            updated_at=iso(utcnow()),
            **merged,
        )
        # Only references this patch sets need checking: the others were checked when written,
        # and nothing a session references can be deleted.
        sent_references = {name: value for name, value in changes.items() if name in _REFERENCE_NAMES}
        try:
            _write(
                kind,
                caller,
                record,
                agenda,  # pinned to the version read: the zone and the days are the ones read
                item_condition=TableItem.pk.exists() & (ContentRecord.revision == current.revision),
                references_of=sent_references,
            )
        except TransactionFailed as failure:
            if not any(name.startswith("/") for name in failure.failed):
                continue  # the item or the agenda changed since we read them: read and merge again
            error = _diagnose(kind, caller, agenda_id, item_id, failure, versions=versions, fields=merged)
            if error.error_code == "write_conflict":
                continue
            raise error from failure
        return _written(kind, record, agenda_id, agenda.timezone, base_url)
    raise Conflict("The item kept changing while we wrote; try again.", code="write_conflict")


def delete_item(
    kind: ContentKind, caller: Caller, agenda_id: str, item_id: str, if_match: str | None
) -> None:
    """DELETE. A session goes in one transaction; anything a session may reference is first
    checked against the agenda's sessions (409 ``in_use``), and the transaction then holds only if
    no session changed since. Raises ``NotFound``, ``PermissionDenied``, ``PreconditionFailed``,
    ``Conflict(in_use)``."""
    _require_agenda_id(agenda_id, caller)
    versions = if_match_versions(if_match)
    record = kind.record(keys.agenda_pk(agenda_id), keys.content_sk(kind.name, item_id), id=item_id)
    for _attempt in range(WRITE_ATTEMPTS):
        if kind.used_by is None:
            agenda = head_of(agenda_id)
        else:
            agenda, items = load_partition(agenda_id, consistent=True, kinds=("session",))
            error = _role_error(agenda, caller)
            if error is not None:
                raise error
            users = sorted(
                (s for s in items if kind.used_by(s, item_id)),
                key=SESSIONS.sort_key,
            )
            if users:
                raise Conflict(
                    f"Sessions still use this {kind.name}; change or delete them first.", code="in_use"
                ).with_extra({"session_ids": [s["id"] for s in users]})
        try:
            # Pinned to the version read: no session can have started using the item since.
            _write(
                kind,
                caller,
                record,
                agenda,
                item_condition=_revision_condition(versions),
                count_change=-1,
                remove=True,
            )
        except TransactionFailed as failure:
            error = _diagnose(kind, caller, agenda_id, item_id, failure, versions=versions)
            if error.error_code == "write_conflict":
                continue  # the agenda moved on since the read (or the head was stale): again
            raise error from failure
        logger.info("content deleted", extra={"agenda_id": agenda_id, "id": item_id})
        return
    raise Conflict("The agenda kept changing while we deleted; try again.", code="write_conflict")
