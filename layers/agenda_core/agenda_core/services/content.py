"""Agenda content (API.md §4): the one engine behind the writes of sessions, speakers, tracks,
venues and categories (each described in ``services/content_kinds.py``); reads are in
``services/content_reads.py``, the diagnosis of a failed write in ``services/content_diagnosis.py``.

Writes need owner or editor. Every write bumps the agenda's ``version`` in the same transaction,
so the full agenda's ETag changes exactly when something under it changed, and the caller's role,
the agenda's days and the content caps are checked by conditions on the agenda item inside that
transaction (no read first).

Request budget (docs/design.md "Agenda content"):
- POST, PUT, and DELETE of a session: one transaction; the answer of a POST or PUT of a session
  that can conflict (in a venue, plenary or with speakers, and not cancelled) adds one Query of
  the agenda's sessions, to show the conflicts the write leaves.
- PATCH: one BatchGetItem (a merge patch merges into what is stored) and one transaction (and
  that Query, for a session).
- DELETE of a speaker, track, venue or category: one Query (does a session use it?) and one
  transaction that holds only if no session changed in between.
A failed condition costs one more read, to say why (404, 403, 412, 409 or 422).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pynamodb.expressions.condition import Condition

from agenda_core.db import commits, create_claims, keys
from agenda_core.db.base import TableItem
from agenda_core.db.content_records import ContentRecord, new_revision, replacement
from agenda_core.db.ids import created_at_of, iso, new_id, utcnow
from agenda_core.db.records import AgendaRecord
from agenda_core.db.transactions import TransactionFailed
from agenda_core.errors import ApiError, Conflict, NotFound, PreconditionFailed, ValidationFailed
from agenda_core.etags import if_match_versions
from agenda_core.observability import logger
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.common import PublicModel
from agenda_core.services import upload_references
from agenda_core.services.agenda_partition import (
    Representation,
    head_of,
    load_partition,
    load_with_items,
    remember,
)
from agenda_core.services.agendas import WRITE_ATTEMPTS
from agenda_core.services.content_conditions import (
    cap_condition,
    revision_condition,
    window_condition,
    writer_condition,
)
from agenda_core.services.content_diagnosis import (
    REFERENCE_NAMES,
    diagnose,
    not_found,
    outside_days,
    role_error,
)
from agenda_core.services.content_kinds import KINDS, SESSIONS, ContentKind, change_state, without_empty
from agenda_core.services.content_reads import made_before, written

# Every write is pinned to the agenda's version (db/commits.py); one that loses a race reads
# again and retries, up to agendas.WRITE_ATTEMPTS times in all.


# --- writing: conditions ---------------------------------------------------------------------


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
    creating: bool = False,
    replacing: bool = False,
) -> None:
    """One commit (db/commits.py) on the agenda's version ``base.version``: the item, the agenda's
    counter, a check that every referenced id exists in the agenda, and the change record. On
    success ``base`` becomes the agenda as committed (this container's new head). Raises
    ``TransactionFailed``."""
    condition = writer_condition(caller)
    if agenda_condition is not None:
        condition &= agenda_condition
    actions = [kind.count_attribute.add(count_change)] if count_change else []
    change = commits.Change(
        kind.name,
        record.id,
        commits.DELETED if remove else commits.UPSERTED,
        None if remove else change_state(record),
        what="created" if creating else "",
    )
    with commits.commit(base.id, int(base.version), change, actions=actions, condition=condition) as tx:
        if remove:
            tx.remove("item", record, condition=item_condition)
        else:
            if creating:
                create_claims.add(tx, str(record.id))
            if replacing:  # a PUT: an update, so that what no request writes stays (``source``)
                tx.change("item", record, actions=replacement(record), condition=item_condition)
            else:
                tx.put("item", record, condition=item_condition)
            upload_references.reference_shown(tx, caller, record)
        for pointer, ref_kind, ref_id in kind.references(references_of or {}):
            tx.check(
                pointer,
                KINDS[ref_kind].record,
                record.pk,
                keys.content_sk(ref_kind, ref_id),
                condition=TableItem.pk.exists(),
            )
    base.version = int(base.version) + 1
    if count_change:
        setattr(base, kind.count_name, int(getattr(base, kind.count_name) or 0) + count_change)
    remember(base)


# --- create, replace, update, delete ---------------------------------------------------------


def _write_on_head(
    kind: ContentKind,
    caller: Caller,
    agenda_id: str,
    record: ContentRecord,
    explain: Callable[[TransactionFailed], ApiError],
    **write: Any,
) -> AgendaRecord:
    """Runs ``_write`` on the agenda's version as this container last saw it (its head: a miss
    costs one GetItem). A stale head fails the version condition; the diagnosis reads the agenda
    (refreshing the head) and, when nothing else is wrong, the write is tried again. Returns the
    agenda as committed (its new version; its time zone, which a session's answer shows its times
    in). Raises what ``explain`` says."""
    for attempt in range(WRITE_ATTEMPTS):
        head = head_of(agenda_id)
        try:
            _write(kind, caller, record, head, **write)
        except TransactionFailed as failure:
            error = explain(failure)
            if error.error_code == "write_conflict" and attempt + 1 < WRITE_ATTEMPTS:
                continue
            raise error from failure
        return head
    raise Conflict("The agenda changed while we wrote; try again.", code="write_conflict")


def create_item(
    kind: ContentKind, caller: Caller, agenda_id: str, data: Any, base_url: str
) -> Representation[PublicModel]:
    """POST: the new item as its writer sees it. Raises what ``add_item`` does."""
    record, committed = _create(kind, caller, agenda_id, data)
    return written(kind, record, committed, base_url)


def add_item(kind: ContentKind, caller: Caller, agenda_id: str, data: Any) -> str:
    """POST's write without its answer (one transaction; a session's answer would cost a Query):
    the new item's id, for the import. Raises what ``create_item`` does."""
    return str(_create(kind, caller, agenda_id, data)[0].id)


