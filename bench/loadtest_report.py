"""bench/LOADTEST.md: what `make loadtest` measured (bench/loadtest.py), phase by phase, and what
one read of the agenda costs DynamoDB, computed from its items (bench/capacity.py)."""

from __future__ import annotations

import argparse
import math
import os
import platform
import shlex
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.capacity import UNIT, ReadCost, item_size, partition_cost

ROOT = Path(__file__).resolve().parent.parent
REVALIDATE, FULL = "revalidate", "full"
ALONE_REVALIDATIONS, ALONE_FULL_READS = 10, 5  # sequential, before each phase's load


@dataclass
class Agenda:
    id: str
    etag: str  # the anonymous full read's (the snapshot's)
    version: int
    body_bytes: int  # the full read's JSON
    gzip_bytes: int  # what a client accepting gzip receives: the snapshot as stored
    content: dict[str, int]  # counts of each content list in the full read
    seeded: str  # how it came to be
    encoding: str  # Content-Encoding of the anonymous answer to a client accepting gzip
    snapshot_wait_s: float = 0.0  # from the last write until the snapshot answered at its version


@dataclass(frozen=True)
class Sample:
    kind: str  # REVALIDATE or FULL
    status: int  # 0: no answer (an exception)
    ms: float
    error: str = ""


@dataclass
class Phase:
    name: str
    what: str
    url: str
    threads: int
    headers: dict[str, str] = field(default_factory=dict)  # sent with every request (a token)
    consistent: bool = False  # members read strongly consistently; anonymous callers do not
    seconds: float = 0.0  # measured wall time of the load
    samples: list[Sample] = field(default_factory=list)
    alone: list[Sample] = field(default_factory=list)  # one client, before the load: no queue
    dynamodb: Counter[str] | None = None  # DynamoDB requests the server sent during the load
    s3: Counter[str] | None = None  # S3 requests, likewise

    @property
    def total(self) -> int:
        return len(self.samples)

    def count(self, status: int, kind: str | None = None) -> int:
        return sum(1 for s in self.samples if s.status == status and kind in (None, s.kind))

    @property
    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.status not in (200, 304)]

    @property
    def unexpected(self) -> int:
        """Answers that are valid HTTP but not what the client expected (a revalidation that got a
        200 because the agenda changed, a full read that got a 304)."""
        return sum(
            1
            for s in self.samples
            if (s.kind == REVALIDATE and s.status == 200) or (s.kind == FULL and s.status == 304)
        )

    def latencies(self, kind: str | None = None, *, alone: bool = False) -> list[float]:
        samples = self.alone if alone else self.samples
        return sorted(s.ms for s in samples if s.status in (200, 304) and kind in (None, s.kind))


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Units:
    """Read units of the agenda's reads by DynamoDB's sizing rules (bench/capacity.py): a member's
    full read is one Query of the partition, a revalidation one GetItem of the agenda item, an
    anonymous full read one S3 GetObject (0)."""

    partition: ReadCost
    agenda_item_bytes: int

    def get_item(self, consistent: bool) -> float:
        return max(1, math.ceil(self.agenda_item_bytes / UNIT)) * (1.0 if consistent else 0.5)

    def query(self, consistent: bool) -> float:
        return self.partition.strong_rcu if consistent else self.partition.eventual_rcu


def measure_units(moto: str, agenda_id: str) -> Units:
    import boto3

    from local.gateway import apply_environment, local_aws_environment

    # This process's AWS settings become the emulator's fake ones (partition_cost makes its own client).
    apply_environment(local_aws_environment(moto, "us-east-1"))
    client = boto3.client("dynamodb", endpoint_url=moto)
    names = client.list_tables()["TableNames"]
    table = next((n for n in names if "agenda" in n.lower() and "idempotency" not in n.lower()), names[0])
    key = {"pk": {"S": f"AGENDA#{agenda_id}"}, "sk": {"S": "#AGENDA"}}
    item = client.get_item(TableName=table, Key=key).get("Item") or {}
    return Units(partition_cost(moto, table, f"AGENDA#{agenda_id}"), item_size(item))


