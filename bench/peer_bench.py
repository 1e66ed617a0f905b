"""Peers in the same run: the full-agenda read on the stacks a user would otherwise pick.

The budgets compare our functions with the bare handler, a floor nobody would ship. The peers
(bench/peers/) answer the question a reader actually has: what would FastAPI, Chalice, or the
design card's stack written plainly cost instead? Each serves the same anonymous
`GET /v1/agendas/{agenda_id}` from our table with one Query of the partition, and each is
measured exactly as the bare handler is, in the same run:

- cold start: a target of bench/coldstart.py (fresh `python -S` process, only the peer's own
  packages on sys.path: bench/peer_site.py), interleaved with ours and the bare handler's;
- warm CPU: a container of bench/cpu.py per peer and dataset, the peer and the bare handler taking
  turns request by request, so every ratio is paired like ours. One peer per process: a peer's
  import-time objects never sit in another handler's garbage-collector passes;
- read units: every AWS request of every measured invocation is recorded in the child, priced by
  bench/capacity.py like ours.

Before its warm run, each peer's answer is checked against ours (status 200, the same agenda, the
same objects of every kind in the same order, field by field once empty fields are left out and
times compared as instants): a peer that answered less would look cheaper than it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bench.coldstart import BARE, Target, run_child
from bench.cpu import Container, run_container
from bench.datasets import Dataset
from bench.harness import Stack, api_event


@dataclass(frozen=True)
class Peer:
    name: str  # as RESULTS.md shows it
    handler: str  # `module.attribute`, imported from bench/ (the bare handler's directory)
    site: str | None  # a bench/peer_site.py SITES key; None: the layer's packages (runtime_site)
    stack: str  # what it is, one line for the report


PEERS = (
    Peer(
        "naive Powertools",
        "peers.powertools_naive.lambda_handler",
        None,
        "Powertools `APIGatewayRestResolver(enable_validation=True)`, pynamodb `Model.query` "
        "(discriminator classes), pydantic response model: the design card's stack without our "
        "optimisations",
    ),
    Peer(
        "FastAPI + Mangum",
        "peers.fastapi_mangum.handler",
        "fastapi",
        'FastAPI with `response_model` (pydantic), Mangum (`lifespan="off"`), boto3 resource `Table.query`',
    ),
    Peer(
        "Chalice",
        "peers.chalice_resource.app",
        "chalice",
        "Chalice, boto3 resource `Table.query`, the view returns a dict",
    ),
)
PEER_NAMES = frozenset(peer.name for peer in PEERS)
PLURALS = ("sessions", "speakers", "tracks", "venues", "categories")
# The agenda's own fields (API.md §3). What ours answers beyond these and the five lists (a change
# feed's cursor, say) is not the data set a peer serves, and is not compared.
AGENDA_FIELDS = (
    "id",
    "url",
    "slug",
    "name",
    "description",
    "location",
    "published",
    "icon",
    "start_at",
    "end_at",
    "duration",
    "timezone",
    "version",
    "created_at",
    "updated_at",
)


@dataclass
class PeerReads:
    """One dataset: each peer's answer check and its container (the peer and the bare handler)."""

    dataset: Dataset
    iterations: int
    warmups: int
    containers: list[Container] = field(default_factory=list)  # labelled with the peer's name
    answers: dict[str, list[str]] = field(default_factory=dict)  # peer -> differences ([] = same)


def targets(found: list[Target], layer_site: Path | None, sites: dict[str, Path | None]) -> list[Target]:
    """A cold-start target per peer, serving the bare handler's event with its environment."""
    bare = next((t for t in found if t.name == BARE), None)
    if bare is None:
        return []
    peers = []
    for peer in PEERS:
        site = layer_site if peer.site is None else sites.get(peer.site)
        peers.append(
            Target(
                name=peer.name,
                request=bare.request,
                code_dir=bare.code_dir,
                handler=peer.handler,
                layer_dirs=[str(site)] if site else [],
                environment=bare.environment,
                spec=bare.spec,
                isolated=site is not None,
            )
        )
    return peers


