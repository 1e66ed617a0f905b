"""Warm CPU per request of the full-agenda read, against the bare handler on the same agenda.

For each dataset (bench/datasets.py), two measured containers:

- as deployed: the agendas function with its environment untouched (the anonymous read goes
  through the 5 s micro-cache, `http/public_cache.py`) and the bare handler, taking turns on the
  anonymous read of the agenda;
- uncached: the same with `PUBLIC_READ_CACHE_SECONDS=0` (every anonymous read queries and
  renders), plus the owner's read (consistent, never cached, conflicts computed), and the bare
  handler, the three taking turns.

Handlers in one process take turns request by request, so whatever else the machine does
weighs on all alike. CPU (process_time), not wall time: on Lambda CPU is what is billed and what
a burst of readers queues on, while wall time here would mostly measure the emulator. The
emulator runs in the parent process, so none of its work is counted in the child. Every AWS
request of every measured invocation is recorded in the child (how many reads hit the cache).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.coldstart import BARE, Target, run_child
from bench.datasets import Dataset
from bench.harness import Stack, api_event

CACHE_SETTING = "PUBLIC_READ_CACHE_SECONDS"


@dataclass(frozen=True)
class Series:
    """One handler's invocations in one measured container."""

    name: str  # "agendas, anonymous" ...
    median_ms: float
    p95_ms: float
    wall_median_ms: float
    body_bytes: int
    statuses: dict[str, int]
    requests: dict[str, int]  # "Query" -> how many invocations sent exactly that; "" = none

    @property
    def invocations(self) -> int:
        return sum(self.requests.values())


@dataclass
class Container:
    """One measured child: its handlers' series, the bare handler's among them."""

    label: str  # "as deployed", "uncached"
    environment_note: str
    series: dict[str, Series] = field(default_factory=dict)
    error: str | None = None

    def ratio(self, name: str) -> float:
        mine, bare = self.series.get(name), self.series.get(BARE)
        if mine is None or bare is None or not bare.median_ms:
            return float("nan")
        return mine.median_ms / bare.median_ms

    def p95_ratio(self, name: str) -> float:
        mine, bare = self.series.get(name), self.series.get(BARE)
        if mine is None or bare is None or not bare.p95_ms:
            return float("nan")
        return mine.p95_ms / bare.p95_ms


@dataclass
class DatasetReads:
    dataset: Dataset
    iterations: int
    warmups: int
    containers: list[Container] = field(default_factory=list)


ANONYMOUS = "agendas, anonymous"
OWNER = "agendas, owner"


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: an observed value, no interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def _series(name: str, raw: dict[str, Any]) -> Series:
    cpu_ms, wall_ms = raw["cpu_ms"], raw["wall_ms"]
    return Series(
        name=name,
        median_ms=statistics.median(cpu_ms),
        p95_ms=_percentile(cpu_ms, 0.95),
        wall_median_ms=statistics.median(wall_ms),
        body_bytes=int(raw["body_bytes"]),
        statuses=dict(raw["statuses"]),
        requests=dict(raw.get("requests", {})),
    )


def run_container(
    label: str,
    note: str,
    agendas: Target,
    bare: Target,
    handlers: list[dict[str, Any]],
    environment: dict[str, str],
    workdir: Path,
    warmups: int,
    iterations: int,
) -> Container:
    """One measured child: `agendas` (our function, or a peer: bench/peer_bench.py) serving
    `handlers`, taking turns with the bare handler on the first handler's event."""
    target = Target(
        name=f"{agendas.name}-{label.replace(' ', '_')}",
        request=agendas.request,
        code_dir=agendas.code_dir,
        handler=agendas.handler,
        layer_dirs=agendas.layer_dirs,
        environment=environment,
        spec=agendas.spec,
        isolated=agendas.isolated,
    )
    entries = [
        *handlers,
        {"name": BARE, "code_dir": bare.code_dir, "handler": bare.handler, "event": handlers[0]["event"]},
    ]
    extra = {"warmups": warmups, "iterations": iterations, "handlers": entries}
    container = Container(label, note)
    result, stderr = run_child(target, "warm", workdir, extra=extra)
    if result is None:
        container.error = stderr.strip().splitlines()[-1] if stderr.strip() else "?"
        return container
    for entry in entries:
        container.series[entry["name"]] = _series(entry["name"], result["handlers"][entry["name"]])
    return container


def measure(
    stack: Stack,
    targets: list[Target],
    datasets: list[Dataset],
    owner_auth: dict[str, str],
    workdir: Path,
    warmups: int,
    iterations: int,
) -> list[DatasetReads]:
    """Both containers for every dataset (only the uncached one, owner only, for an agenda that
    could not be published)."""
    agendas = next((t for t in targets if t.name == "agendas"), None)
    bare = next((t for t in targets if t.name == BARE), None)
    if agendas is None or bare is None:
        return []
    found = []
    for dataset in datasets:
        path = f"/v1/agendas/{dataset.agenda_id}"
        _, anonymous = api_event(stack.gateway, "GET", path)
        _, owner = api_event(stack.gateway, "GET", path, headers=owner_auth)
        reads = DatasetReads(dataset, iterations, warmups)
        if dataset.published:
            reads.containers.append(
                run_container(
                    "as deployed",
                    f"{CACHE_SETTING} unset (5 s)",
                    agendas,
                    bare,
                    [{"name": ANONYMOUS, "event": anonymous}],
                    agendas.environment,
                    workdir,
                    warmups,
                    iterations,
                )
            )
        uncached_handlers = [{"name": OWNER, "event": owner}]
        if dataset.published:
            uncached_handlers.insert(0, {"name": ANONYMOUS, "event": anonymous})
        reads.containers.append(
            run_container(
                "uncached",
                f"{CACHE_SETTING}=0",
                agendas,
                bare,
                uncached_handlers,
                {**agendas.environment, CACHE_SETTING: "0"},
                workdir,
                warmups,
                iterations,
            )
        )
        found.append(reads)
    return found
