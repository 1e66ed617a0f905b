"""Members and roles of an agenda (API.md §3): who may read, edit and own it.

Roles live twice, on purpose: in the agenda item's ``roles`` map, which every permission check
reads (one item, one request), and as membership items (``#MEMBER#<user>`` in the agenda's
partition, indexed by user for "my agendas"). Both change in one transaction.

Request budget: listing is one Query (agenda + members) and one BatchGetItem (the members'
profiles, for their emails); each change is one BatchGetItem (the agenda with the membership and
profile, or with the email's credential) and one transaction. The read is what makes "the last owner cannot leave" safe: the transaction's
conditions pin the roles it saw, so two owners demoting each other at once cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from agenda_core.db import create_claims, keys
from agenda_core.db.base import TableItem, get_or_none
from agenda_core.db.cursors import decode_cursor, encode_cursor, query_fingerprint
from agenda_core.db.ids import iso, utcnow
from agenda_core.db.records import AgendaRecord, CredentialRecord, MembershipRecord, UserRecord
from agenda_core.db.transactions import TransactionFailed, storage_errors, transaction
from agenda_core.errors import Conflict, FieldError, NotFound, ValidationFailed
from agenda_core.integrations.secrets import signing_key
from agenda_core.observability import logger
from agenda_core.policy import OPERATIONS, OWNER
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.common import Pagination
from agenda_core.schemas.members import MemberCreate, MemberPage, MemberPublic, MemberUpdate
from agenda_core.services import agenda_partition
from agenda_core.services.links import member_url
from agenda_core.settings import get_settings

_CHANGED = "The agenda's members changed while we wrote; try again."


def _role_path(user_id: str) -> Any:
    return cast(Any, AgendaRecord.roles)[user_id]


def _roles(agenda: AgendaRecord) -> dict[str, str]:
    return dict(agenda.roles.as_dict()) if agenda.roles else {}


def _public(member: MembershipRecord, email: str, base_url: str) -> MemberPublic:
    return MemberPublic(
        id=member.user_id,
        url=member_url(base_url, member.agenda_id, member.user_id),
        email=email,
        role=member.role,
        created_at=datetime.fromisoformat(member.created_at),
        updated_at=datetime.fromisoformat(member.updated_at),
    )


def _emails(user_ids: list[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    with storage_errors():
        users = TableItem.batch_get([(keys.user_pk(uid), keys.USER_SK) for uid in user_ids])
        return {user.id: user.email for user in users if isinstance(user, UserRecord)}


# --- read -----------------------------------------------------------------------------------


def list_members(
    caller: Caller, id_or_slug: str, *, per_page: int, cursor: str | None, base_url: str, page_url: Any
) -> MemberPage:
    """The agenda's members in the order they joined. Raises ``NotFound``, ``PermissionDenied``,
    ``InvalidCursor``."""
    agenda, members = agenda_partition.load_agenda_and_members(id_or_slug)
    agenda_partition.authorize(agenda, caller, "members.list")
    fingerprint = query_fingerprint(route="members", agenda=agenda.id)
    key = signing_key().derive("cursor")
    after = decode_cursor(cursor, fingerprint, key)["user_id"] if cursor else ""
    remaining = [m for m in sorted(members, key=lambda m: m.user_id) if m.user_id > after]
    page = remaining[:per_page]
    emails = _emails([m.user_id for m in page])
    next_url = None
    if len(remaining) > per_page:
        next_url = page_url(encode_cursor({"user_id": page[-1].user_id}, fingerprint, key))
    return MemberPage(
        members=[_public(m, emails.get(m.user_id, ""), base_url) for m in page if m.user_id in emails],
        pagination=Pagination(next=next_url, per_page=per_page),
    )


# --- add ------------------------------------------------------------------------------------


def add_member(caller: Caller, agenda_id: str, data: MemberCreate, base_url: str) -> MemberPublic:
    """Adds the user who signed up with ``data.email``. Raises ``ValidationFailed(unknown_user)``,
    ``Conflict(member_exists | too_many_members)``, ``NotFound``, ``PermissionDenied``."""
    if not agenda_id.startswith("agd_") or caller.user_id is None:
        raise NotFound("No agenda with this id.")
    # One BatchGetItem: the agenda (to authorize first, so that only its owners learn whether an
    # email has an account) and the credential that maps the email to a user.
    with storage_errors():
        items = list(
            TableItem.batch_get(
                [(keys.agenda_pk(agenda_id), keys.AGENDA_SK), (keys.email_pk(data.email), keys.EMAIL_SK)],
                consistent_read=True,
            )
        )
    agenda = next((i for i in items if isinstance(i, AgendaRecord)), None)
    credential = next((i for i in items if isinstance(i, CredentialRecord)), None)
    if agenda is None:
        raise NotFound("No agenda with this id.")
    agenda_partition.authorize(agenda, caller, "members.create")
    if credential is None:
        raise ValidationFailed(
            [FieldError("/email", "unknown_user", "No user has signed up with this email.")]
        )
    now = iso(utcnow())
    member = MembershipRecord(
        keys.agenda_pk(agenda_id),
        keys.member_sk(credential.user_id),
        agenda_id=agenda_id,
        user_id=credential.user_id,
        role=data.role,
        created_at=now,
        updated_at=now,
        gsi1pk=keys.member_of_pk(credential.user_id),
        gsi1sk=agenda_id,
    )
    cap = get_settings().max_members_per_agenda
    from pynamodb.expressions.condition import size

    try:
        with transaction() as tx:
            tx.put("member", member, condition=TableItem.pk.does_not_exist())
            tx.change(
                "agenda",
                AgendaRecord(keys.agenda_pk(agenda_id), keys.AGENDA_SK),
                actions=[_role_path(credential.user_id).set(data.role)],
                condition=TableItem.pk.exists()
                & _role_path(caller.user_id).is_in(*(OPERATIONS["members.create"].roles or ()))
                & (size(AgendaRecord.roles) < cap),
            )
            create_claims.add(tx, credential.user_id)
    except TransactionFailed as error:
        if create_claims.claimed(error) is not None:
            # An earlier attempt of this keyed create committed: the membership it made.
            with storage_errors():
                made = get_or_none(
                    MembershipRecord,
                    keys.agenda_pk(agenda_id),
                    keys.member_sk(credential.user_id),
                    consistent=True,
                )
            if made is not None:
                return _public(made, data.email, base_url)
        if "agenda" in error.failed:
            agenda = _current(agenda_id)
            agenda_partition.authorize(agenda, caller, "members.create")
            if credential.user_id in _roles(agenda):
                raise Conflict("This user is already a member.", code="member_exists") from error
            if len(_roles(agenda)) >= cap:
                raise Conflict(f"An agenda has at most {cap} members.", code="too_many_members") from error
            raise Conflict(_CHANGED) from error
        raise Conflict("This user is already a member.", code="member_exists") from error
    logger.info("member added", extra={"agenda_id": agenda_id, "user_id": credential.user_id})
    return _public(member, data.email, base_url)


def _current(agenda_id: str) -> AgendaRecord:
    with storage_errors():
        agenda = get_or_none(AgendaRecord, keys.agenda_pk(agenda_id), keys.AGENDA_SK, consistent=True)
    if agenda is None:
        raise NotFound("No agenda with this id.")
    return agenda


# --- change and remove ----------------------------------------------------------------------


def _read_for_change(agenda_id: str, user_id: str) -> tuple[AgendaRecord, MembershipRecord | None, str]:
    """The agenda, the membership and the member's email: one BatchGetItem."""
    if not agenda_id.startswith("agd_"):
        raise NotFound("No agenda with this id.")
    wanted = [
        (keys.agenda_pk(agenda_id), keys.AGENDA_SK),
        (keys.agenda_pk(agenda_id), keys.member_sk(user_id)),
        (keys.user_pk(user_id), keys.USER_SK),
    ]
    with storage_errors():
        items = list(TableItem.batch_get(wanted, consistent_read=True))
    agenda = next((i for i in items if isinstance(i, AgendaRecord)), None)
    member = next((i for i in items if isinstance(i, MembershipRecord)), None)
    user = next((i for i in items if isinstance(i, UserRecord)), None)
    if agenda is None:
        raise NotFound("No agenda with this id.")
    return agenda, member, user.email if user else ""


