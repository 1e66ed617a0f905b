"""`make loadtest`: a bounded burst of app opens on one published agenda, against the local server.

    .venv/bin/python -m bench.loadtest [--url URL [--agenda ID]] [--seconds S] [--threads N]

What it simulates: many phones opening the app at once on ONE published agenda, anonymously.
80 % of the opens revalidate (GET /v1/agendas/{id} with If-None-Match: the ETag the app holds,
expecting 304), 20 % read the full agenda (200); several client threads, each a closed loop of
one request at a time, new connection per request (an app open), on 127.0.0.1.

Without --url it starts its own servers (`python -m local.server --port 0 --no-seed`, as
tests/dev_server.py does), seeds a realistic agenda through the API (200 sessions), and runs two
phases on that same agenda and table:

- **as deployed**: the local server as `make dev` runs it, the agendas function's 5 s
  in-container micro-cache on (http/public_cache.py);
- **uncached**: a second server with PUBLIC_READ_CACHE_SECONDS=0 whose DynamoDB is the first
  server's moto (`--aws-endpoint`): what each request costs when it reaches a container whose
  micro-cache is cold (a burst spread over many containers, or requests > 5 s apart).

With --url (a running `make dev`) it seeds there (or reads --agenda) and runs the first phase.
DynamoDB requests are counted inside each server process (GET /_local/aws-requests, kept by
local/request_counter.py). The read units of the agenda's full read and of the revalidation are
computed from the stored items (bench/capacity.py: moto reports a constant). Everything stops by
itself within --max-seconds (default 115 s); the last result goes to bench/LOADTEST.md.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import math
import os
import platform
import queue
import random
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.capacity import ReadCost, item_size, partition_cost
from bench.seed import CONTENT, PASSWORD, agenda_body

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "LOADTEST.md"
COUNTERS_PATH = "/_local/aws-requests"  # local/server.py
API_LINE = re.compile(r"^\s+API\s+(http://\S+)/v1\s*$")
MOTO_LINE = re.compile(r"^\s+AWS\s+moto at (http://\S+)")
READY_LINE = "Ctrl-C to stop."
START_SECONDS = 60.0
STOP_SECONDS = 20.0
REQUEST_SECONDS = 30.0
SLOTS_PER_DAY = 16  # bench/seed.py: 30-minute slots from 09:00, one session per venue in each
REVALIDATE, FULL = "revalidate", "full"
ALONE_REVALIDATIONS, ALONE_FULL_READS = 10, 5  # sequential, before each phase's load


# -- the servers ---------------------------------------------------------------------------------


class Server:
    """`python -m local.server --port 0 --no-seed <extra>` in a process of its own; its output is
    drained by a thread (it logs every request) and its banner read for the URLs."""

    def __init__(self, name: str, extra: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.server", "--port", "0", "--no-seed", *extra],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )
        self.tail: deque[str] = deque(maxlen=60)  # the last lines, for a failure's message
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._banner_done = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""
        self.moto = ""

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.tail.append(line)
            if not self._banner_done.is_set():
                self._lines.put(line)
                if READY_LINE in line:
                    self._banner_done.set()
        self._lines.put(None)

    def wait_ready(self, seconds: float = START_SECONDS) -> Server:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if match := API_LINE.match(line):
                self.url = match.group(1)
            if match := MOTO_LINE.match(line):
                self.moto = match.group(1)
            if READY_LINE in line and self.url:
                return self
        raise RuntimeError(
            f"{self.name} server not ready (exit {self.process.poll()}):\n{''.join(self.tail)}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_SECONDS)


# -- HTTP ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    base: str, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
) -> Answer:
    """One request on a new connection (the local server speaks HTTP/1.0: one request each)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=REQUEST_SECONDS
    )
    try:
        sent = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection.request(method, parts.path + path, body=data, headers=sent)
        response = connection.getresponse()
        payload = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, payload)
    finally:
        connection.close()


def aws_requests(base: str) -> dict[str, dict[str, int]] | None:
    """The server's AWS request totals (local/request_counter.py), or None if it has no counter."""
    try:
        answer = call(base, "GET", COUNTERS_PATH)
    except OSError:
        return None
    if answer.status != 200:
        return None
    try:
        counts = answer.json()["aws_requests"]
    except (ValueError, KeyError, TypeError):
        return None
    return counts if isinstance(counts, dict) else None


def _dynamodb_delta(before: dict[str, Any] | None, after: dict[str, Any] | None) -> Counter[str] | None:
    if before is None or after is None:
        return None
    old, new = before.get("dynamodb", {}), after.get("dynamodb", {})
    return Counter({op: n - old.get(op, 0) for op, n in new.items() if n - old.get(op, 0)})


