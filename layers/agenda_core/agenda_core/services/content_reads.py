"""Reading agenda content (API.md §4): one item, a page of a kind, their revalidation, and the
item a write answers with (the representation a GET would give).

Reads follow the agenda's visibility. Request budget (docs/design.md "Agenda content"):
- GET an item: one BatchGetItem (the agenda and the item); a session read by a signed-in caller
  is one Query of the agenda's sessions instead, since a member sees its conflicts, which depend
  on the others.
- GET a list: one Query of the agenda's partition, filtered to the agenda and that kind.
- With ``If-None-Match`` (API.md §5: one small read, never a Query): an item is one BatchGetItem
  of the agenda and the item, a list one GetItem of the agenda; only a miss reads the rest.
- A write's answer: no read, except one Query of the agenda's sessions for a session that can
  conflict (its conflicts depend on the others).

ETags. An item's is ``"<revision>.<variant>"`` (``If-Match`` on its writes compares the revision);
a member's view of a session shows its conflicts, which change only when some session changes,
and every such write bumps the agenda's ``version`` (db/commits.py): that variant names the
agenda's version instead of the conflicts, so the agenda item and the item decide it. A list's
tag is the agenda's version with the kind, audience, base URL and query.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from agenda_core.db import keys
from agenda_core.db.content_records import ContentRecord
from agenda_core.db.cursors import decode_cursor, encode_cursor, query_fingerprint
from agenda_core.db.records import AgendaRecord
from agenda_core.errors import NotFound, ServiceUnavailable
from agenda_core.etags import if_none_match_hit, make_etag
from agenda_core.observability import logger
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.common import Pagination, PublicModel
from agenda_core.services.agenda_partition import (
    Representation,
    agenda_etag,
    is_visible,
    load_agenda,
    load_partition,
    load_with_items,
    role_of,
)
from agenda_core.services.content_diagnosis import not_found
from agenda_core.services.content_kinds import SESSIONS, ContentKind, View, values_of
from agenda_core.services.cursor_keys import LIST_PAGES, cursor_key
from agenda_core.services.schedule_time import local_day
from agenda_core.services.session_slots import may_conflict, session_conflicts


@dataclass(frozen=True)
class NotModified:
    """The client holds the current representation (a 304): its ETag, and whether it is public."""

    etag: str
    public: bool


# --- representations ---------------------------------------------------------------------------


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


def _item_etag(kind: ContentKind, item: Mapping[str, Any], view: View, agenda_version: int) -> str:
    """The item's ETag for ``view``, at the agenda's ``agenda_version``."""
    audience = "member" if view.member else "public"
    # A member's session shows its conflicts: they change only with a write of some session,
    # which bumps the agenda's version, so the version stands for them (see the module's note).
    depends_on = f"agenda {agenda_version}" if view.member and kind is SESSIONS else ""
    # Only a session's times depend on the zone; writes of other kinds do not know it, and their
    # ETag must be the one a GET answers with.
    zone = view.zone if kind is SESSIONS else ""
    return make_etag(int(item["revision"]), kind.name, audience, view.base_url, zone, depends_on)


def _representation(
    kind: ContentKind, item: Mapping[str, Any], view: View, agenda: AgendaRecord
) -> Representation[PublicModel]:
    """The item as ``view`` shows it, ``agenda`` being the agenda item it was read (or written) with."""
    return Representation(
        body=kind.public(**kind.public_fields(item, view)),
        etag=_item_etag(kind, item, view, int(agenda.version)),
        public=not view.member and bool(agenda.published),
    )


def _require_visible(agenda: AgendaRecord, caller: Caller) -> None:
    if not is_visible(agenda, caller):
        raise NotFound("No agenda with this id or slug.")


# --- one item ------------------------------------------------------------------------------------


def get_item(
    kind: ContentKind,
    caller: Caller,
    id_or_slug: str,
    item_id: str,
    base_url: str,
    *,
    if_none_match: str | None = None,
) -> Representation[PublicModel] | NotModified:
    """One item, as the caller may see it, or ``NotModified`` when ``if_none_match`` holds its
    current ETag (decided by one BatchGetItem, even for a member's session). Raises ``NotFound``
    (also when the agenda is not visible to the caller)."""
    signed_in_session = kind is SESSIONS and not caller.is_anonymous
    if signed_in_session and not if_none_match:
        return _session_with_conflicts(caller, id_or_slug, item_id, base_url)
    agenda, found = load_with_items(
        id_or_slug, [keys.content_sk(kind.name, item_id)], consistent=not caller.is_anonymous
    )
    _require_visible(agenda, caller)
    record = next((r for r in found if isinstance(r, kind.record)), None)
    if record is None:
        raise not_found(kind)
    item, view = values_of(record), _view(agenda, caller, base_url)
    etag = _item_etag(kind, item, view, int(agenda.version))
    if if_none_match_hit(if_none_match, etag):
        return NotModified(etag, public=not view.member and bool(agenda.published))
    if signed_in_session and view.member:
        return _session_with_conflicts(caller, id_or_slug, item_id, base_url)
    return _representation(kind, item, view, agenda)


def _session_with_conflicts(
    caller: Caller, id_or_slug: str, item_id: str, base_url: str
) -> Representation[PublicModel]:
    """A session with its conflicts (members only), from one Query of the agenda's sessions."""
    agenda, sessions = load_partition(id_or_slug, consistent=True, kinds=("session",))
    _require_visible(agenda, caller)
    item = next((s for s in sessions if s["id"] == item_id), None)
    if item is None:
        raise not_found(SESSIONS)
    return _representation(SESSIONS, item, _view(agenda, caller, base_url, sessions), agenda)


# --- what a write answers ----------------------------------------------------------------------


def written(
    kind: ContentKind, record: ContentRecord, committed: AgendaRecord, base_url: str
) -> Representation[PublicModel]:
    """What a write answers: the writer's (a member's) view of the item, the body and ETag a GET by
    them would give. A session shows the conflicts the write leaves: they depend on the other
    sessions, read in one consistent Query after the commit, unless the session cannot conflict
    (cancelled, or in no venue, not plenary and without speakers): then it has none, and
    ``committed`` is all the answer needs. Raises ``NotFound`` (the agenda was deleted since)."""
    item = values_of(record)
    agenda, sessions, complete = committed, [item], True
    if kind is SESSIONS and may_conflict(item):
        try:
            agenda, stored = load_partition(committed.id, consistent=True, kinds=("session",))
        except ServiceUnavailable:
            # The write is committed; only the Query that shows its conflicts is throttled or
            # down. A 503 now would send the client to write again (a second session, for a
            # POST): the write is answered without its conflicts, and without an ETag, as the
            # body is not what a GET gives (docs/design.md "Faults"; found by tests/faults).
            logger.warning("a session write answered without its conflicts", extra={"id": record.id})
            complete = False
        else:
            # The answer is of the version this Query read (a write in between shows as a GET
            # would show it), with this write's item as written: its revision makes the ETag its own.
            sessions = [*(s for s in stored if s["id"] != record.id), item]
    view = View(
        base_url=base_url,
        agenda_id=agenda.id,
        zone=agenda.timezone,
        member=True,
        conflicts=session_conflicts(sessions) if kind is SESSIONS and complete else {},
    )
    answer = _representation(kind, item, view, agenda)
    return answer if complete else Representation(answer.body, "", answer.public)


def made_before(kind: ContentKind, agenda_id: str, item_id: str) -> tuple[ContentRecord, AgendaRecord]:
    """The item an earlier attempt of a keyed create made (db/create_claims.py) and the agenda, as
    ``written`` takes them: the retry answers as the first attempt would have (one BatchGetItem).
    Raises ``NotFound`` when the item was deleted since."""
    agenda, found = load_with_items(agenda_id, [keys.content_sk(kind.name, item_id)], consistent=True)
    record = next((item for item in found if isinstance(item, kind.record)), None)
    if record is None:
        raise NotFound(f"The {kind.name} this Idempotency-Key created was deleted since.")
    return record, agenda


# --- lists ---------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class ListQuery:
    """What a list request asks for, beside the agenda: the page and the filters."""

    kind: ContentKind
    per_page: int
    cursor: str | None = None
    filters: SessionFilters | None = None

    def fingerprint(self, agenda: AgendaRecord) -> str:
        """What a cursor is bound to: this list of this agenda with these filters."""
        filters = self.filters.as_query() if self.filters else {}
        return query_fingerprint(route=self.kind.plural, agenda=agenda.id, **filters)

    def after(self, agenda: AgendaRecord) -> tuple[Any, ...] | None:
        """The sort key the page starts after (None: the first page). Raises ``InvalidCursor``."""
        if not self.cursor:
            return None
        key = cursor_key(agenda, LIST_PAGES)
        return tuple(decode_cursor(self.cursor, self.fingerprint(agenda), key)["after"])

    def etag(self, agenda: AgendaRecord, caller: Caller, base_url: str) -> str:
        """A page changes only with the agenda's version (every write under it bumps it), so the
        tag is that version with the audience, base URL and query."""
        kind = self.kind
        query: dict[str, Any] = {"per_page": self.per_page, "cursor": self.cursor}
        query.update(self.filters.as_query() if self.filters else {})
        # A next link's cursor is signed with the agenda's own key (services/cursor_keys.py),
        # which never changes: the version decides the link as it decides the items.
        canonical = json.dumps(query, sort_keys=True, separators=(",", ":"), default=str)
        return agenda_etag(agenda, caller, f"list:{kind.plural}", base_url, agenda.id, canonical)


def list_items(
    caller: Caller,
    id_or_slug: str,
    query: ListQuery,
    *,
    base_url: str,
    page_url: Callable[[str], str],
    if_none_match: str | None = None,
) -> Representation[PublicModel] | NotModified:
    """A page of the agenda's items of one kind, in the kind's order (sessions by start), or
    ``NotModified`` when ``if_none_match`` holds its current ETag (one GetItem of the agenda
    decides). One Query of the partition filtered to the agenda and this kind; the page is cut in
    memory, so the order is exact and a cursor is simply "after this sort key". Raises
    ``NotFound``, ``InvalidCursor``."""
    kind = query.kind
    if if_none_match:
        head = load_agenda(id_or_slug, consistent=not caller.is_anonymous)
        _require_visible(head, caller)
        query.after(head)  # a bad cursor is the same 400 as on a full read
        etag = query.etag(head, caller, base_url)
        if if_none_match_hit(if_none_match, etag):
            return NotModified(etag, public=_public(head, caller))
    agenda, items = load_partition(id_or_slug, consistent=not caller.is_anonymous, kinds=(kind.name,))
    _require_visible(agenda, caller)
    after = query.after(agenda)
    view = _view(agenda, caller, base_url, items if kind is SESSIONS else ())
    filters = query.filters
    records = [item for item in items if filters is None or filters.keep(item, agenda.timezone)]
    ordered = sorted(records, key=kind.sort_key)
    if after is not None:
        ordered = [r for r in ordered if _comparable(kind.sort_key(r)) > _comparable(after)]
    page = ordered[: query.per_page]
    next_url = None
    if len(ordered) > query.per_page:
        last = list(_comparable(kind.sort_key(page[-1])))
        next_url = page_url(
            encode_cursor({"after": last}, query.fingerprint(agenda), cursor_key(agenda, LIST_PAGES))
        )
    body = kind.page(
        **{
            kind.plural: [kind.public(**kind.public_fields(item, view)) for item in page],
            "pagination": Pagination(next=next_url, per_page=query.per_page),
        }
    )
    return Representation(
        body=body, etag=query.etag(agenda, caller, base_url), public=_public(agenda, caller)
    )


def _public(agenda: AgendaRecord, caller: Caller) -> bool:
    """Cacheable by anyone: the public's view of a published agenda."""
    return role_of(agenda, caller) is None and bool(agenda.published)


def _comparable(sort_key: Iterable[Any]) -> tuple[Any, ...]:
    # Sort keys travel in cursors as JSON: bools and ints stay, tuples become lists.
    return tuple(int(part) if isinstance(part, bool) else part for part in sort_key)