def _owner_guard(roles: dict[str, str], target: str, new_role: str | None) -> Any:
    """The condition that keeps at least one owner when ``target`` stops being one: another owner
    the caller saw must still be an owner when the transaction commits. Raises
    ``Conflict(last_owner)`` when there is none."""
    if roles.get(target) != OWNER or new_role == OWNER:
        return None
    others = sorted(u for u, r in roles.items() if r == OWNER and u != target)
    if not others:
        raise Conflict("An agenda needs an owner: add another owner first.", code="last_owner")
    return _role_path(others[0]) == OWNER


def update_member(
    caller: Caller, agenda_id: str, user_id: str, data: MemberUpdate, base_url: str
) -> MemberPublic:
    """Changes a member's role (owners only). Raises ``Conflict(last_owner)``, ``NotFound``,
    ``PermissionDenied``."""
    agenda, member, email = _read_for_change(agenda_id, user_id)
    agenda_partition.authorize(agenda, caller, "members.update", target=user_id)
    roles = _roles(agenda)
    if member is None or user_id not in roles:
        raise NotFound("This user is not a member of this agenda.")
    guard = _owner_guard(roles, user_id, data.role)
    assert caller.user_id is not None
    condition = (_role_path(caller.user_id) == roles[caller.user_id]) & (
        _role_path(user_id) == roles[user_id]
    )
    if guard is not None:
        condition &= guard
    now = iso(utcnow())
    try:
        with transaction() as tx:
            tx.change(
                "agenda",
                AgendaRecord(keys.agenda_pk(agenda_id), keys.AGENDA_SK),
                actions=[_role_path(user_id).set(data.role)],
                condition=condition,
            )
            tx.change(
                "member",
                member,
                actions=[MembershipRecord.role.set(data.role), MembershipRecord.updated_at.set(now)],
                condition=TableItem.pk.exists(),
            )
    except TransactionFailed as error:
        raise Conflict(_CHANGED) from error
    member.role, member.updated_at = data.role, now
    return _public(member, email, base_url)


def remove_member(caller: Caller, agenda_id: str, user_id: str) -> None:
    """Removes a member (owners remove anyone; any member may leave). Raises
    ``Conflict(last_owner)``, ``NotFound``, ``PermissionDenied``."""
    agenda, member, _email = _read_for_change(agenda_id, user_id)
    agenda_partition.authorize(agenda, caller, "members.delete", target=user_id)
    roles = _roles(agenda)
    if member is None or user_id not in roles:
        raise NotFound("This user is not a member of this agenda.")
    guard = _owner_guard(roles, user_id, None)
    assert caller.user_id is not None
    condition = (_role_path(caller.user_id) == roles[caller.user_id]) & (
        _role_path(user_id) == roles[user_id]
    )
    if guard is not None:
        condition &= guard
    try:
        with transaction() as tx:
            tx.change(
                "agenda",
                AgendaRecord(keys.agenda_pk(agenda_id), keys.AGENDA_SK),
                actions=[_role_path(user_id).remove()],
                condition=condition,
            )
            tx.remove("member", member, condition=TableItem.pk.exists())
    except TransactionFailed as error:
        raise Conflict(_CHANGED) from error
    logger.info("member removed", extra={"agenda_id": agenda_id, "user_id": user_id})
