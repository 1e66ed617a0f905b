"""Warm CPU per request of the full-agenda read, against the bare handler on the same agenda.

For each dataset (bench/datasets.py), one measured container: the agendas function with its
environment as deployed, serving in turn

- the anonymous full read with `Accept-Encoding: gzip`: the public snapshot's bytes as stored
  (services/snapshots.py, one S3 GetObject, no DynamoDB request);
- the same read without it: the snapshot decompressed;
- the owner's read: one consistent Query, rendered (members always read the table);

and the bare handler (one Query of the partition, json.dumps) on the same agenda. An agenda that
could not be published is measured as its owner only.

Handlers in one process take turns request by request, so whatever else the machine does
weighs on all alike. CPU (process_time), not wall time: on Lambda CPU is what is billed and what
a burst of readers queues on, while wall time here would mostly measure the emulator. The
emulator runs in the parent process, so none of its work is counted in the child. Every AWS
request of every measured invocation is recorded in the child, with the bytes of its answer
(an S3 object's size), so read units and S3 traffic are per observed request, not assumed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.coldstart import BARE, Target, run_child
from bench.datasets import Dataset
from bench.harness import Snapshot, Stack, api_event

AS_DEPLOYED = "as deployed"
ANONYMOUS_GZIP = "agendas, anonymous, gzip"
ANONYMOUS = "agendas, anonymous, plain"
OWNER = "agendas, owner"
ANONYMOUS_READS = (ANONYMOUS_GZIP, ANONYMOUS)
S3_OPERATIONS = frozenset({"GetObject", "HeadObject", "PutObject", "DeleteObject"})


@dataclass(frozen=True)
class Series:
    """One handler's invocations in one measured container."""

    name: str  # "agendas, anonymous, gzip" ...
    median_ms: float
    p95_ms: float
    wall_median_ms: float
    body_bytes: int  # the last answer's body, decoded from base64 when it was binary
    statuses: dict[str, int]
    requests: dict[str, int]  # "Query" -> how many invocations sent exactly that; "" = none
    aws_bytes: dict[str, int] = field(default_factory=dict)  # operation -> answer bytes, summed
    encodings: dict[str, int] = field(default_factory=dict)  # Content-Encoding -> answers

    @property
    def invocations(self) -> int:
        return sum(self.requests.values())

    def sent(self, operations: frozenset[str]) -> int:
        """How many of these operations the measured invocations sent, in all."""
        return sum(
            times * sum(1 for op in sequence.split("+") if op in operations)
            for sequence, times in self.requests.items()
        )

    def dynamodb_requests(self) -> int:
        """DynamoDB requests sent, in all (anything not S3; a Query's later pages count)."""
        return sum(
            times * sum(1 for op in sequence.split("+") if op and op not in S3_OPERATIONS)
            for sequence, times in self.requests.items()
        )

    def bytes_per(self, operation: str) -> float:
        """The mean answer bytes of one `operation` (e.g. GetObject: the snapshot's size)."""
        count = self.sent(frozenset({operation}))
        return self.aws_bytes.get(operation, 0) / count if count else float("nan")


@dataclass
class Container:
    """One measured child: its handlers' series, the bare handler's among them."""

    label: str  # "as deployed", or a peer's name
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
    snapshot: Snapshot | None = None  # what the anonymous read serves (bench/harness.py)

    @property
    def deployed(self) -> Container | None:
        return next((c for c in self.containers if c.label == AS_DEPLOYED), None)


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
        aws_bytes={k: int(v) for k, v in raw.get("aws_bytes", {}).items()},
        encodings=dict(raw.get("encodings", {})),
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
    bare_event: dict[str, Any] | None = None,
) -> Container:
    """One measured child: `agendas` (our function, or a peer: bench/peer_bench.py) serving
    `handlers`, taking turns with the bare handler on `bare_event` (default: the first handler's)."""
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
    event = bare_event if bare_event is not None else handlers[0]["event"]
    entries = [*handlers, {"name": BARE, "code_dir": bare.code_dir, "handler": bare.handler, "event": event}]
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
    snapshots: dict[str, Snapshot],
    owner_auth: dict[str, str],
    workdir: Path,
    warmups: int,
    iterations: int,
) -> list[DatasetReads]:
    """The as-deployed container of every dataset (owner only for an agenda that could not be
    published). `snapshots` (by agenda id) are what bench/harness.build_snapshots checked."""
    agendas = next((t for t in targets if t.name == "agendas"), None)
    bare = next((t for t in targets if t.name == BARE), None)
    if agendas is None or bare is None:
        return []
    found = []
    for dataset in datasets:
        path = f"/v1/agendas/{dataset.agenda_id}"
        _, anonymous = api_event(stack.gateway, "GET", path)
        _, packed = api_event(stack.gateway, "GET", path, headers={"Accept-Encoding": "gzip"})
        _, owner = api_event(stack.gateway, "GET", path, headers=owner_auth)
        reads = DatasetReads(dataset, iterations, warmups, snapshot=snapshots.get(dataset.agenda_id))
        handlers = [{"name": OWNER, "event": owner}]
        if dataset.published:
            handlers[:0] = [
                {"name": ANONYMOUS_GZIP, "event": packed},
                {"name": ANONYMOUS, "event": anonymous},
            ]
        reads.containers.append(
            run_container(
                AS_DEPLOYED,
                "the agendas function's environment as the template sets it",
                agendas,
                bare,
                handlers,
                agendas.environment,
                workdir,
                warmups,
                iterations,
                bare_event=anonymous,
            )
        )
        found.append(reads)
    return found
