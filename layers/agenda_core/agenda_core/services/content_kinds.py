"""The five kinds of agenda content (API.md §4), each described once: how a request becomes a
stored item, how an item becomes its public representation, how lists are ordered, what a kind
references and what it is referenced by. ``services/content.py`` runs every route on these.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agenda_core.content_names import CATEGORY, SESSION, SPEAKER, TRACK, VENUE, ContentName
from agenda_core.db.content_records import (
    CategoryRecord,
    ContentRecord,
    LinkMap,
    SessionRecord,
    SpeakerRecord,
    TrackRecord,
    VenueRecord,
)
from agenda_core.db.raw import decode_item
from agenda_core.db.records import AgendaRecord
from agenda_core.errors import FieldError
from agenda_core.schemas.common import PublicModel, RequestModel
from agenda_core.services.links import content_url, media_url
from agenda_core.services.schedule_time import local_iso, to_epoch
from agenda_core.settings import get_settings


@dataclass(frozen=True)
class View:
    """Who a representation is for: members see speakers' emails and sessions' conflicts."""

    base_url: str
    agenda_id: str
    zone: str
    member: bool
    # Session id -> its conflicts, JSON-ready (services/session_slots.py); members only.
    conflicts: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)


# (pointer, kind, id): an id the item references, which must exist in the same agenda.
Reference = tuple[str, str, str]


def _no_references(_fields: Mapping[str, Any]) -> list[Reference]:
    return []


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


@dataclass(frozen=True)
class Models:
    """A kind's contract (schemas/<plural>.py): the request bodies of POST, PUT and PATCH, the
    item's and the list page's representations."""

    create: type[RequestModel]
    replace: type[RequestModel]
    update: type[RequestModel]
    public: type[PublicModel]
    page: type[PublicModel]


def _models(names: ContentName) -> Models:
    """``SessionCreate``, ``SessionReplace``... from ``schemas/sessions.py``: one naming rule."""
    module = importlib.import_module(f"agenda_core.schemas.{names.plural}")
    singular = names.name.capitalize()
    return Models(
        *(getattr(module, f"{singular}{role}") for role in ("Create", "Replace", "Update", "Public", "Page"))
    )


@dataclass(frozen=True)
class ContentKind:
    names: ContentName  # name, plural, id prefix (content_names.py: declared once)
    record: type[ContentRecord]
    models: Models
    # Request fields (a model_dump, possibly partial) -> stored attributes.
    to_storage: Callable[[dict[str, Any]], dict[str, Any]]
    # Stored attributes as plain values (db/raw.py) -> the JSON-ready representation, empty
    # optional fields left out: the one mapping, used by the full-agenda read without pydantic.
    public_fields: Callable[[Mapping[str, Any], View], dict[str, Any]]
    sort_key: Callable[[Mapping[str, Any]], tuple[Any, ...]]  # on plain attribute values
    references: Callable[[Mapping[str, Any]], list[Reference]] = _no_references
    # For kinds sessions reference: does this session use the item? (deleting it is then a 409)
    used_by: Callable[[Mapping[str, Any], str], bool] | None = None
    # Rules across fields, on the stored attributes (sessions: end after start).
    check: Callable[[Mapping[str, Any]], list[FieldError]] = lambda _fields: []

    @property
    def name(self) -> str:
        return self.names.name

    @property
    def plural(self) -> str:
        return self.names.plural

    @property
    def public(self) -> type[PublicModel]:
        return self.models.public

    @property
    def page(self) -> type[PublicModel]:
        return self.models.page

    # Named after the plural (one convention, no second list to keep in step): the counter on the
    # agenda item (``sessions_count``) and the cap in settings (``max_sessions_per_agenda``).
    @property
    def count_name(self) -> str:
        return f"{self.plural}_count"

    @property
    def count_attribute(self) -> Any:
        return getattr(AgendaRecord, self.count_name)

    @property
    def cap(self) -> int:
        return int(getattr(get_settings(), f"max_{self.plural}_per_agenda"))

    def stored_fields(self, record: ContentRecord) -> dict[str, Any]:
        """The writable attributes of a stored item (what a merge patch merges into)."""
        values = record.attribute_values
        names = self.record.get_attributes().keys() - _BOOKKEEPING
        return {name: values[name] for name in names if name in values}


def values_of(record: ContentRecord) -> dict[str, Any]:
    """A record's attributes as the plain values ``public_fields`` reads."""
    return decode_item(record.serialize())


def change_state(record: ContentRecord) -> dict[str, Any]:
    """What the change log keeps of an item (db/commits.py): its attributes, without the table's
    bookkeeping."""
    return state_of(values_of(record))


def state_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """A stored item's plain values (db/raw.py) as ``change_state`` shows a record."""
    return {name: value for name, value in values.items() if name not in _TABLE_KEYS}


_TABLE_KEYS = frozenset({"pk", "sk", "type", "gsi1pk", "gsi1sk", "ttl"})
_BOOKKEEPING = frozenset(
    {"pk", "sk", "type", "gsi1pk", "gsi1sk", "ttl", "id", "revision", "created_at", "updated_at"}
)


