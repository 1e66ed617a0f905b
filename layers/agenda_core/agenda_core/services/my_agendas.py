"""``GET /v1/users/me/agendas`` (API.md §2): every agenda the caller is a member of, in any state.

Two requests per page, on purpose: one Query of gsi1 (``MEMBER_OF#<user>``, the membership items
the member services write, ordered by agenda id) for the page, then one BatchGetItem for those
agendas' items (≤ 100 keys: one call). Copying the agenda's fields onto every membership item
would make this one request, at the price of rewriting every member's copy on each agenda change.
"""

from __future__ import annotations

from collections.abc import Callable

from agenda_core.db import keys
from agenda_core.db.base import TableItem
from agenda_core.db.records import AgendaRecord, MembershipRecord
from agenda_core.db.transactions import storage_errors
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.my_agendas import MyAgendaPage, MyAgendaPublic
from agenda_core.services import agenda_partition, agendas, paging


def _agendas_by_id(agenda_ids: list[str]) -> dict[str, AgendaRecord]:
    if not agenda_ids:
        return {}
    wanted = [(keys.agenda_pk(agenda_id), keys.AGENDA_SK) for agenda_id in agenda_ids]
    return {item.id: item for item in TableItem.batch_get(wanted) if isinstance(item, AgendaRecord)}


def list_my_agendas(
    caller: Caller, *, per_page: int, cursor: str | None, base_url: str, page_url: Callable[[str], str]
) -> MyAgendaPage:
    """The caller's agendas, published or not, each with the caller's role, ordered by agenda id
    (creation order). Raises ``InvalidCursor``.

    The role comes from the agenda item's ``roles`` map, the one every permission check reads; a
    membership item whose agenda is gone (a delete still being swept) or that no longer matches
    the map is left out, so a page can hold fewer than ``per_page`` agendas and still have a next.
    """
    assert caller.user_id is not None
    # Bound to the user too: another user's cursor is a 400, not a start key in someone else's list.
    memberships = paging.index_page(
        MembershipRecord,
        keys.member_of_pk(caller.user_id),
        query={"route": "users.me.agendas", "user": caller.user_id},
        per_page=per_page,
        cursor=cursor,
        page_url=page_url,
    )
    with storage_errors():
        records = _agendas_by_id([membership.agenda_id for membership in memberships.records])
    page = []
    for membership in memberships.records:
        record = records.get(membership.agenda_id)
        role = agenda_partition.role_of(record, caller) if record is not None else None
        if record is None or role is None:
            continue
        # The agenda's own representation (services/agendas.py), plus the member's role.
        page.append(MyAgendaPublic(**agendas.agenda_fields(record, base_url), role=role))
    return MyAgendaPage(agendas=page, pagination=memberships.pagination)