# -- the answers -------------------------------------------------------------------------------

_TIMES = frozenset({"created_at", "updated_at", "start_at", "end_at"})


def _normalised(value: Any, key: str | None = None) -> Any:
    """Empty fields left out (API.md §1: null, "" and [] mean absent), times as instants or dates,
    whole floats as ints (Chalice writes Decimals as floats)."""
    if isinstance(value, dict):
        return {k: _normalised(v, k) for k, v in value.items() if v is not None and v != "" and v != []}
    if isinstance(value, list):
        return [_normalised(entry) for entry in value]
    if key in _TIMES and isinstance(value, str):
        try:
            return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def differences(ours: dict[str, Any], theirs: dict[str, Any], limit: int = 5) -> list[str]:
    """What a peer's full agenda says differently from ours (at most `limit` lines; [] = same):
    the agenda's fields, the five lists, and whatever else the peer answers."""
    mine, other = _normalised(ours), _normalised(theirs)
    found: list[str] = []
    for key in sorted({*AGENDA_FIELDS, *PLURALS, *other}):
        if key not in PLURALS:
            if mine.get(key) != other.get(key):
                found.append(f"{key}: ours {mine.get(key)!r}, theirs {other.get(key)!r}")
            continue
        my_ids = [item.get("id") for item in mine.get(key, [])]
        their_ids = [item.get("id") for item in other.get(key, [])]
        if my_ids != their_ids:
            found.append(f"{key}: {len(their_ids)} ids, ours {len(my_ids)}, or another order")
            continue
        for my_item, their_item in zip(mine.get(key, []), other.get(key, []), strict=True):
            for name in sorted(my_item.keys() | their_item.keys()):
                if my_item.get(name) != their_item.get(name):
                    found.append(
                        f"{key} {my_item['id']} {name}: ours {my_item.get(name)!r}, "
                        f"theirs {their_item.get(name)!r}"
                    )
    return found[:limit]


def _check(stack: Stack, peer: Target, path: str, event: dict[str, Any], workdir: Path) -> list[str]:
    """One invocation of the peer in its own process on `event`, compared with our answer."""
    ours = stack.gateway.request("GET", path)
    if ours.status != 200:
        return [f"our own read answered HTTP {ours.status}"]
    result, stderr = run_child(peer, "cold", workdir, extra={"event": event, "keep_body": True})
    if result is None:
        return [f"failed: {(stderr.strip().splitlines() or ['?'])[-1]}"]
    if result.get("error") or result.get("status") != 200:
        return [f"answered {result.get('error') or result.get('status')}"]
    try:
        theirs = json.loads(result.get("body") or "")
    except ValueError:
        return ["the body is not JSON"]
    return differences(ours.json(), theirs)


def measure(
    stack: Stack,
    found: list[Target],
    datasets: list[Dataset],
    workdir: Path,
    warmups: int,
    iterations: int,
) -> list[PeerReads]:
    """For every published dataset and every peer: its answer checked, then its warm container."""
    bare = next((t for t in found if t.name == BARE), None)
    peers = [t for t in found if t.name in PEER_NAMES]
    if bare is None or not peers:
        return []
    results = []
    for dataset in datasets:
        if not dataset.published:  # the peers serve the anonymous read only
            continue
        path = f"/v1/agendas/{dataset.agenda_id}"
        _, event = api_event(stack.gateway, "GET", path)
        reads = PeerReads(dataset, iterations, warmups)
        for peer in peers:
            reads.answers[peer.name] = _check(stack, peer, path, event, workdir)
            container = run_container(
                dataset.key,  # names the child's spec file
                "the peer and the bare handler taking turns",
                peer,
                bare,
                [{"name": peer.name, "event": event}],
                peer.environment,
                workdir,
                warmups,
                iterations,
            )
            container.label = peer.name  # one container per peer in a dataset: named after it
            reads.containers.append(container)
        results.append(reads)
    return results