# -- the agenda ----------------------------------------------------------------------------------


@dataclass
class Agenda:
    id: str
    etag: str
    body_bytes: int
    gzip_bytes: int
    content: dict[str, int]  # counts of each content list in the full read
    seeded: str  # how it came to be
    encoding: str  # Content-Encoding of the server's answer to a client accepting gzip


def _expect(answer: Answer, status: int, what: str) -> Any:
    if answer.status != status:
        raise RuntimeError(f"seeding {what}: HTTP {answer.status} {answer.body[:300]!r}")
    return answer.json()


def seed_agenda(api: str, sessions: int, speakers: int) -> str:
    """A published agenda with bench/seed.py's content (4 tracks, 4 venues, 6 categories, and
    `speakers` speakers, `sessions` sessions), created through the API: its id."""
    email = f"loadtest-{uuid.uuid4().hex[:10]}@example.com"
    _expect(
        call(api, "POST", "/v1/users", body={"email": email, "password": PASSWORD, "name": "Load"}),
        201,
        "a user",
    )
    token = _expect(
        call(api, "POST", "/v1/auth/token", body={"email": email, "password": PASSWORD}), 200, "a token"
    )["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    counts = {"sessions": sessions, "speakers": speakers}
    venues = next((r.count for r in CONTENT if r.plural == "venues"), 1)
    days = max(1, math.ceil(sessions / (SLOTS_PER_DAY * max(1, venues))))
    body = {**agenda_body("Load Conf 2030"), "duration": days}
    agenda = _expect(call(api, "POST", "/v1/agendas", body=body, headers=auth), 201, "the agenda")
    seeded: dict[str, list[str]] = {}
    for resource in CONTENT:
        ids = seeded.setdefault(resource.plural, [])
        for i in range(counts.get(resource.plural, resource.count)):
            path = f"/v1/agendas/{agenda['id']}/{resource.plural}"
            answer = call(api, "POST", path, body=resource.body(i, seeded), headers=auth)
            ids.append(_expect(answer, 201, f"{resource.plural} #{i}")["id"])
    return str(agenda["id"])


def describe_agenda(api: str, agenda_id: str, seeded: str) -> Agenda:
    """The agenda's anonymous full read, as a client holding nothing gets it."""
    answer = call(api, "GET", f"/v1/agendas/{agenda_id}", headers={"Accept-Encoding": "gzip"})
    if answer.status != 200 or "etag" not in answer.headers:
        raise RuntimeError(f"anonymous full read of {agenda_id}: HTTP {answer.status} {answer.body[:300]!r}")
    # API.md §5 plans gzip bytes as stored for a client that accepts gzip: sized either way.
    body = answer.body
    if answer.headers.get("content-encoding", "").lower() == "gzip":
        body = gzip.decompress(body)
    full = json.loads(body)
    content = {
        name: len(full.get(name) or []) for name in ("sessions", "speakers", "tracks", "venues", "categories")
    }
    return Agenda(
        agenda_id,
        answer.headers["etag"],
        len(body),
        len(gzip.compress(body, compresslevel=6)),
        content,
        seeded,
        answer.headers.get("content-encoding", "identity"),
    )


@dataclass(frozen=True)
class Units:
    """Read units of the full read (one Query of the partition) and of the revalidation (one
    GetItem of the agenda item), by DynamoDB's sizing rules (bench/capacity.py)."""

    partition: ReadCost
    agenda_item_bytes: int

    @property
    def revalidation_rcu(self) -> float:  # eventually consistent (anonymous)
        return math.ceil(self.agenda_item_bytes / 4096) * 0.5


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


# -- the load ------------------------------------------------------------------------------------


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
    seconds: float = 0.0  # measured wall time of the load
    samples: list[Sample] = field(default_factory=list)
    alone: list[Sample] = field(default_factory=list)  # one client, before the load: no queue
    dynamodb: Counter[str] | None = None  # DynamoDB requests the server sent during the load

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

    @property
    def dynamodb_total(self) -> int | None:
        return None if self.dynamodb is None else sum(self.dynamodb.values())

    @property
    def dynamodb_per_1000(self) -> float | None:
        total = self.dynamodb_total
        return None if total is None or not self.total else 1000 * total / self.total


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _open_app(api: str, path: str, kind: str, held: str) -> tuple[Sample, str]:
    """One app open: (what happened, the ETag the app holds after it)."""
    headers = {"Accept-Encoding": "gzip", "User-Agent": "agenda-loadtest"}
    if kind == REVALIDATE:
        headers["If-None-Match"] = held
    started = time.perf_counter()
    try:
        answer = call(api, "GET", path, headers=headers)
    except (OSError, http.client.HTTPException) as error:
        return Sample(kind, 0, (time.perf_counter() - started) * 1000, type(error).__name__), held
    ms = (time.perf_counter() - started) * 1000
    if answer.status == 200 and not answer.body:
        return Sample(kind, answer.status, ms, "empty 200"), held
    return Sample(kind, answer.status, ms), answer.headers.get("etag", held)


def run_phase(phase: Phase, agenda: Agenda, seconds: float, share: float, seed: int) -> Phase:
    """`phase.threads` clients, each opening the app again and again until `seconds` pass."""
    path = f"/v1/agendas/{agenda.id}"
    # Warm: the function imported, as in a burst's steady state (a cold start is not the point).
    # The apps hold this server's ETag: it covers the URLs in the body, so each origin has its own.
    held = agenda.etag
    for kind in (FULL, REVALIDATE):
        sample, held = _open_app(phase.url, path, kind, held)
        if sample.status != (200 if kind == FULL else 304):
            raise RuntimeError(f"{phase.name}: warm-up {kind} read answered {sample.status} {sample.error}")
    # One client alone first: what a request costs this server without queueing behind others.
    for kind in [REVALIDATE] * ALONE_REVALIDATIONS + [FULL] * ALONE_FULL_READS:
        sample, held = _open_app(phase.url, path, kind, held)
        if sample.status != (200 if kind == FULL else 304):
            raise RuntimeError(f"{phase.name}: a lone {kind} read answered {sample.status} {sample.error}")
        phase.alone.append(sample)
    before = aws_requests(phase.url)
    lock = threading.Lock()
    start_line = threading.Barrier(phase.threads + 1)
    deadline = [0.0]

    def client(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        etag, mine = held, []
        start_line.wait()
        while time.perf_counter() < deadline[0]:
            kind = REVALIDATE if rng.random() < share else FULL
            sample, etag = _open_app(phase.url, path, kind, etag)
            mine.append(sample)
        with lock:
            phase.samples.extend(mine)

    workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(phase.threads)]
    for worker in workers:
        worker.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    start_line.wait()
    for worker in workers:
        worker.join(timeout=seconds + REQUEST_SECONDS + 5)
    phase.seconds = time.perf_counter() - started
    phase.dynamodb = _dynamodb_delta(before, aws_requests(phase.url))
    return phase


# -- the report ----------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def _table(headings: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headings) + " |", "|" + "|".join("---" for _ in headings) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def read_units(phase: Phase, units: Units | None) -> float | None:
    """The read units the phase's DynamoDB requests consumed, for today's read path: each Query a
    full read of the partition, each GetItem the agenda item (a revalidation). A full read served
    from a stored snapshot would be a GetItem too, and would need its own size here."""
    if units is None or phase.dynamodb is None:
        return None
    known = phase.dynamodb["Query"] * units.partition.eventual_rcu
    return known + phase.dynamodb["GetItem"] * units.revalidation_rcu


def summary(phase: Phase, units: Units | None) -> dict[str, str]:
    """The headline figures of a phase, as shown."""
    total = phase.total or 1
    rcu = read_units(phase, units)
    per_1000 = phase.dynamodb_per_1000
    ddb = (
        "not counted (the server has no /_local/aws-requests)"
        if phase.dynamodb is None
        else f"{phase.dynamodb_total} ({', '.join(f'{op} {n}' for op, n in sorted(phase.dynamodb.items())) or 'none'})"
    )
    errors = Counter(s.error or f"HTTP {s.status}" for s in phase.errors)
    return {
        "requests": f"{phase.total} in {phase.seconds:.1f} s ({phase.total / max(phase.seconds, 1e-9):.0f}/s)",
        "304 share": f"{100 * phase.count(304) / total:.1f} % ({phase.count(304)})",
        "full reads (200)": f"{phase.count(200)}",
        "DynamoDB requests": ddb,
        "DynamoDB requests per 1 000 API requests": "n/a" if per_1000 is None else f"{per_1000:.1f}",
        "read units consumed (computed)": "n/a"
        if rcu is None
        else f"{rcu:g} RCU, {1000 * rcu / total:.1f} per 1 000 API requests",
        "latency p50 / p99, all": f"{_ms(percentile(phase.latencies(), 50))} / {_ms(percentile(phase.latencies(), 99))} ms",
        "latency p50 / p99, revalidations": (
            f"{_ms(percentile(phase.latencies(REVALIDATE), 50))} / "
            f"{_ms(percentile(phase.latencies(REVALIDATE), 99))} ms"
        ),
        "latency p50 / p99, full reads": (
            f"{_ms(percentile(phase.latencies(FULL), 50))} / {_ms(percentile(phase.latencies(FULL), 99))} ms"
        ),
        "one client alone, p50: revalidation / full read": (
            f"{_ms(percentile(phase.latencies(REVALIDATE, alone=True), 50))} / "
            f"{_ms(percentile(phase.latencies(FULL, alone=True), 50))} ms "
            f"({ALONE_REVALIDATIONS} + {ALONE_FULL_READS} sequential requests before the load)"
        ),
        "errors": f"{len(phase.errors)}"
        + (f" ({', '.join(f'{k} ×{n}' for k, n in errors.most_common())})" if errors else ""),
        "unexpected answers": f"{phase.unexpected} (revalidation → 200 or full read → 304)",
    }


def render(
    header: list[str], agenda: Agenda, units: Units | None, phases: list[Phase], notes: list[str]
) -> str:
    lines = ["# Load test: a burst of app opens on one agenda", "", *header, ""]
    lines += ["## Results", ""]
    rows = [[name, *(summary(p, units)[name] for p in phases)] for name in summary(phases[0], units)]
    lines += _table(["", *(f"{p.name}: {p.what}" for p in phases)], rows)
    lines += ["", "## The agenda read", ""]
    shown = ", ".join(f"{n} {name}" for name, n in agenda.content.items())
    ratio = agenda.body_bytes / max(agenda.gzip_bytes, 1)
    facts = [
        ["agenda", f"`{agenda.id}` ({agenda.seeded}): {shown}"],
        [
            "full read answer",
            f"{agenda.body_bytes} bytes ({_kb(agenda.body_bytes)}) of JSON; served with "
            f"Content-Encoding: {agenda.encoding} to a client accepting gzip",
        ],
        [
            "same, gzip (level 6)",
            f"{agenda.gzip_bytes} bytes ({_kb(agenda.gzip_bytes)}), 1/{ratio:.1f} of it",
        ],
    ]
    if units is not None:
        part = units.partition
        gzip_rcu = math.ceil(agenda.gzip_bytes / 4096) * 0.5
        facts += [
            [
                "full read today: one Query of the partition",
                f"{part.items} items, {_kb(part.bytes)} as DynamoDB sizes them, {part.pages} page(s): "
                f"**{part.eventual_rcu:g} RCU** eventually consistent (anonymous), {part.strong_rcu:g} strongly",
            ],
            [
                "revalidation: one GetItem of the agenda item",
                f"{units.agenda_item_bytes} bytes: **{units.revalidation_rcu:g} RCU** eventually consistent",
            ],
            [
                "planned public snapshot: one GetItem of the gzip bytes",
                f"~{_kb(agenda.gzip_bytes)} (+ key and attribute names): **{gzip_rcu:g} RCU** eventually "
                "consistent (estimate from the gzip size above)",
            ],
        ]
    else:
        facts.append(["read units", "not measured (no emulator endpoint: --url mode)"])
    lines += _table(["what", "figure"], facts)
    if notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def _header(argv: list[str], args: argparse.Namespace, load_before: float) -> list[str]:
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
        f"{100 - 100 * args.revalidate:.0f} % full reads; anonymous; {args.threads} client threads, each a "
        "closed loop (no think time), a new connection per request, `Accept-Encoding: gzip`; "
        f"{args.seconds:g} s per phase after a warm-up read (the function already imported)",
    ]