def read_units(phase: Phase, units: Units | None) -> float | None:
    """What the phase's DynamoDB requests consumed: each Query a full read of the partition, each
    GetItem the agenda item (a revalidation), at the phase's consistency. S3 reads consume none."""
    if units is None or phase.dynamodb is None:
        return None
    consistent = phase.consistent
    return phase.dynamodb["Query"] * units.query(consistent) + phase.dynamodb["GetItem"] * units.get_item(
        consistent
    )


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def _table(headings: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headings) + " |", "|" + "|".join("---" for _ in headings) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def _counted(counter: Counter[str] | None) -> str:
    if counter is None:
        return "not counted (the server has no /_local/aws-requests)"
    return (
        f"{sum(counter.values())} ({', '.join(f'{op} {n}' for op, n in sorted(counter.items())) or 'none'})"
    )


def _p50_p99(phase: Phase, kind: str | None = None) -> str:
    ordered = phase.latencies(kind)
    return f"{_ms(percentile(ordered, 50))} / {_ms(percentile(ordered, 99))} ms"


def summary(phase: Phase, units: Units | None) -> dict[str, str]:
    """The headline figures of a phase, as shown."""
    total = phase.total or 1
    rcu = read_units(phase, units)
    dynamodb = None if phase.dynamodb is None else sum(phase.dynamodb.values())
    errors = Counter(s.error or f"HTTP {s.status}" for s in phase.errors)
    return {
        "requests": f"{phase.total} in {phase.seconds:.1f} s ({phase.total / max(phase.seconds, 1e-9):.0f}/s)",
        "304 share": f"{100 * phase.count(304) / total:.1f} % ({phase.count(304)})",
        "full reads (200)": f"{phase.count(200)}",
        "DynamoDB requests": _counted(phase.dynamodb),
        "DynamoDB requests per 1 000 API requests": "n/a"
        if dynamodb is None
        else f"{1000 * dynamodb / total:.1f}",
        "S3 requests": _counted(phase.s3),
        "read units consumed (computed)": "n/a"
        if rcu is None
        else f"{rcu:g} RCU, {1000 * rcu / total:.1f} per 1 000 API requests",
        "latency p50 / p99, all": _p50_p99(phase),
        "latency p50 / p99, revalidations": _p50_p99(phase, REVALIDATE),
        "latency p50 / p99, full reads": _p50_p99(phase, FULL),
        "one client alone, p50: revalidation / full read": (
            f"{_ms(percentile(phase.latencies(REVALIDATE, alone=True), 50))} / "
            f"{_ms(percentile(phase.latencies(FULL, alone=True), 50))} ms "
            f"({ALONE_REVALIDATIONS} + {ALONE_FULL_READS} sequential requests before the load)"
        ),
        "errors": f"{len(phase.errors)}"
        + (f" ({', '.join(f'{k} ×{n}' for k, n in errors.most_common())})" if errors else ""),
        "unexpected answers": f"{phase.unexpected} (revalidation → 200 or full read → 304)",
    }