def _create(
    kind: ContentKind, caller: Caller, agenda_id: str, data: Any
) -> tuple[ContentRecord, AgendaRecord]:
    """The new item and the agenda as committed. Raises ``NotFound``, ``PermissionDenied``,
    ``ValidationFailed`` (times, unknown references), ``Conflict(too_many_<plural>)``."""
    _require_agenda_id(agenda_id, caller)
    fields = without_empty(kind.to_storage(data.model_dump()))
    _checks(kind, fields)
    now = utcnow()
    item_id = new_id(kind.name, now)
    record = kind.record(
        keys.agenda_pk(agenda_id),
        keys.content_sk(kind.name, item_id),
        id=item_id,
        revision=new_revision(),
        created_at=iso(now),
        updated_at=iso(now),
        **fields,
    )
    agenda_condition = cap_condition(kind)
    if kind is SESSIONS:
        agenda_condition &= window_condition(fields)

    def explain(failure: TransactionFailed) -> ApiError:
        if (made := create_claims.claimed(failure)) is not None:
            raise _Made(made)  # an earlier attempt of this keyed create committed
        return diagnose(kind, caller, agenda_id, None, failure, fields=fields, creating=True)

    try:
        committed = _write_on_head(
            kind,
            caller,
            agenda_id,
            record,
            explain,
            item_condition=TableItem.pk.does_not_exist(),
            agenda_condition=agenda_condition,
            creating=True,
            count_change=1,
            references_of=fields,
        )
    except _Made as made:
        return made_before(kind, agenda_id, made.item_id)
    logger.info("content created", extra={"agenda_id": agenda_id, "id": item_id})
    return record, committed


class _Made(Exception):
    def __init__(self, item_id: str) -> None:
        self.item_id = item_id


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
    _checks(kind, fields)
    versions = if_match_versions(if_match)
    record = kind.record(
        keys.agenda_pk(agenda_id),
        keys.content_sk(kind.name, item_id),
        id=item_id,
        revision=new_revision(),
        created_at=_created_at(item_id),
        updated_at=iso(utcnow()),
        **fields,
    )
    committed = _write_on_head(
        kind,
        caller,
        agenda_id,
        record,
        lambda failure: diagnose(kind, caller, agenda_id, item_id, failure, versions=versions, fields=fields),
        item_condition=revision_condition(versions),
        agenda_condition=window_condition(fields) if kind is SESSIONS else None,
        references_of=fields,
        replacing=True,
    )
    return written(kind, record, committed, base_url)


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
    versions = if_match_versions(if_match)
    for _attempt in range(WRITE_ATTEMPTS):
        try:
            agenda, found = load_with_items(agenda_id, [keys.content_sk(kind.name, item_id)], consistent=True)
        except NotFound:
            raise NotFound("No agenda with this id.") from None
        error = role_error(agenda, caller)
        if error is not None:
            raise error
        current = next((item for item in found if isinstance(item, kind.record)), None)
        if current is None:
            raise not_found(kind)
        if versions is not None and int(current.revision) not in versions:
            raise PreconditionFailed()
        merged = without_empty({**kind.stored_fields(current), **changes})
        _checks(kind, merged)
        if kind is SESSIONS:
            outside = outside_days(agenda, merged)
            if outside:
                raise ValidationFailed(outside)
        record = kind.record(
            current.pk,
            current.sk,
            id=item_id,
            revision=new_revision(),
            created_at=current.created_at,
            updated_at=iso(utcnow()),
            **merged,
        )
        # Only references this patch sets need checking: the others were checked when written,
        # and nothing a session references can be deleted.
        sent_references = {name: value for name, value in changes.items() if name in REFERENCE_NAMES}
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
            error = diagnose(kind, caller, agenda_id, item_id, failure, versions=versions, fields=merged)
            if error.error_code == "write_conflict":
                continue
            raise error from failure
        return written(kind, record, agenda, base_url)  # ``agenda`` is now as committed
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
            error = role_error(agenda, caller)
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
                item_condition=revision_condition(versions),
                count_change=-1,
                remove=True,
            )
        except TransactionFailed as failure:
            error = diagnose(kind, caller, agenda_id, item_id, failure, versions=versions)
            if error.error_code == "write_conflict":
                continue  # the agenda moved on since the read (or the head was stale): again
            raise error from failure
        logger.info("content deleted", extra={"agenda_id": agenda_id, "id": item_id})
        return
    raise Conflict("The agenda kept changing while we deleted; try again.", code="write_conflict")