def _common(item: Mapping[str, Any], view: View, plural: str) -> dict[str, Any]:
    # Timestamps are stored in their API form (RFC 3339, UTC, milliseconds): passed through.
    return {
        "id": item["id"],
        "url": content_url(view.base_url, view.agenda_id, plural, item["id"]),
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
    }


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    """API.md §1: optional fields that are null, "" or [] are left out."""
    return {name: value for name, value in fields.items() if not _is_empty(value)}


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    return dict(data)


def _by_position(item: Mapping[str, Any]) -> tuple[Any, ...]:
    # Items with a position first, by position; then by name; the id keeps the order total.
    position = item.get("position")
    return (position is None, position or 0, item["name"].casefold(), item["id"])


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


def _session_public(item: Mapping[str, Any], view: View) -> dict[str, Any]:
    return _present(
        {
            **_common(item, view, "sessions"),
            "title": item["title"],
            "description": item.get("description"),
            "start_at": local_iso(item["starts"], view.zone),
            "end_at": local_iso(item["ends"], view.zone),
            "kind": item["kind"],
            "plenary": bool(item.get("plenary")),
            "status": item["status"],
            "track_id": item.get("track_id"),
            "venue_id": item.get("venue_id"),
            "speaker_ids": item.get("speaker_ids"),
            "category_ids": item.get("category_ids"),
            "language": item.get("language"),
            "conflicts": view.conflicts.get(item["id"]) if view.member else None,
        }
    )


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
    names=SESSION,
    record=SessionRecord,
    models=_models(SESSION),
    to_storage=_session_storage,
    public_fields=_session_public,
    sort_key=lambda item: (item["starts"], item["ends"], item["id"]),
    references=_session_references,
    check=_session_check,
)


# --- speakers --------------------------------------------------------------------------------


def _speaker_storage(data: dict[str, Any]) -> dict[str, Any]:
    stored = dict(data)
    if stored.get("links"):
        stored["links"] = [LinkMap(title=link["title"], url=link["url"]) for link in stored["links"]]
    return stored


def _speaker_public(item: Mapping[str, Any], view: View) -> dict[str, Any]:
    return _present(
        {
            **_common(item, view, "speakers"),
            "name": item["name"],
            "bio": item.get("bio"),
            "organization": item.get("organization"),
            "job_title": item.get("job_title"),
            "photo": media_url(view.base_url, str(item["photo"])) if item.get("photo") else None,
            "links": [{"title": link["title"], "url": link["url"]} for link in item.get("links") or ()],
            "email": item.get("email") if view.member else None,
        }
    )


SPEAKERS = ContentKind(
    names=SPEAKER,
    record=SpeakerRecord,
    models=_models(SPEAKER),
    to_storage=_speaker_storage,
    public_fields=_speaker_public,
    sort_key=lambda item: (item["name"].casefold(), item["id"]),
    used_by=lambda session, item_id: item_id in (session.get("speaker_ids") or ()),
)


# --- tracks, venues, categories --------------------------------------------------------------


def _named_public(plural: str, extra: str) -> Callable[[Mapping[str, Any], View], dict[str, Any]]:
    """The representation of a track, venue or category: the shared fields plus ``extra``."""

    def public_fields(item: Mapping[str, Any], view: View) -> dict[str, Any]:
        return _present(
            {
                **_common(item, view, plural),
                "name": item["name"],
                "description": item.get("description"),
                "position": item.get("position"),
                extra: item.get(extra),
            }
        )

    return public_fields


def _named_kind(
    names: ContentName,
    record: type[ContentRecord],
    models: Models,
    extra: str,
    used_by: Callable[[Mapping[str, Any], str], bool],
) -> ContentKind:
    return ContentKind(
        names=names,
        record=record,
        models=models,
        to_storage=_copy,
        public_fields=_named_public(names.plural, extra),
        sort_key=_by_position,
        used_by=used_by,
    )


TRACKS = _named_kind(
    TRACK,
    TrackRecord,
    _models(TRACK),
    "color",
    used_by=lambda session, item_id: session.get("track_id") == item_id,
)
VENUES = _named_kind(
    VENUE,
    VenueRecord,
    _models(VENUE),
    "capacity",
    used_by=lambda session, item_id: session.get("venue_id") == item_id,
)
CATEGORIES = _named_kind(
    CATEGORY,
    CategoryRecord,
    _models(CATEGORY),
    "color",
    used_by=lambda session, item_id: item_id in (session.get("category_ids") or ()),
)

KINDS: dict[str, ContentKind] = {kind.name: kind for kind in (SESSIONS, SPEAKERS, TRACKS, VENUES, CATEGORIES)}


def without_empty(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Stored attributes minus empty optional ones (API.md §1: "" and [] mean absent)."""
    return {name: value for name, value in fields.items() if not _is_empty(value)}