NOTES = [
    "Everything runs on this machine: the clients, the server (one Python process: API Gateway "
    "emulation, the functions, and moto) share its CPUs. The local gateway runs **one container per "
    "function**, one invocation at a time (local/gateway.py), so the agendas function serves the whole "
    "burst alone: the rate here is that one container's, and latency under concurrency is mostly "
    "queueing for it. On Lambda a burst fans out to as many containers as requests in flight.",
    "moto is far slower than DynamoDB (a Query of a 200-session partition costs it hundreds of ms, "
    "DynamoDB a few ms), so the uncached phase's full reads are slow here for the emulator's sake; "
    "the request counts and the read units are what carry over to AWS, not the milliseconds.",
    "DynamoDB requests are every HTTP request the server process's botocore clients sent to DynamoDB "
    "during the load (retries included), read from GET /_local/aws-requests before and after.",
    "Read units are computed from the stored items by DynamoDB's documented sizing rules "
    "(bench/capacity.py), since moto answers ReturnConsumedCapacity with a constant.",
]


# -- main ----------------------------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running `make dev` (e.g. http://127.0.0.1:3000): one phase there")
    parser.add_argument("--agenda", help="with --url: a published agenda to read instead of seeding one")
    parser.add_argument("--seconds", type=float, default=30.0, help="load per phase (default 30)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--revalidate", type=float, default=0.8, help="share of revalidations (0.8)")
    parser.add_argument("--sessions", type=int, default=200, help="sessions in the seeded agenda (200)")
    parser.add_argument("--speakers", type=int, default=100, help="speakers in the seeded agenda (100)")
    parser.add_argument("--no-uncached", action="store_true", help="skip the uncached phase")
    parser.add_argument("--max-seconds", type=float, default=115.0, help="hard bound on the run (115)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the request mix")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (bench/LOADTEST.md)")
    args = parser.parse_args(argv)
    if args.agenda and not args.url:
        parser.error("--agenda needs --url (without it the agenda is seeded on the servers started here)")
    if not 0 <= args.revalidate <= 1 or args.threads < 1 or args.seconds <= 0:
        parser.error("--revalidate must be in [0, 1], --threads ≥ 1, --seconds > 0")
    return args


