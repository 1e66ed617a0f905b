"""Agendas (API.md §3): create, list published, delete, and the agenda's representation.

Replace and merge-patch are in ``services/agenda_updates.py``, the full read in
``services/full_agenda.py``, loading and visibility in ``services/agenda_partition.py``.

Request budget (docs/design.md "Agenda content"): a read is one DynamoDB request; a write is one
transaction through the commit seam (db/commits.py), with the caller's role checked by a
condition on the agenda item's ``roles`` map. Extra requests happen only on rare paths (slug
collisions, a head this container does not know yet, diagnosing a failed condition, sweeping a
deleted agenda's partition).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, cast

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition

from agenda_core.db import commits, create_claims, keys
from agenda_core.db.base import Gsi1, TableItem, get_or_none
from agenda_core.db.ids import iso, new_id, utcnow
from agenda_core.db.records import AgendaRecord, MembershipRecord, SlugRecord
from agenda_core.db.transactions import TransactionFailed, is_condition_failure, storage_errors
from agenda_core.db.webhook_records import (
    SECRET_SK,
    WEBHOOK_SK_PREFIX,
    WebhookSecretRecord,
    webhook_secret_pk,
)
from agenda_core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
)
from agenda_core.etags import if_match_versions
from agenda_core.observability import logger
from agenda_core.policy import roles_for
from agenda_core.schemas.agendas import AgendaCreate, AgendaPage, AgendaPublic
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.common import Pagination
from agenda_core.services import paging, slugs, upload_references
from agenda_core.services.agenda_partition import (
    Representation,
    agenda_etag,
    forget_head,
    forget_slug,
    head_of,
    is_agenda_id,
    is_visible,
    load_agenda,
    remember,
    role_of,
)
from agenda_core.services.cursor_keys import new_cursor_key
from agenda_core.services.links import agenda_url, media_url
from agenda_core.services.schedule_time import day_window

# How often a write whose pinned version lost a race reads the agenda again and retries.
WRITE_ATTEMPTS = 4

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
        "icon": media_url(base_url, record.icon) if record.icon else None,
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


def agenda_representation(
    record: AgendaRecord, caller: Caller, base_url: str
) -> Representation[AgendaPublic]:
    return Representation(
        body=AgendaPublic(**agenda_fields(record, base_url)),
        etag=agenda_etag(record, caller, "agenda", base_url),
        public=False,
    )


# --- validation that needs more than the schema ----------------------------------------------


# --- create ----------------------------------------------------------------------------------


def create_agenda(caller: Caller, data: AgendaCreate, base_url: str) -> Representation[AgendaPublic]:
    """Creates an agenda owned by the caller. Raises ``Conflict(slug_taken)``, ``ValidationFailed``."""
    assert caller.user_id is not None
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
            with commits.commit_new_agenda(record) as tx:
                tx.put("slug", slug_claim(slug, agenda_id), condition=TableItem.pk.does_not_exist())
                tx.put("owner", membership, condition=TableItem.pk.does_not_exist())
                create_claims.add(tx, agenda_id)
                if data.icon:
                    upload_references.reference(tx, caller, "icon", data.icon, agenda_id)
        except TransactionFailed as error:
            if (made := create_claims.claimed(error)) is not None:
                # An earlier attempt of this keyed create committed: its agenda is the answer.
                return agenda_representation(remember(load_agenda(made, consistent=True)), caller, base_url)
            rejected = upload_references.refused(error)
            if rejected is not None:
                raise rejected from error
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
        return agenda_representation(remember(record), caller, base_url)
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
        cursor_key=new_cursor_key(),
        gsi1pk=keys.PUBLISHED_GSI_PK if data.published else None,
        gsi1sk=keys.published_sk(start_at, agenda_id),
    )


def slug_claim(slug: str, agenda_id: str) -> SlugRecord:
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


# --- what a failed write tells the caller ----------------------------------------------------


def role_path(user_id: str) -> Any:
    """``roles.<user_id>`` as a condition path (pynamodb's stubs type map items as values)."""
    return cast(Any, AgendaRecord.roles)[user_id]


def write_condition(caller: Caller, versions: set[int] | None, roles: frozenset[str]) -> Condition:
    """The caller holds one of ``roles`` and, with ``If-Match``, the agenda is at one of ``versions``."""
    assert caller.user_id is not None
    condition = TableItem.pk.exists() & role_path(caller.user_id).is_in(*roles)
    if versions is not None:
        condition &= AgendaRecord.version.is_in(*versions) if versions else AgendaRecord.version < 0
    return condition


def check_write(
    current: AgendaRecord, caller: Caller, versions: set[int] | None, allowed: frozenset[str]
) -> None:
    """Raises the error the caller should see for a write on ``current`` (404, 403, 412)."""
    if not is_visible(current, caller):
        raise NotFound("No agenda with this id.")
    role = role_of(current, caller)
    if role not in allowed:
        raise PermissionDenied(
            "Your role on this agenda does not allow this."
            if role
            else "You are not a member of this agenda.",
            code="insufficient_role",
        )
    if versions is not None and int(current.version) not in versions:
        raise PreconditionFailed()


def diagnose_write(
    caller: Caller, agenda_id: str, versions: set[int] | None, allowed: frozenset[str]
) -> AgendaRecord:
    """Why did a conditional write fail? Raises the error the caller should see, or returns the
    current record (now this container's head) when none of those is the reason."""
    with storage_errors():
        current = get_or_none(AgendaRecord, keys.agenda_pk(agenda_id), keys.AGENDA_SK, consistent=True)
    if current is None:
        forget_head(agenda_id)
        raise NotFound("No agenda with this id.")
    check_write(remember(current), caller, versions, allowed)
    return current


# --- delete ----------------------------------------------------------------------------------


def delete_agenda(caller: Caller, agenda_id: str, if_match: str | None) -> None:
    """Deletes the agenda (owner only) in one transaction that records the deletion (db/commits.py);
    the rest of its partition and its slug claim are swept right after. Nothing is reachable once
    the agenda item is gone."""
    if not is_agenda_id(agenda_id) or caller.user_id is None:
        raise NotFound("No agenda with this id.")
    roles = roles_for("agenda.delete")
    versions = if_match_versions(if_match)
    for _attempt in range(WRITE_ATTEMPTS):
        head = head_of(agenda_id)
        try:
            with commits.commit_agenda_deletion(
                agenda_id, int(head.version), write_condition(caller, versions, roles)
            ):
                pass
        except TransactionFailed:
            diagnose_write(caller, agenda_id, versions, roles)
            continue  # only the version moved: the diagnosis refreshed the head
        forget_head(agenda_id)
        _sweep_partition(agenda_id, head.slug)
        return
    raise Conflict("The agenda kept changing while we deleted it; try again.", code="write_conflict")


def _sweep_partition(agenda_id: str, slug: str | None) -> None:
    """Best effort: a failure leaves unreachable items behind, never a visible agenda."""
    try:
        with storage_errors():
            if slug:
                forget_slug(slug)
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
                    if item.sk.startswith(WEBHOOK_SK_PREFIX):  # its secret lives apart
                        webhook_id = item.sk.removeprefix(WEBHOOK_SK_PREFIX)
                        batch.delete(WebhookSecretRecord(webhook_secret_pk(webhook_id), SECRET_SK))
    except Exception:  # noqa: BLE001 - the delete itself succeeded; the sweep may be retried later
        logger.exception("sweeping a deleted agenda's partition failed", extra={"agenda_id": agenda_id})
