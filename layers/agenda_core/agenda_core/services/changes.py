"""The change feed (API.md §5): what changed in an agenda since a cursor, in commit order.

It reads the change log the commit seam writes (db/commits.py): record N exists exactly when
version N committed, so a page is the records ``since + 1, since + 2, ...`` present in one
BatchGetItem together with the agenda item (which the visibility check needs anyway). No Query,
no scan; a page holds at most ``settings.changes_page_max`` changes (BatchGetItem takes 100 keys).

A cursor is ``(agenda, version, when that version committed)``, HMAC-signed and bound to the
agenda (db/cursors.py): another agenda's, a tampered or a malformed one is a 400
``invalid_cursor``. It expires (410 ``cursor_expired``) only when what follows it may be gone:
record ``since + 1`` is absent (or past its TTL, which readers check themselves, since DynamoDB
deletes late) although the agenda moved on, and the cursor's version committed longer ago than
the log's retention. An absent record with a younger cursor can only be an eventually consistent
read that has not caught up: the page stops before it and the client asks again.

Objects are shown as the caller may see them: anonymous callers the public shapes of a published
agenda, members everything they may read. A session's ``conflicts`` are left out: they are
derived from all sessions, so one change can alter other sessions' conflicts without being their
change (the full read and a session's GET show them). The agenda's own object is its current
state (the record this read fetched); a content object is its state as of its change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from agenda_core.db import keys
from agenda_core.db.base import TableItem
from agenda_core.db.commits import DELETED
from agenda_core.db.cursors import SealedCursor, encode_cursor, query_fingerprint, read_cursor
from agenda_core.db.raw import decode_item
from agenda_core.db.records import AgendaRecord
from agenda_core.db.transactions import storage_errors
from agenda_core.errors import CursorExpired, InvalidCursor, NotFound
from agenda_core.schemas.auth import Caller
from agenda_core.services.agenda_partition import (
    Representation,
    agenda_etag,
    agenda_id_of,
    forget_slug,
    is_visible,
    load_agenda,
    remember,
    role_of,
)
from agenda_core.services.agendas import agenda_json_fields
from agenda_core.services.content_kinds import KINDS, View
from agenda_core.services.cursor_keys import CHANGES, cursor_key
from agenda_core.settings import get_settings


def _now() -> float:
    return time.time()


# --- cursors -----------------------------------------------------------------------------------


def _fingerprint(agenda_id: str) -> str:
    return query_fingerprint(route="changes", agenda=agenda_id)


def _epoch(moment: str | None) -> int:
    return int(datetime.fromisoformat(moment).timestamp()) if moment else 0


def encode_change_cursor(agenda: AgendaRecord, version: int, committed_at: str | None) -> str:
    state = {"v": version, "t": _epoch(committed_at)}
    return encode_cursor(state, _fingerprint(agenda.id), cursor_key(agenda, CHANGES))


def cursor_at(record: AgendaRecord) -> str:
    """The cursor for "everything up to this read of the agenda"."""
    return encode_change_cursor(record, int(record.version), record.changed_at or record.updated_at)


def _read(cursor: str, agenda_id: str) -> tuple[SealedCursor, int, int]:
    """The cursor, and the version and commit time it claims: enough to fetch the changes after
    it with the agenda item in one request. Its signature is checked against the agenda's key
    (services/cursor_keys.py) once that item is here, before anything fetched is used."""
    sealed = read_cursor(cursor, _fingerprint(agenda_id))
    version, committed = sealed.claimed.get("v"), sealed.claimed.get("t")
    if type(version) is not int or type(committed) is not int or version < 1:
        raise InvalidCursor()
    return sealed, version, committed


# --- the feed ----------------------------------------------------------------------------------


def _fetch(
    agenda_id: str, since: int, count: int, consistent: bool
) -> tuple[AgendaRecord | None, dict[int, dict[str, Any]]]:
    """One BatchGetItem: the agenda item and change records ``since + 1 .. since + count``."""
    wanted: list[Any] = [_key_of(keys.agenda_pk(agenda_id), keys.AGENDA_SK)]
    wanted += [_key_of(keys.changes_pk(agenda_id), keys.change_sk(since + n)) for n in range(1, count + 1)]
    table = TableItem._get_connection()
    agenda: AgendaRecord | None = None
    found: dict[int, dict[str, Any]] = {}
    with storage_errors():
        pending = wanted
        while pending:
            answer = table.batch_get_item(pending, consistent_read=consistent)
            for item in answer.get("Responses", {}).get(table.table_name, ()):
                if item["sk"]["S"] == keys.AGENDA_SK:
                    agenda = AgendaRecord.from_raw_data(item)
                else:
                    change = decode_item(item)
                    found[int(change["version"])] = change
            pending = answer.get("UnprocessedKeys", {}).get(table.table_name, {}).get("Keys", [])
    return agenda, found


def _key_of(pk: str, sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _entry(change: dict[str, Any], agenda: AgendaRecord, view: View, base_url: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": change["kind"], "id": change["item_id"], "action": change["action"]}
    if change["action"] != DELETED:
        if change["kind"] == "agenda":
            entry["object"] = agenda_json_fields(agenda, base_url)
        else:
            entry["object"] = KINDS[change["kind"]].public_fields(change["state"], view)
    entry["version"] = int(change["version"])
    return entry


def read_changes(
    caller: Caller,
    id_or_slug: str,
    since: str | None,
    *,
    per_page: int,
    base_url: str,
    page_url: Callable[[str], str],
) -> Representation[dict[str, Any]]:
    """A page of the agenda's changes after ``since`` (without one: none, and the cursor for
    now). Raises ``NotFound``, ``InvalidCursor``, ``CursorExpired``."""
    consistent = not caller.is_anonymous  # members read their own writes
    if since is None:
        agenda = load_agenda(id_or_slug, consistent=consistent)
        return _page(caller, agenda, [], None, cursor_at(agenda), per_page, None, base_url)
    count = min(per_page, get_settings().changes_page_max)
    fetched: AgendaRecord | None = None  # an unknown slug never reaches the read
    for _attempt in range(2):
        agenda_id = agenda_id_of(id_or_slug)
        if agenda_id is None:
            break
        sealed, version, committed = _read(since, agenda_id)
        fetched, found = _fetch(agenda_id, version, count, consistent)
        if fetched is not None and (id_or_slug == agenda_id or fetched.slug == id_or_slug):
            break
        fetched = None
        if id_or_slug == agenda_id:
            break
        forget_slug(id_or_slug)  # renamed or deleted since this container learnt it: look again
    if fetched is None:
        raise NotFound("No agenda with this id or slug.")
    agenda = remember(fetched)
    if not is_visible(agenda, caller):
        raise NotFound("No agenda with this id or slug.")
    sealed.opened(cursor_key(agenda, CHANGES))  # a forged position answers nothing: 400
    now = _now()
    taken: list[dict[str, Any]] = []
    for n in range(version + 1, version + count + 1):
        change = found.get(n)
        if change is None or int(change.get("ttl") or now + 1) <= now:
            break
        taken.append(change)
    if not taken and int(agenda.version) > version:
        retention = get_settings().change_retention_days * 86400
        if committed + retention <= now:
            raise CursorExpired()
    if taken:
        last = taken[-1]
        cursor = encode_change_cursor(agenda, int(last["version"]), last["at"])
    else:
        cursor = since
    more = len(taken) == count and int(taken[-1]["version"]) < int(agenda.version)
    return _page(
        caller, agenda, taken, version, cursor, per_page, page_url(cursor) if more else None, base_url
    )


def _page(
    caller: Caller,
    agenda: AgendaRecord,
    taken: list[dict[str, Any]],
    since_version: int | None,
    cursor: str,
    per_page: int,
    next_url: str | None,
    base_url: str,
) -> Representation[dict[str, Any]]:
    if not is_visible(agenda, caller):
        raise NotFound("No agenda with this id or slug.")
    member = role_of(agenda, caller) is not None
    view = View(base_url=base_url, agenda_id=agenda.id, zone=agenda.timezone, member=member)
    body = {
        "changes": [_entry(change, agenda, view, base_url) for change in taken],
        "cursor": cursor,
        "pagination": {"next": next_url, "per_page": per_page},
    }
    return Representation(
        body=body,
        etag=changes_etag_of(agenda, caller, base_url, since_version, per_page),
        public=not member,
    )


def changes_etag_of(
    agenda: AgendaRecord, caller: Caller, base_url: str, since: int | None, per_page: int
) -> str:
    """A page of the feed changes only when the agenda's version does (the log is append-only)."""
    return agenda_etag(agenda, caller, "changes", base_url, str(since), str(per_page))


def changes_etag(
    caller: Caller, id_or_slug: str, since: str | None, per_page: int, base_url: str
) -> tuple[str, bool]:
    """The feed page's current ETag from one small read (for ``If-None-Match``). Raises
    ``NotFound``, ``InvalidCursor``."""
    agenda = load_agenda(id_or_slug, consistent=not caller.is_anonymous)
    if not is_visible(agenda, caller):
        raise NotFound("No agenda with this id or slug.")
    version = None
    if since is not None:
        sealed, version, _ = _read(since, agenda.id)
        sealed.opened(cursor_key(agenda, CHANGES))
    member = role_of(agenda, caller) is not None
    return changes_etag_of(agenda, caller, base_url, version, per_page), not member