def _say(text: str) -> None:
    print(f"loadtest: {text}", file=sys.stderr, flush=True)


def _timed[T](title: str, action: Callable[[], T]) -> T:
    started = time.perf_counter()
    _say(f"{title}...")
    result = action()
    _say(f"{title}: {time.perf_counter() - started:.1f} s")
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parse(argv)
    started = time.monotonic()
    load_before = os.getloadavg()[0]

    def left() -> float:
        return args.max_seconds - (time.monotonic() - started)

    servers: list[Server] = []
    phases: list[Phase] = []
    units: Units | None = None
    notes = list(NOTES)

    def give_up() -> None:
        # The phases are sized to end well before this; a hung server or seeding must not outlive it.
        _say(f"over the {args.max_seconds:g} s bound: stopping the servers, no report written")
        for server in servers:
            if server.process.poll() is None:
                server.process.kill()
        os._exit(124)

    watchdog = threading.Timer(args.max_seconds, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        if args.url:
            api = args.url.rstrip("/").removesuffix("/v1")
        else:
            servers.append(Server("as deployed", [], {}))
            api = _timed("starting the local server", servers[0].wait_ready).url
            if not args.no_uncached:
                # Its start overlaps the seeding; its DynamoDB is the first server's moto.
                uncached = ["--aws-endpoint", servers[0].moto]
                servers.append(Server("uncached", uncached, {"PUBLIC_READ_CACHE_SECONDS": "0"}))
        if args.agenda:
            agenda_id, seeded = args.agenda, "given with --agenda"
        else:
            agenda_id = _timed(
                f"seeding an agenda ({args.sessions} sessions, {args.speakers} speakers)",
                lambda: seed_agenda(api, args.sessions, args.speakers),
            )
            seeded = "seeded through the API with bench/seed.py's content"
        agenda = describe_agenda(api, agenda_id, seeded)
        plan = [("as deployed", "5 s micro-cache on, as `make dev`", api)]
        if len(servers) > 1:
            plan.append(
                (
                    "uncached",
                    "PUBLIC_READ_CACHE_SECONDS=0, every request reaches DynamoDB",
                    servers[1].wait_ready().url,
                )
            )
        for number, (name, what, url) in enumerate(plan):
            # Room for the phases still to come, the read units and stopping the servers.
            seconds = min(args.seconds, (left() - STOP_SECONDS) / (len(plan) - number) - 3)
            if seconds < 5:
                notes.append(f"Phase {name!r} skipped: the {args.max_seconds:g} s bound was reached.")
                continue
            if seconds < args.seconds:
                notes.append(
                    f"Phase {name!r} shortened to {seconds:.0f} s by the {args.max_seconds:g} s bound."
                )
            _say(f"phase {name}: {args.threads} clients for {seconds:.0f} s...")
            phases.append(
                run_phase(Phase(name, what, url, args.threads), agenda, seconds, args.revalidate, args.seed)
            )
        if servers and servers[0].moto:
            units = measure_units(servers[0].moto, agenda.id)
    except Exception:
        for server in servers:
            _say(f"the {server.name} server's last lines:\n{''.join(server.tail)}")
        raise
    finally:
        for server in servers:
            server.stop()
        watchdog.cancel()
    if not phases:
        _say("no phase ran")
        return 1
    text = render(_header(argv, args, load_before), agenda, units, phases, notes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    for phase in phases:
        print(f"\n{phase.name}: {phase.what}")
        for name, value in summary(phase, units).items():
            print(f"  {name:42} {value}")
    where = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"\nwrote {where} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
