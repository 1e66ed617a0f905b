"""`make bench`: measure the budgets against the bare boto3 handler and write bench/RESULTS.md.

The same run measures the peers (bench/peer_bench.py: FastAPI + Mangum, Chalice, the naive
Powertools stack) on the same full-agenda read, so their ratios sit beside ours.

    .venv/bin/python -m bench.run [--quick] [--out bench/RESULTS.md]

Exits 0 whatever the numbers say (they are the point; tests assert no timings) and ends by
printing what is over budget.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    capacity,
    coldstart,
    cpu,
    datasets,
    ddb_requests,
    layer_size,
    peer_bench,
    peer_site,
    runtime_site,
)
from bench.harness import ROOT, build_snapshots, quiet, running_stack
from bench.report import Results, kept_sections, render
from bench.seed import PASSWORD, SeedData, content_routes, seed


def _step[T](title: str, action: Callable[[], T]) -> T:
    started = time.perf_counter()
    print(f"bench: {title}...", file=sys.stderr, flush=True)
    result = action()
    print(f"bench: {title}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return result


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _command(argv: list[str]) -> str:
    python = Path(sys.executable)
    shown = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
    return shlex.join([str(shown), "-m", "bench.run", *argv])


def _header(argv: list[str], load_before: float) -> list[str]:
    import boto3
    import botocore

    return [
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {_cpu_model()}, "
        f"{platform.machine()}, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({sys.executable}); boto3 {boto3.__version__}, "
        f"botocore {botocore.__version__}",
        f"- Command: `{_command(argv)}`",
        f"- Load average (1 min) at the start: {load_before:.2f}, at the end: {os.getloadavg()[0]:.2f} "
        "(other work on the machine shows up as noise in wall-clock numbers; the ratios are paired).",
        "- Against moto's server on 127.0.0.1 (same host). Absolute milliseconds are this machine's, "
        "not Lambda's (arm64, 512 MB ≈ a third of a vCPU): read the ratios to the bare handler, "
        "measured in the same run.",
    ]


def _fresh_login(stack: Any, data: SeedData) -> dict[str, str]:
    """An Authorization header with a new access token for the owner of every dataset."""
    answer = stack.gateway.request(
        "POST", "/v1/auth/token", json_body={"email": data.user_email, "password": PASSWORD}
    )
    if answer.status != 200:
        raise RuntimeError(f"logging in again: HTTP {answer.status} {answer.body[:200]!r}")
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer cold-start runs (3 instead of 7)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md", help="where to write")
    parser.add_argument("--runs", type=int, default=None, help="cold-start runs per function (overrides)")
    args = parser.parse_args(argv)
    argv_shown = sys.argv[1:] if argv is None else argv
    runs = args.runs or (3 if args.quick else 7)
    warmups, iterations = (10, 50) if args.quick else (20, 200)
    notes: list[str] = []

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with running_stack() as stack, coldstart.new_workdir() as scratch:
        workdir = Path(scratch)
        with quiet():
            data = _step("seeding through the handlers", lambda: seed(stack))
        notes += data.notes
        present = [r.plural for r in content_routes(stack)]
        notes.append(
            "Content seeded into the read agenda: "
            + (", ".join(f"{len(data.content.get(p, []))} {p}" for p in present) if present else "none")
            + " (content routes in the template today: "
            + (", ".join(present) or "none")
            + ")."
        )
        with quiet():
            found, dataset_notes = _step(
                "full-agenda datasets (camp2019 import, synthetic 300/120)",
                lambda: datasets.build(stack, data),
            )
        notes += dataset_notes
        published = [d.agenda_id for d in found if d.published]
        snapshots = _step(
            "public snapshots: the table's stream delivered, anonymous reads checked",
            lambda: build_snapshots(stack, published),
        )
        notes.append(
            "Public snapshots built by the snapshot function from the table's stream, delivered once every "
            'dataset was seeded (local/streams.py, `GatewayApp(streams="manual").pump_streams()`), for '
            f"{len(snapshots)} agendas; each one's anonymous read then checked to be its snapshot (gzip as "
            "stored with `Content-Encoding: gzip`, the same text without, one S3 GetObject, no DynamoDB request)."
        )
        notes.append(
            "The emulator is sped up, not changed (bench/harness.py): moto backs up a table once per "
            "transaction instead of once per item, and answers a repeated read from memory until the next "
            "write. Neither touches what the measured handlers do or the CPU they are charged for."
        )
        main_table, _ = stack.table_names()
        costs = {
            d.key: capacity.partition_cost(stack.endpoint, main_table, f"AGENDA#{d.agenda_id}") for d in found
        }
        site, site_note = _step("packages for the children", runtime_site.ensure)
        notes.append(site_note)
        sites, sites_note = _step("packages for the peers", peer_site.ensure_all)
        notes.append(sites_note)
        targets = coldstart.targets(stack, data, workdir / "pycache", site)
        targets += peer_bench.targets(targets, site, sites)
        cold = _step(f"cold starts ({runs} runs each)", lambda: coldstart.measure(targets, runs, workdir))
        ours = [t for t in targets if t.name not in peer_bench.PEER_NAMES and t.name != coldstart.FLOOR]
        restored = _step(
            f"SnapStart: first invocations after restore ({runs} runs each)",
            lambda: coldstart.measure(ours, runs, workdir, mode="restored"),
        )
        agendas = next((t for t in targets if t.name == "agendas"), None)
        profile = (
            _step("python -X importtime (agendas)", lambda: coldstart.import_profile(agendas, workdir))
            if agendas
            else None
        )
        with quiet():
            owner = _fresh_login(stack, data)  # access tokens live 15 minutes
        reads = _step(
            "full-agenda reads, warm CPU per request",
            lambda: cpu.measure(stack, targets, found, snapshots, owner, workdir, warmups, iterations),
        )
        with quiet():  # the answer checks read ours through the in-process gateway
            peers = _step(
                "peers: answers checked, full-agenda reads, warm CPU per request",
                lambda: peer_bench.measure(stack, targets, found, workdir, warmups, iterations),
            )
        with quiet():
            rows = _step("AWS requests per route", lambda: ddb_requests.count(stack, data))
    layers = _step("layer size", layer_size.measure)
    if note := layer_size.staleness():
        notes.append(note)

    results = Results(
        header=_header(argv_shown, load_before),
        cold=cold,
        cold_runs=runs,
        restored=restored,
        profile=profile,
        reads=reads,
        costs=costs,
        rows=rows,
        static_scans=ddb_requests.static_scans(),
        layers=layers,
        notes=notes,
        peers=peers,
    )
    text = render(results)
    if args.out.exists():
        text += kept_sections(args.out.read_text(encoding="utf-8"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"bench: wrote {args.out} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if results.over:
        print("\nOVER BUDGET:")
        for item in results.over:
            print(f"  OVER  {item}")
    else:
        print("\nEvery measured budget holds.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
