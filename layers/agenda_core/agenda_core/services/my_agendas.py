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
from agenda_core.db.cursors import decode_cursor, encode_cursor, query_fingerprint
from agenda_core.db.records import AgendaRecord, MembershipRecord
from agenda_core.db.transactions import storage_errors
from agenda_core.integrations.secrets import signing_key
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.common import Pagination
from agenda_core.schemas.my_agendas import MyAgendaPage, MyAgendaPublic
from agenda_core.services import agendas


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
    fingerprint = query_fingerprint(route="users.me.agendas", user=caller.user_id)
    start_key = decode_cursor(cursor, fingerprint, signing_key().derive("cursor")) if cursor else None
    with storage_errors():
        results = TableItem.gsi1.query(
            keys.member_of_pk(caller.user_id), limit=per_page, last_evaluated_key=start_key
        )
        memberships = [item for item in results if isinstance(item, MembershipRecord)]
        last_key = results.last_evaluated_key
        records = _agendas_by_id([membership.agenda_id for membership in memberships])
    page = []
    for membership in memberships:
        record = records.get(membership.agenda_id)
        role = agendas.role_of(record, caller) if record is not None else None
        if record is None or role is None:
            continue
        # The agenda's own representation (services/agendas.py), plus the member's role.
        page.append(MyAgendaPublic(**agendas.agenda_fields(record, base_url), role=role))
    next_url = None
    if last_key and len(memberships) == per_page:
        next_url = page_url(encode_cursor(last_key, fingerprint, signing_key().derive("cursor")))
    return MyAgendaPage(agendas=page, pagination=Pagination(next=next_url, per_page=per_page))
