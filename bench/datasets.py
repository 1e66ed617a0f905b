"""The agendas the full-agenda read is measured on, besides the seeded one (bench/seed.py).

- camp2019: shared/fixtures/c3voc/examples/frab-camp2019.json (79 sessions, a real export),
  imported by `services/schedule_import.import_schedule` (the product's importer, through the
  services, as its tests do), then published through the API.
- synthetic: 300 sessions / 120 speakers / 6 tracks / 6 venues / 8 categories over three days,
  with text sizes like camp2019's (descriptions of ~400-1 600 characters, median ~850), created
  through the API. The schedule is conflict-free by construction (one session per venue and
  45-minute slot; a speaker's sessions never share a slot), so it can be published; publishing
  it through the API checks that (409 `schedule_conflicts` otherwise).

Both are created unpublished and then published with `PATCH {"published": true}`, which runs the
product's own conflict check; an agenda that cannot be published is still measured, as its owner.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bench.harness import ROOT, Stack
from bench.seed import AGENDA_START, AGENDA_TZ, SeedData, agenda_body

CAMP2019 = ROOT.parent / "shared" / "fixtures" / "c3voc" / "examples" / "frab-camp2019.json"
IMPORT_BASE_URL = "http://localhost"

SYNTHETIC_DAYS = 3
SYNTHETIC_VENUES = 6
SYNTHETIC_TRACKS = 6
SYNTHETIC_CATEGORIES = 8
SYNTHETIC_SPEAKERS = 120
SYNTHETIC_SESSIONS = 300
_SLOTS_PER_DAY = 17  # 09:00 to 21:40, 45-minute slots of 40-minute sessions


@dataclass
class Dataset:
    """One agenda whose full read is measured."""

    key: str  # "seeded", "camp2019", "synthetic": names in the report
    title: str
    agenda_id: str
    published: bool
    counts: dict[str, int] = field(default_factory=dict)  # by plural, as the owner's read shows them
    conflicts: int = 0  # as the owner's read lists them
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        shown = ", ".join(f"{n} {plural}" for plural, n in self.counts.items())
        return f"{self.title}: {shown}"


# -- text that looks like a conference's ------------------------------------------------------------

_WORDS = tuple(
    " ".join(
        (
            "serverless latency cold start partition query cache edge function budget trace metric",
            "schedule venue speaker session agenda resilience throughput idempotent retry backoff",
            "deployment observability migration schema index consistency replication failover cost",
            "request response payload compression encryption token rotation audit tenant quota region",
            "streaming event batch window throttle queue worker pipeline container runtime layer",
        )
    ).split(" ")
)
_FIRST = (
    "Ada",
    "Zoë",
    "François",
    "Jürgen",
    "Mei",
    "Olúwa",
    "Priya",
    "Łukasz",
    "Inès",
    "Kenji",
    "Sven",
    "Ana",
)
_LAST = ("Lovelace", "Müller", "García", "Nakamura", "Okafor", "Dubois", "Kowalski", "Silva", "Berg", "Rossi")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 18))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _prose(rng: random.Random, low: int, high: int) -> str:
    target = rng.randint(low, high)
    text = ""
    while len(text) < target:
        text += (" " if text else "") + _sentence(rng)
    return text


def _title(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 9))]
    return " ".join(words).capitalize()


# -- the synthetic agenda -------------------------------------------------------------------------


def _speaker(i: int, rng: random.Random) -> dict[str, Any]:
    name = f"{_FIRST[i % len(_FIRST)]} {_LAST[(i // len(_FIRST)) % len(_LAST)]} {i}"
    links = [{"title": "site", "url": f"https://example.com/people/{i}"}]
    if i % 2:
        links.append({"title": "mastodon", "url": f"https://social.example/@speaker{i}"})
    return {
        "name": name,
        "bio": _prose(rng, 250, 900),
        "organization": f"{rng.choice(_WORDS).capitalize()} {rng.choice(('Labs', 'GmbH', 'Inc.', 'SAS'))}",
        "job_title": rng.choice(("Engineer", "Staff Engineer", "Researcher", "CTO", "Developer Advocate")),
        "links": links,
        "email": f"speaker{i}@example.com",
    }


def synthetic_speaker_ids(n: int) -> list[int]:
    """Speaker indexes of session n: 1 to 3, never two in one slot (n and n+1..n+5 share one)."""
    chosen = [n % SYNTHETIC_SPEAKERS]
    if n % 3:
        chosen.append((n + 37) % SYNTHETIC_SPEAKERS)
    if n % 5 == 0:
        chosen.append((n + 79) % SYNTHETIC_SPEAKERS)
    return chosen


def _session(n: int, rng: random.Random, ids: dict[str, list[str]]) -> dict[str, Any]:
    day, rest = divmod(n, _SLOTS_PER_DAY * SYNTHETIC_VENUES)
    slot, venue = divmod(rest, SYNTHETIC_VENUES)
    start = datetime.fromisoformat(f"{AGENDA_START}T09:00:00+02:00") + timedelta(days=day, minutes=45 * slot)
    categories = [ids["categories"][n % SYNTHETIC_CATEGORIES]]
    if n % 4 == 0:
        categories.append(ids["categories"][(n + 3) % SYNTHETIC_CATEGORIES])
    return {
        "title": _title(rng),
        "description": _prose(rng, 400, 1600),
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(minutes=40)).isoformat(),
        "kind": "workshop" if n % 11 == 0 else ("panel" if n % 13 == 0 else "talk"),
        "language": ("en", "en", "fr", "de")[n % 4],
        "venue_id": ids["venues"][venue],
        "track_id": ids["tracks"][(venue + day) % SYNTHETIC_TRACKS],
        "speaker_ids": [ids["speakers"][i] for i in synthetic_speaker_ids(n)],
        "category_ids": categories,
    }


def _post(stack: Stack, data: SeedData, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
    answer = stack.gateway.request("POST", path, json_body=body, headers=data.auth())
    if answer.status != 201:
        raise RuntimeError(f"seeding {what}: HTTP {answer.status} {answer.body[:300]!r}")
    return dict(answer.json())


def seed_synthetic(stack: Stack, data: SeedData) -> Dataset:
    rng = random.Random(2030)
    body = {
        **agenda_body("Synthetic Conf 2030", published=False),
        "duration": SYNTHETIC_DAYS,
        "timezone": AGENDA_TZ,
        "description": _prose(rng, 800, 1200),
    }
    agenda_id = _post(stack, data, "/v1/agendas", body, "the synthetic agenda")["id"]
    base = f"/v1/agendas/{agenda_id}"
    ids: dict[str, list[str]] = {"tracks": [], "venues": [], "categories": [], "speakers": []}
    for i in range(SYNTHETIC_TRACKS):
        track = {
            "name": f"{rng.choice(_WORDS).capitalize()} track",
            "color": f"#{rng.randrange(16**6):06x}",
            "position": i,
            "description": _prose(rng, 80, 300),
        }
        ids["tracks"].append(_post(stack, data, f"{base}/tracks", track, "a track")["id"])
    for i in range(SYNTHETIC_VENUES):
        venue = {
            "name": f"Hall {chr(65 + i)}",
            "capacity": 80 + 60 * i,
            "position": i,
            "description": _prose(rng, 40, 160),
        }
        ids["venues"].append(_post(stack, data, f"{base}/venues", venue, "a venue")["id"])
    for i in range(SYNTHETIC_CATEGORIES):
        category = {"name": f"{rng.choice(_WORDS).capitalize()} {i}", "position": i}
        ids["categories"].append(_post(stack, data, f"{base}/categories", category, "a category")["id"])
    for i in range(SYNTHETIC_SPEAKERS):
        ids["speakers"].append(_post(stack, data, f"{base}/speakers", _speaker(i, rng), "a speaker")["id"])
    for n in range(SYNTHETIC_SESSIONS):
        _post(stack, data, f"{base}/sessions", _session(n, rng, ids), f"session {n}")
    dataset = Dataset(
        "synthetic",
        f"synthetic ({SYNTHETIC_SESSIONS} sessions / {SYNTHETIC_SPEAKERS} speakers)",
        agenda_id,
        published=False,
    )
    return _publish(stack, data, dataset)


# -- camp2019, imported ---------------------------------------------------------------------------


def import_camp2019(stack: Stack, data: SeedData) -> Dataset | str:
    """The imported agenda, or why there is none (a sentence for the report's notes)."""
    if not CAMP2019.is_file():
        return f"camp2019 not measured: {CAMP2019} is missing (the repository is cloned beside shared/)."
    # Imported here, after the gateway's first request put the functions' environment (table
    # names, the emulator) into os.environ and the layer on sys.path.
    from agenda_core.schemas.auth import session_caller
    from agenda_core.services.schedule_import import import_schedule

    document = json.loads(CAMP2019.read_text(encoding="utf-8"))
    report = import_schedule(session_caller(data.user_id), document, IMPORT_BASE_URL)
    shown = ", ".join(f"{n} {plural}" for plural, n in report.counts.items())
    dataset = Dataset(
        "camp2019",
        "camp2019 (frab-camp2019.json, imported)",
        report.agenda_id,
        published=False,
        notes=[
            f"camp2019 imported with `import_schedule`: {shown}; {len(report.notes)} kinds of fixes noted."
        ],
    )
    return _publish(stack, data, dataset)


# -- both -----------------------------------------------------------------------------------------


def _publish(stack: Stack, data: SeedData, dataset: Dataset) -> Dataset:
    """PATCH published=true (the product's conflict check), then the owner's read for the counts."""
    path = f"/v1/agendas/{dataset.agenda_id}"
    answer = stack.gateway.request("PATCH", path, json_body={"published": True}, headers=data.auth())
    if answer.status == 200:
        dataset.published = True
    else:
        problem = answer.json() if answer.body else {}
        found = len(problem.get("conflicts", []))
        dataset.notes.append(
            f"{dataset.key} could not be published (HTTP {answer.status} {problem.get('code', '')}, "
            f"{found} conflicts): its full read is measured as its owner only."
        )
    read = stack.gateway.request("GET", path, headers=data.auth())
    if read.status != 200:
        raise RuntimeError(f"reading {dataset.key}: HTTP {read.status} {read.body[:300]!r}")
    full = read.json()
    dataset.counts = {
        plural: len(full.get(plural, []))
        for plural in ("sessions", "speakers", "tracks", "venues", "categories")
    }
    dataset.conflicts = len(full.get("conflicts", []))
    return dataset


def seeded(data: SeedData) -> Dataset:
    """The agenda bench/seed.py fills (published at creation, content through the API)."""
    counts = {plural: len(ids) for plural, ids in data.content.items()}
    shown = f"{counts.get('sessions', 0)} sessions / {counts.get('speakers', 0)} speakers"
    return Dataset("seeded", f"seeded ({shown})", data.agenda_id, published=True, counts=counts)


def build(stack: Stack, data: SeedData) -> tuple[list[Dataset], list[str]]:
    """Every dataset (the seeded one first), and notes for the report."""
    found, notes = [seeded(data)], []
    camp = import_camp2019(stack, data)
    if isinstance(camp, str):
        notes.append(camp)
    else:
        found.append(camp)
    found.append(seed_synthetic(stack, data))
    for dataset in found:
        notes += dataset.notes
    return found, notes
