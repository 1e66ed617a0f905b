"""Data for the benchmarks, created through the real handlers (STYLE.md §4: no raw table writes).

A user and a token, a published agenda to read, a second agenda to delete, and, for every content
resource the template already routes (API.md §4), a realistic amount of content in the published
agenda. Content routes that do not exist yet are skipped: when one lands, it is seeded and probed
without touching this file, as long as its body below still matches the contract.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.harness import Stack
from local.template import api_routes

PASSWORD = "bench-password-not-secret"
AGENDA_START = "2030-05-04"
AGENDA_DAYS = 2
AGENDA_TZ = "Europe/Paris"

# id lists of already-seeded resources, by plural name, for bodies that reference them.
Seeded = dict[str, list[str]]


def _session_body(i: int, seeded: Seeded) -> dict[str, Any]:
    # 30-minute slots, one per venue in parallel, across the agenda's two days.
    venues = seeded.get("venues") or []
    slot, parallel = divmod(i, max(1, len(venues)))
    day, slot = divmod(slot, 16)
    start = datetime.fromisoformat(f"{AGENDA_START}T09:00:00+02:00") + timedelta(days=day, minutes=30 * slot)
    body: dict[str, Any] = {
        "title": f"Session {i}: what the numbers say about cold starts",
        "description": "A talk long enough to look like a real abstract. " * 6,
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(minutes=25)).isoformat(),
        "kind": "talk",
        "language": "en",
    }
    if venues:
        body["venue_id"] = venues[parallel % len(venues)]
    if tracks := seeded.get("tracks"):
        body["track_id"] = tracks[i % len(tracks)]
    if speakers := seeded.get("speakers"):
        body["speaker_ids"] = [speakers[i % len(speakers)], speakers[(i + 7) % len(speakers)]]
    if categories := seeded.get("categories"):
        body["category_ids"] = [categories[i % len(categories)]]
    return body


@dataclass(frozen=True)
class ContentResource:
    """One API.md §4 resource: its plural (the path segment), how many to seed, a body factory."""

    plural: str
    count: int
    body: Callable[[int, Seeded], dict[str, Any]]
    patch: dict[str, Any] = field(default_factory=dict)  # a small PATCH for the request count


# In dependency order: sessions reference the others. Counts make a mid-sized conference.
CONTENT: tuple[ContentResource, ...] = (
    ContentResource(
        "tracks",
        4,
        lambda i, _: {"name": f"Track {i}", "color": "#336699", "position": i},
        patch={"color": "#112233"},
    ),
    ContentResource(
        "venues",
        4,
        lambda i, _: {"name": f"Room {i}", "capacity": 100 + i, "position": i},
        patch={"capacity": 321},
    ),
    ContentResource(
        "categories", 6, lambda i, _: {"name": f"Category {i}", "position": i}, patch={"name": "Renamed"}
    ),
    ContentResource(
        "speakers",
        60,
        lambda i, _: {
            "name": f"Speaker {i}",
            "bio": "Speaks about serverless systems and measures before optimising. " * 3,
            "organization": "Example Corp",
            "job_title": "Engineer",
            "links": [{"title": "site", "url": f"https://example.com/speaker-{i}"}],
        },
        patch={"job_title": "Staff Engineer"},
    ),
    ContentResource("sessions", 120, _session_body, patch={"language": "fr"}),
)


@dataclass
class SeedData:
    user_email: str
    user_id: str
    token: str
    agenda_id: str  # published, carries the content: the one every read measures
    agenda_slug: str
    doomed_agenda_id: str  # deleted by the DELETE probe
    content: Seeded = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def content_routes(stack: Stack) -> list[ContentResource]:
    """The content resources whose collection POST route the template has today."""
    have = {(route.method, route.path) for route in api_routes(stack.template)}
    return [r for r in CONTENT if ("POST", f"/v1/agendas/{{agenda_id}}/{r.plural}") in have]


def _expect(response: Any, status: int, what: str) -> Any:
    if response.status != status:
        raise RuntimeError(f"seeding {what}: HTTP {response.status} {response.body[:300]!r}")
    return response.json()


def agenda_body(name: str, *, published: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "description": "Two days of talks about running APIs on Lambda. " * 4,
        "location": "Lyon, France",
        "start_at": AGENDA_START,
        "duration": AGENDA_DAYS,
        "timezone": AGENDA_TZ,
        "published": published,
    }


def seed(stack: Stack) -> SeedData:
    gateway = stack.gateway
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    user = _expect(
        gateway.request(
            "POST", "/v1/users", json_body={"email": email, "password": PASSWORD, "name": "Bench"}
        ),
        201,
        "a user",
    )
    token = _expect(
        gateway.request("POST", "/v1/auth/token", json_body={"email": email, "password": PASSWORD}),
        200,
        "a token",
    )["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    agenda = _expect(
        gateway.request("POST", "/v1/agendas", json_body=agenda_body("Bench Conf 2030"), headers=auth),
        201,
        "the published agenda",
    )
    doomed = _expect(
        gateway.request("POST", "/v1/agendas", json_body=agenda_body("Doomed Conf"), headers=auth),
        201,
        "the agenda to delete",
    )
    data = SeedData(email, user["id"], token, agenda["id"], agenda["slug"], doomed["id"])
    for resource in content_routes(stack):
        ids: list[str] = []
        path = f"/v1/agendas/{data.agenda_id}/{resource.plural}"
        for i in range(resource.count):
            answer = gateway.request("POST", path, json_body=resource.body(i, data.content), headers=auth)
            if answer.status != 201:
                # The contract moved under the bench: say so in the report and keep going.
                data.notes.append(
                    f"seeding {resource.plural}: HTTP {answer.status} {answer.body[:200]!r}; stopped at {i}"
                )
                break
            ids.append(answer.json()["id"])
        data.content[resource.plural] = ids
    return data
