"""Replacing and merge-patching an agenda (API.md §3), through the commit seam (db/commits.py).

The fast path is one transaction and no read: the agenda's version comes from this container's
head (services/agenda_partition.py; a miss is one GetItem), and conditions check what the write
must not break (the caller's role, ``If-Match``, a slug, days or published state the agenda
already has). The write's answer is that head with the change applied: the transaction held only
if the agenda was still at the head's version. Anything else (a new slug, new days, publishing,
a stale head) takes the careful path: read the agenda with its sessions, check what the change
would do to them, and commit pinned to the version read (else read again).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from agenda_core.db import commits, keys
from agenda_core.db.base import TableItem
from agenda_core.db.ids import iso, utcnow
from agenda_core.db.records import AgendaRecord, SlugRecord, agenda_state
from agenda_core.db.transactions import Transaction, TransactionFailed
from agenda_core.errors import Conflict, FieldError, NotFound, ValidationFailed
from agenda_core.etags import if_match_versions
from agenda_core.policy import roles_for
from agenda_core.schemas.agendas import AgendaCreate, AgendaPublic, AgendaUpdate
from agenda_core.schemas.auth import Caller
from agenda_core.services import slugs, upload_references
from agenda_core.services.agenda_partition import (
    Representation,
    forget_slug,
    head_of,
    is_agenda_id,
    load_partition,
    remember,
)
from agenda_core.services.agendas import (
    WRITE_ATTEMPTS,
    agenda_representation,
    check_write,
    slug_claim,
    write_condition,
)
from agenda_core.services.schedule_time import day_window
from agenda_core.services.session_slots import schedule_conflicts

# Writable fields that may be absent (PUT leaves them out to clear them; PATCH sends null).
_OPTIONAL_FIELDS = ("description", "location", "icon")
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


def replace_agenda(
    caller: Caller, agenda_id: str, data: AgendaCreate, if_match: str | None, base_url: str
) -> Representation[AgendaPublic]:
    """PUT: every writable field; optional ones left out are cleared, a left-out slug is kept."""
    fields = data.model_dump(exclude={"slug"})
    to_set = {k: v for k, v in fields.items() if v is not None and v != ""}
    to_clear = [k for k in _OPTIONAL_FIELDS if k not in to_set]
    return _update(caller, agenda_id, to_set, to_clear, data.slug, if_match, base_url, "agenda.replace")


def update_agenda(
    caller: Caller, agenda_id: str, patch: AgendaUpdate, if_match: str | None, base_url: str
) -> Representation[AgendaPublic]:
    """PATCH as an RFC 7396 merge patch: fields sent are set, ``null`` clears an optional one."""
    sent = patch.model_dump(include=patch.model_fields_set)
    to_set = {k: v for k, v in sent.items() if k != "slug" and v is not None and v != ""}
    to_clear = [k for k in _OPTIONAL_FIELDS if k in sent and (sent[k] is None or sent[k] == "")]
    return _update(caller, agenda_id, to_set, to_clear, sent.get("slug"), if_match, base_url, "agenda.update")


# --- the change as stored ----------------------------------------------------------------------


def _storage_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _actions(agenda_id: str, to_set: dict[str, Any], to_clear: list[str], now: str) -> list[Action]:
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
    actions.append(AgendaRecord.updated_at.set(now))
    return actions


def _after(
    record: AgendaRecord, to_set: dict[str, Any], to_clear: list[str], now: str, slug: str | None = None
) -> AgendaRecord:
    """A copy of ``record`` (the agenda at the version the write pins) as the write leaves it:
    what the change records and, once committed, the answer and this container's new head."""
    after = AgendaRecord.from_raw_data(record.serialize())
    for name, value in to_set.items():
        if name in _ATTRIBUTES:
            setattr(after, name, _storage_value(value))
    for name in to_clear:
        setattr(after, name, None)
    if slug is not None:
        after.slug = slug
    after.version = int(record.version) + 1
    after.updated_at = after.changed_at = now
    return after


def publication_change(record: AgendaRecord, to_set: Mapping[str, Any]) -> str:
    """The webhook event's last word: "published" or "unpublished" when the change flips what
    ``record`` is (at the version the commit pins, so exactly), "" (an update) otherwise."""
    published = to_set.get("published")
    if published is None or bool(published) == bool(record.published):
        return ""
    return "published" if published else "unpublished"


def _commit(
    caller: Caller,
    record: AgendaRecord,
    to_set: dict[str, Any],
    to_clear: list[str],
    condition: Condition,
) -> AgendaRecord:
    """Commits the change on ``record``'s version. Returns the agenda as committed (remembered as
    this container's head). Raises ``ValidationFailed`` (an icon not to be had),
    ``TransactionFailed``."""
    after = _after(record, to_set, to_clear, iso(utcnow()))
    change = commits.Change(
        "agenda", record.id, state=agenda_state(after), what=publication_change(record, to_set)
    )
    actions = _actions(record.id, to_set, to_clear, after.updated_at)
    try:
        with commits.commit(
            record.id, int(record.version), change, actions=actions, condition=condition
        ) as tx:
            _reference_icon(tx, caller, record.id, to_set)
    except TransactionFailed as failure:
        _refuse_icon(failure)
        raise
    return remember(after)


