"""The full agenda (API.md §3 and §5): the agenda with every session, speaker, track, venue and
category in one response, from one Query of its partition, and its revalidation from one small
read. The body carries ``changes_cursor``: where the change feed (services/changes.py) goes on
from this read.
"""

from __future__ import annotations

from typing import Any

from agenda_core.db.records import AgendaRecord
from agenda_core.errors import NotFound
from agenda_core.schemas.auth import Caller
from agenda_core.services import changes
from agenda_core.services.agenda_partition import (
    Representation,
    agenda_etag,
    audience,
    is_visible,
    load_agenda,
    load_partition,
    role_of,
)
from agenda_core.services.agendas import agenda_json_fields
from agenda_core.services.content_kinds import KINDS, View
from agenda_core.services.session_slots import schedule_conflicts, session_conflicts


def full_body(
    record: AgendaRecord, items: list[dict[str, Any]], *, member: bool, base_url: str
) -> dict[str, Any]:
    """The agenda with every session, speaker, track, venue and category, JSON-ready (the shape of
    ``AgendaFull``, built without pydantic: this is the hot read); members also get the schedule's
    conflicts, on each session and as one list."""
    by_kind: dict[str, list[dict[str, Any]]] = {name: [] for name in KINDS}
    for item in items:
        if (bucket := by_kind.get(item["type"])) is not None:
            bucket.append(item)
    sessions = by_kind["session"]
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
    body["changes_cursor"] = changes.cursor_at(record)
    return body


def read_full_agenda(caller: Caller, id_or_slug: str, base_url: str) -> Representation[dict[str, Any]]:
    """The whole agenda in one response, from one Query of its partition. Raises ``NotFound``
    (also when not visible to the caller)."""
    record, items = load_partition(id_or_slug, consistent=not caller.is_anonymous)
    if not is_visible(record, caller):
        raise NotFound("No agenda with this id or slug.")
    member = role_of(record, caller) is not None
    body = full_body(record, items, member=member, base_url=base_url)
    return Representation(
        body=body,
        etag=agenda_etag(record, caller, "full", base_url),
        public=not member,
        headers={"Changes-Cursor": body["changes_cursor"]},
    )


def full_agenda_etag(caller: Caller, id_or_slug: str, base_url: str) -> tuple[str, bool]:
    """The current ETag of the full agenda from one small read (for ``If-None-Match``), and
    whether it is the public representation. Raises ``NotFound``."""
    record = load_agenda(id_or_slug, consistent=not caller.is_anonymous)
    if not is_visible(record, caller):
        raise NotFound("No agenda with this id or slug.")
    return agenda_etag(record, caller, "full", base_url), audience(record, caller) == "public"
