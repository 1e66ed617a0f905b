"""Warm CPU per request of the anonymous full-agenda read, against the bare handler on the same event.

Both handlers live in one process and take turns, request by request, on the same event. CPU
(process_time), not wall time: on Lambda CPU is what is billed and what a burst of readers
queues on, while wall time here would mostly measure the emulator. The emulator runs in the parent
process, so none of its work is counted in the child.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from bench.coldstart import BARE, Target, run_child


@dataclass(frozen=True)
class WarmCpu:
    name: str
    request: str
    median_ms: float
    p95_ms: float
    wall_median_ms: float
    body_bytes: int
    statuses: dict[str, int]
    error: str | None = None


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: an observed value, no interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def measure(targets: list[Target], workdir: Path, warmups: int, iterations: int) -> list[WarmCpu]:
    """Agendas' read and the bare handler in one process, their invocations alternating."""
    agendas = next((t for t in targets if t.name == "agendas"), None)
    bare = next((t for t in targets if t.name == BARE), None)
    if agendas is None or bare is None:
        return []
    extra = {
        "name": agendas.name,
        "warmups": warmups,
        "iterations": iterations,
        "companions": [{"name": bare.name, "code_dir": bare.code_dir, "handler": bare.handler}],
    }
    result, stderr = run_child(agendas, "warm", workdir, extra=extra)
    if result is None:
        tail = stderr.strip().splitlines()[-1] if stderr.strip() else "?"
        return [WarmCpu(t.name, t.request, 0, 0, 0, 0, {}, error=tail) for t in (agendas, bare)]
    results = []
    for target in (agendas, bare):
        series = result["handlers"][target.name]
        cpu_ms, wall_ms = series["cpu_ms"], series["wall_ms"]
        results.append(
            WarmCpu(
                name=target.name,
                request=target.request,
                median_ms=statistics.median(cpu_ms),
                p95_ms=_percentile(cpu_ms, 0.95),
                wall_median_ms=statistics.median(wall_ms),
                body_bytes=int(series["body_bytes"]),
                statuses=dict(series["statuses"]),
            )
        )
    return results