def _reference_icon(tx: Transaction, caller: Caller, agenda_id: str, to_set: Mapping[str, Any]) -> None:
    if to_set.get("icon"):
        upload_references.reference(tx, caller, "icon", str(to_set["icon"]), agenda_id)


def _refuse_icon(failure: TransactionFailed) -> None:
    rejected = upload_references.refused(failure)
    if rejected is not None:
        raise rejected from failure


# --- the two paths -----------------------------------------------------------------------------


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
    """One transaction when the write cannot break a rule about the agenda's content; otherwise
    (new slug, new days, publishing) the careful path reads the agenda's sessions first. Raises
    ``NotFound``, ``PermissionDenied``, ``PreconditionFailed``, ``Conflict(slug_taken |
    schedule_conflicts | write_conflict)``, ``ValidationFailed(sessions_outside_days)``."""
    if not is_agenda_id(agenda_id) or caller.user_id is None:
        raise NotFound("No agenda with this id.")
    roles = roles_for(operation)
    versions = if_match_versions(if_match)
    condition = _fast_condition(caller, to_set, slug, versions, roles)
    if condition is not None:
        head = head_of(agenda_id)
        try:
            committed = _commit(caller, head, to_set, to_clear, condition)
        except TransactionFailed:
            pass  # the careful path says why, or finds the head was only stale
        else:
            return agenda_representation(committed, caller, base_url)
    return _careful_update(caller, agenda_id, to_set, to_clear, slug, versions, roles, base_url)


def _fast_condition(
    caller: Caller,
    to_set: dict[str, Any],
    slug: str | None,
    versions: set[int] | None,
    roles: frozenset[str],
) -> Condition | None:
    """The condition under which the write needs no read: the slug, the days and the published
    state it sets are the ones the agenda already has (None: no such condition can be written,
    because a partial change of the days needs the stored fields to compute them)."""
    condition = write_condition(caller, versions, roles)
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
    and commits only if the agenda is still at the version it read (else reads again)."""
    for _attempt in range(WRITE_ATTEMPTS):
        current, sessions = load_partition(agenda_id, consistent=True, kinds=("session",))
        check_write(current, caller, versions, roles)
        _check_days(current, to_set, sessions)
        if to_set.get("published") is True and not current.published:
            _check_publishable(sessions)
        role = write_condition(caller, None, roles)
        try:
            if slug is not None and slug != current.slug:
                committed = _change_slug(caller, current, to_set, to_clear, slug, role)
            else:
                committed = _commit(caller, current, to_set, to_clear, role)
        except TransactionFailed:
            continue  # something under the agenda changed since the read: check again
        return agenda_representation(committed, caller, base_url)
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


def _change_slug(
    caller: Caller,
    current: AgendaRecord,
    to_set: dict[str, Any],
    to_clear: list[str],
    slug: str,
    role: Condition,
) -> AgendaRecord:
    """One commit: claim the new slug, update the agenda (if unchanged since we read it), release
    the old claim. Returns the agenda as committed (the new head). Raises ``Conflict(slug_taken)``,
    ``TransactionFailed`` (the agenda moved on)."""
    agenda_id = current.id
    for _attempt in range(2):
        after = _after(current, to_set, to_clear, iso(utcnow()), slug)
        actions = [*_actions(agenda_id, to_set, to_clear, after.updated_at), AgendaRecord.slug.set(slug)]
        what = publication_change(current, to_set)
        try:
            with commits.commit(
                agenda_id,
                int(current.version),
                commits.Change("agenda", agenda_id, state=agenda_state(after), what=what),
                actions=actions,
                condition=role,
            ) as tx:
                tx.put("new_slug", slug_claim(slug, agenda_id), condition=TableItem.pk.does_not_exist())
                tx.remove(
                    "old_slug",
                    SlugRecord(keys.slug_pk(current.slug), keys.SLUG_SK),
                    condition=(SlugRecord.agenda_id == agenda_id) | TableItem.pk.does_not_exist(),
                )
                _reference_icon(tx, caller, agenda_id, to_set)
        except TransactionFailed as error:
            _refuse_icon(error)
            if "new_slug" in error.failed and slugs.release_if_stale(slug):
                continue
            if "new_slug" in error.failed:
                raise Conflict(f"The slug '{slug}' is taken.", code="slug_taken") from error
            raise
        forget_slug(current.slug)
        return remember(after)
    raise Conflict(f"The slug '{slug}' is taken.", code="slug_taken")
