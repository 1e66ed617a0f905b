"""The five kinds of agenda content (API.md §4), each described once: how a request becomes a
stored item, how an item becomes its public representation, how lists are ordered, what a kind
references and what it is referenced by. ``services/content.py`` runs every route on these.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agenda_core.db.content_records import (
    CategoryRecord,
    ContentRecord,
    LinkMap,
    SessionRecord,
    SpeakerRecord,
    TrackRecord,
    VenueRecord,
)
from agenda_core.db.records import AgendaRecord
from agenda_core.errors import FieldError
from agenda_core.schemas.categories import CategoryPage, CategoryPublic
from agenda_core.schemas.common import PublicModel
from agenda_core.schemas.sessions import SessionConflict, SessionPage, SessionPublic
from agenda_core.schemas.speakers import SpeakerLinkPublic, SpeakerPage, SpeakerPublic
from agenda_core.schemas.tracks import TrackPage, TrackPublic
from agenda_core.schemas.venues import VenuePage, VenuePublic
from agenda_core.services.links import content_url
from agenda_core.services.schedule_time import local_iso, to_epoch
from agenda_core.settings import get_settings


@dataclass(frozen=True)
class View:
    """Who a representation is for: members see speakers' emails and sessions' conflicts."""

    base_url: str
    agenda_id: str
    zone: str
    member: bool
    conflicts: Mapping[str, list[SessionConflict]] = field(default_factory=dict)


# (pointer, kind, id): an id the item references, which must exist in the same agenda.
Reference = tuple[str, str, str]


def _no_references(_fields: Mapping[str, Any]) -> list[Reference]:
    return []


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


@dataclass(frozen=True)
class ContentKind:
    name: str  # "session": the id prefix's kind, the sort key's prefix, the discriminator
    plural: str  # "sessions": the path segment and the list's key
    record: type[ContentRecord]
    public: type[PublicModel]
    page: type[PublicModel]
    # Stored attributes a request may leave out (PUT clears them, PATCH's null clears them).
    optional: tuple[str, ...]
    count_attribute: Any  # the AgendaRecord counter that caps how many an agenda holds
    cap_setting: str
    # Request fields (a model_dump, possibly partial) -> stored attributes.
    to_storage: Callable[[dict[str, Any]], dict[str, Any]]
    public_fields: Callable[[Any, View], dict[str, Any]]
    sort_key: Callable[[Any], tuple[Any, ...]]
    references: Callable[[Mapping[str, Any]], list[Reference]] = _no_references
    # For kinds sessions reference: does this session use the item? (deleting it is then a 409)
    used_by: Callable[[SessionRecord, str], bool] | None = None
    # Rules across fields, on the stored attributes (sessions: end after start).
    check: Callable[[Mapping[str, Any]], list[FieldError]] = lambda _fields: []

    @property
    def cap(self) -> int:
        return int(getattr(get_settings(), self.cap_setting))

    def represent(self, record: Any, view: View) -> PublicModel:
        return self.public(**self.public_fields(record, view))

    def stored_fields(self, record: ContentRecord) -> dict[str, Any]:
        """The writable attributes of a stored item (what a merge patch merges into)."""
        values = record.attribute_values
        names = self.record.get_attributes().keys() - _BOOKKEEPING
        return {name: values[name] for name in names if name in values}


_BOOKKEEPING = frozenset(
    {"pk", "sk", "type", "gsi1pk", "gsi1sk", "ttl", "id", "revision", "created_at", "updated_at"}
)


def _common(record: ContentRecord, view: View, plural: str) -> dict[str, Any]:
    return {
        "id": record.id,
        "url": content_url(view.base_url, view.agenda_id, plural, record.id),
        "created_at": datetime.fromisoformat(record.created_at),
        "updated_at": datetime.fromisoformat(record.updated_at),
    }


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data)


def _by_position(record: Any) -> tuple[Any, ...]:
    # Items with a position first, by position; then by name; the id keeps the order total.
    position = record.position
    return (position is None, int(position) if position is not None else 0, record.name.casefold(), record.id)


# --- sessions --------------------------------------------------------------------------------


def _session_storage(data: dict[str, Any]) -> dict[str, Any]:
    stored = dict(data)
    if "start_at" in stored:
        start = stored.pop("start_at")
        stored["starts"] = to_epoch(start) if start is not None else None
    if "end_at" in stored:
        end = stored.pop("end_at")
        stored["ends"] = to_epoch(end) if end is not None else None
    return stored


def _session_public(record: SessionRecord, view: View) -> dict[str, Any]:
    return {
        **_common(record, view, "sessions"),
        "title": record.title,
        "description": record.description,
        "start_at": local_iso(int(record.starts), view.zone),
        "end_at": local_iso(int(record.ends), view.zone),
        "kind": record.kind,
        "plenary": bool(record.plenary),
        "status": record.status,
        "track_id": record.track_id,
        "venue_id": record.venue_id,
        "speaker_ids": list(record.speaker_ids or ()),
        "category_ids": list(record.category_ids or ()),
        "language": record.language,
        "conflicts": view.conflicts.get(record.id, []) if view.member else [],
    }


def _session_references(fields: Mapping[str, Any]) -> list[Reference]:
    references: list[Reference] = []
    if fields.get("track_id"):
        references.append(("/track_id", "track", fields["track_id"]))
    if fields.get("venue_id"):
        references.append(("/venue_id", "venue", fields["venue_id"]))
    for index, speaker_id in enumerate(fields.get("speaker_ids") or ()):
        references.append((f"/speaker_ids/{index}", "speaker", speaker_id))
    for index, category_id in enumerate(fields.get("category_ids") or ()):
        references.append((f"/category_ids/{index}", "category", category_id))
    return references


def _session_check(fields: Mapping[str, Any]) -> list[FieldError]:
    if fields["ends"] <= fields["starts"]:
        return [FieldError("/end_at", "end_not_after_start", "/end_at: must be after start_at.")]
    return []


SESSIONS = ContentKind(
    name="session",
    plural="sessions",
    record=SessionRecord,
    public=SessionPublic,
    page=SessionPage,
    optional=("description", "track_id", "venue_id", "speaker_ids", "category_ids", "language"),
    count_attribute=AgendaRecord.sessions_count,
    cap_setting="max_sessions_per_agenda",
    to_storage=_session_storage,
    public_fields=_session_public,
    sort_key=lambda record: (int(record.starts), int(record.ends), record.id),
    references=_session_references,
    check=_session_check,
)


# --- speakers --------------------------------------------------------------------------------


def _speaker_storage(data: dict[str, Any]) -> dict[str, Any]:
    stored = dict(data)
    if stored.get("links"):
        stored["links"] = [LinkMap(title=link["title"], url=link["url"]) for link in stored["links"]]
    return stored


def _speaker_public(record: SpeakerRecord, view: View) -> dict[str, Any]:
    return {
        **_common(record, view, "speakers"),
        "name": record.name,
        "bio": record.bio,
        "organization": record.organization,
        "job_title": record.job_title,
        "photo": record.photo,
        "links": [SpeakerLinkPublic(title=link.title, url=link.url) for link in record.links or ()],
        "email": record.email if view.member else None,
    }


SPEAKERS = ContentKind(
    name="speaker",
    plural="speakers",
    record=SpeakerRecord,
    public=SpeakerPublic,
    page=SpeakerPage,
    optional=("bio", "organization", "job_title", "photo", "links", "email"),
    count_attribute=AgendaRecord.speakers_count,
    cap_setting="max_speakers_per_agenda",
    to_storage=_speaker_storage,
    public_fields=_speaker_public,
    sort_key=lambda record: (record.name.casefold(), record.id),
    used_by=lambda session, item_id: item_id in (session.speaker_ids or ()),
)


# --- tracks, venues, categories --------------------------------------------------------------


def _track_public(record: TrackRecord, view: View) -> dict[str, Any]:
    return {
        **_common(record, view, "tracks"),
        "name": record.name,
        "description": record.description,
        "color": record.color,
        "position": int(record.position) if record.position is not None else None,
    }


def _venue_public(record: VenueRecord, view: View) -> dict[str, Any]:
    return {
        **_common(record, view, "venues"),
        "name": record.name,
        "description": record.description,
        "capacity": int(record.capacity) if record.capacity is not None else None,
        "position": int(record.position) if record.position is not None else None,
    }


def _category_public(record: CategoryRecord, view: View) -> dict[str, Any]:
    return {
        **_common(record, view, "categories"),
        "name": record.name,
        "description": record.description,
        "color": record.color,
        "position": int(record.position) if record.position is not None else None,
    }


TRACKS = ContentKind(
    name="track",
    plural="tracks",
    record=TrackRecord,
    public=TrackPublic,
    page=TrackPage,
    optional=("description", "color", "position"),
    count_attribute=AgendaRecord.tracks_count,
    cap_setting="max_tracks_per_agenda",
    to_storage=_copy,
    public_fields=_track_public,
    sort_key=_by_position,
    used_by=lambda session, item_id: session.track_id == item_id,
)

VENUES = ContentKind(
    name="venue",
    plural="venues",
    record=VenueRecord,
    public=VenuePublic,
    page=VenuePage,
    optional=("description", "capacity", "position"),
    count_attribute=AgendaRecord.venues_count,
    cap_setting="max_venues_per_agenda",
    to_storage=_copy,
    public_fields=_venue_public,
    sort_key=_by_position,
    used_by=lambda session, item_id: session.venue_id == item_id,
)

CATEGORIES = ContentKind(
    name="category",
    plural="categories",
    record=CategoryRecord,
    public=CategoryPublic,
    page=CategoryPage,
    optional=("description", "color", "position"),
    count_attribute=AgendaRecord.categories_count,
    cap_setting="max_categories_per_agenda",
    to_storage=_copy,
    public_fields=_category_public,
    sort_key=_by_position,
    used_by=lambda session, item_id: item_id in (session.category_ids or ()),
)

KINDS: dict[str, ContentKind] = {kind.name: kind for kind in (SESSIONS, SPEAKERS, TRACKS, VENUES, CATEGORIES)}


def without_empty(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Stored attributes minus empty optional ones (API.md §1: "" and [] mean absent)."""
    return {name: value for name, value in fields.items() if not _is_empty(value)}
