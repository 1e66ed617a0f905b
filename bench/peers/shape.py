"""The full agenda as plain data, from a partition's items: the mapping every peer shares.

What our API answers an anonymous reader (API.md §3: the agenda's fields plus every session,
speaker, track, venue and category, in the same order, session times in the agenda's zone,
speakers without their email), computed the way a hand-written handler would. The three peers
share it so that they differ only in what is compared (framework, data access, validation), not
in the mapping. Standard library only: the Chalice peer imports no pydantic, and nothing here may
add to a peer's cold start what that peer would not import anyway.

Items come as plain attribute values: numbers may be ``Decimal`` (boto3's resource) or int
(pynamodb), hence the ``int()`` calls. Empty optional fields are ``None`` here; each peer leaves
them out or not as its framework does (the answers need not be byte-identical to ours).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

AGENDA_SK = "#AGENDA"
PLURALS = {
    "session": "sessions",
    "speaker": "speakers",
    "track": "tracks",
    "venue": "venues",
    "category": "categories",
}


def partition_key(agenda_id: str) -> str:
    return f"AGENDA#{agenda_id}"


def base_url(event: Mapping[str, Any]) -> str:
    """The origin our ``url`` fields start with: PUBLIC_BASE_URL, else the request's host (and the
    stage on an execute-api host), as ours does."""
    configured = os.environ.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    context = event.get("requestContext") or {}
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    domain = str(context.get("domainName") or headers.get("host") or "localhost")
    proto = headers.get("x-forwarded-proto") or (
        "http" if domain.startswith(("127.", "localhost", "[::1]")) else "https"
    )
    if ".execute-api." in domain and context.get("stage"):
        return f"{proto}://{domain}/{context['stage']}"
    return f"{proto}://{domain}"


def _number(value: Any) -> int | None:
    return None if value is None else int(value)


def _local(epoch: Any, zone: str) -> str:
    return datetime.fromtimestamp(int(epoch), ZoneInfo(zone)).isoformat(timespec="seconds")


def _common(item: Mapping[str, Any], root: str, plural: str) -> dict[str, Any]:
    return {
        "id": item["id"],
        "url": f"{root}/{plural}/{item['id']}",
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
    }


def _session(item: Mapping[str, Any], root: str, zone: str) -> dict[str, Any]:
    return {
        **_common(item, root, "sessions"),
        "title": item["title"],
        "description": item.get("description"),
        "start_at": _local(item["starts"], zone),
        "end_at": _local(item["ends"], zone),
        "kind": item["kind"],
        "plenary": bool(item.get("plenary")),
        "status": item["status"],
        "track_id": item.get("track_id"),
        "venue_id": item.get("venue_id"),
        "speaker_ids": list(item["speaker_ids"]) if item.get("speaker_ids") else None,
        "category_ids": list(item["category_ids"]) if item.get("category_ids") else None,
        "language": item.get("language"),
    }


def _speaker(item: Mapping[str, Any], root: str, _zone: str) -> dict[str, Any]:
    links = item.get("links")
    return {
        **_common(item, root, "speakers"),
        "name": item["name"],
        "bio": item.get("bio"),
        "organization": item.get("organization"),
        "job_title": item.get("job_title"),
        "photo": item.get("photo"),
        # pynamodb's MapAttribute answers item access like a dict, so this takes either.
        "links": [{"title": link["title"], "url": link["url"]} for link in links] if links else None,
    }


def _named(plural: str, extra: str) -> Any:
    def fields(item: Mapping[str, Any], root: str, _zone: str) -> dict[str, Any]:
        value = item.get(extra)
        return {
            **_common(item, root, plural),
            "name": item["name"],
            "description": item.get("description"),
            "position": _number(item.get("position")),
            extra: _number(value) if extra == "capacity" else value,
        }

    return fields


def _by_position(item: Mapping[str, Any]) -> tuple[Any, ...]:
    position = item.get("position")
    return (position is None, position or 0, item["name"].casefold(), item["id"])


# plural -> (item -> representation, sort key): the orders API.md documents.
_KINDS: dict[str, tuple[Any, Any]] = {
    "sessions": (_session, lambda item: (item["starts"], item["ends"], item["id"])),
    "speakers": (_speaker, lambda item: (item["name"].casefold(), item["id"])),
    "tracks": (_named("tracks", "color"), _by_position),
    "venues": (_named("venues", "capacity"), _by_position),
    "categories": (_named("categories", "color"), _by_position),
}


def is_public_agenda(item: Mapping[str, Any] | None) -> bool:
    return item is not None and bool(item.get("published"))


def full_agenda(agenda: Mapping[str, Any], items: Iterable[Mapping[str, Any]], base: str) -> dict[str, Any]:
    """The anonymous full read: ``agenda`` is the agenda item's attributes, ``items`` the rest of
    its partition (members and anything else not content are skipped)."""
    zone = agenda["timezone"]
    root = f"{base}/v1/agendas/{agenda['id']}"
    duration = int(agenda["duration"])
    body: dict[str, Any] = {
        "id": agenda["id"],
        "url": root,
        "slug": agenda["slug"],
        "name": agenda["name"],
        "description": agenda.get("description"),
        "location": agenda.get("location"),
        "published": bool(agenda.get("published")),
        "icon": agenda.get("icon"),
        "start_at": agenda["start_at"],
        "end_at": (date.fromisoformat(agenda["start_at"]) + timedelta(days=duration - 1)).isoformat(),
        "duration": duration,
        "timezone": zone,
        "version": int(agenda["version"]),
        "created_at": agenda["created_at"],
        "updated_at": agenda["updated_at"],
    }
    buckets: dict[str, list[Mapping[str, Any]]] = {plural: [] for plural in _KINDS}
    for item in items:
        plural = PLURALS.get(item.get("type", ""))
        if plural is not None:
            buckets[plural].append(item)
    for plural, (represent, order) in _KINDS.items():
        body[plural] = [represent(item, root, zone) for item in sorted(buckets[plural], key=order)]
    return body