def _facts(agenda: Agenda, units: Units | None) -> list[list[str]]:
    shown = ", ".join(f"{n} {name}" for name, n in agenda.content.items())
    ratio = agenda.body_bytes / max(agenda.gzip_bytes, 1)
    facts = [
        ["agenda", f"`{agenda.id}` ({agenda.seeded}), version {agenda.version}: {shown}"],
        ["full read answer", f"{agenda.body_bytes} bytes ({_kb(agenda.body_bytes)}) of JSON"],
        [
            "anonymous full read: the public snapshot, one S3 GetObject",
            f"{agenda.gzip_bytes} bytes ({_kb(agenda.gzip_bytes)}, gzip level 9, 1/{ratio:.1f}) as stored, "
            f"served with Content-Encoding: {agenda.encoding} to a client accepting gzip: **0 RCU**",
        ],
        [
            "snapshot ready",
            f"{agenda.snapshot_wait_s:.1f} s after the seeding's last write (stream delivered every 0.25 s, "
            "then one rebuild per batch)",
        ],
    ]
    if units is None:
        return [*facts, ["read units", "not measured (no emulator endpoint: --url mode)"]]
    part = units.partition
    return [
        *facts,
        [
            "revalidation (anonymous or member): one GetItem of the agenda item",
            f"{units.agenda_item_bytes} bytes: **{units.get_item(False):g} RCU** eventually consistent "
            f"(anonymous), {units.get_item(True):g} strongly (members)",
        ],
        [
            "member's full read: one Query of the partition",
            f"{part.items} items, {_kb(part.bytes)} as DynamoDB sizes them, {part.pages} page(s): "
            f"**{part.strong_rcu:g} RCU** strongly consistent (members), {part.eventual_rcu:g} eventually",
        ],
    ]


def render(
    header: list[str], agenda: Agenda, units: Units | None, phases: list[Phase], notes: list[str]
) -> str:
    lines = ["# Load test: a burst of app opens on one agenda", "", *header, ""]
    lines += ["## Results", ""]
    rows = [[name, *(summary(p, units)[name] for p in phases)] for name in summary(phases[0], units)]
    lines += _table(["", *(f"{p.name}: {p.what}" for p in phases)], rows)
    lines += ["", "## The agenda read", ""]
    lines += _table(["what", "figure"], _facts(agenda, units))
    if notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def header(argv: list[str], args: argparse.Namespace, load_before: float) -> list[str]:
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    python = Path(sys.executable)
    shown = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
    return [
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; code at `{commit or 'unknown'}`",
        f"- Machine: {os.cpu_count()} CPUs, {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average (1 min) {load_before:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end",
        f"- Command: `{shlex.join([str(shown), '-m', 'bench.loadtest', *argv])}`",
        f"- Mix: {100 * args.revalidate:.0f} % revalidations (If-None-Match: the ETag the app holds), "
        f"{100 - 100 * args.revalidate:.0f} % full reads; {args.threads} client threads, each a closed loop "
        "(no think time), a new connection per request, `Accept-Encoding: gzip`; "
        f"{args.seconds:g} s per phase after a warm-up read (the function already imported). Phases: "
        "**snapshot**, the burst anonymous, as apps read a published agenda; **members**, the same burst "
        "signed in (the agenda's owner's token), which always reads the table",
    ]


NOTES = [
    "Everything runs on this machine: the clients, the server (one Python process: API Gateway "
    "emulation, the functions, the stream's delivery and moto) share its CPUs. The local gateway runs "
    "**one container per function**, one invocation at a time (local/gateway.py), so the agendas "
    "function serves the whole burst alone: the rate here is that one container's, and latency under "
    "concurrency is mostly queueing for it. On Lambda a burst fans out to as many containers as "
    "requests in flight.",
    "moto is far slower than DynamoDB (a Query of a 200-session partition costs it hundreds of ms, "
    "DynamoDB a few ms), so the members phase's full reads are slow here for the emulator's sake; "
    "the request counts and the read units are what carry over to AWS, not the milliseconds.",
    "The burst starts once the snapshot answers at the agenda's version: the dev server delivers the "
    "table's stream to the snapshot function every 0.25 s (local/streams.py); no write happens during "
    "the phases, so the stream's delivery sends no DynamoDB or S3 request then (its own polling, "
    "DynamoDB Streams GetRecords, is another service and is not counted above).",
    "DynamoDB and S3 requests are every HTTP request the server process's botocore clients sent to "
    "that service during the load (retries included), read from GET /_local/aws-requests before and after.",
    "Read units are computed from the stored items by DynamoDB's documented sizing rules "
    "(bench/capacity.py), since moto answers ReturnConsumedCapacity with a constant.",
]
