"""`make loadtest`: a bounded burst of app opens on one published agenda, against the local server.

    .venv/bin/python -m bench.loadtest [--url URL [--agenda ID]] [--seconds S] [--threads N]

What it simulates: many phones opening the app at once on ONE published agenda. 80 % of the opens
revalidate (GET /v1/agendas/{id} with If-None-Match: the ETag the app holds, expecting 304), 20 %
read the full agenda (200); several client threads, each a closed loop of one request at a time,
new connection per request (an app open), `Accept-Encoding: gzip`, on 127.0.0.1.

Without --url it starts its own server (`python -m local.server --port 0 --no-seed`, as
tests/dev_server.py does), seeds a realistic agenda through the API (200 sessions), waits until
the agenda's public snapshot answers at the agenda's version (the server delivers the table's
stream to the snapshot function every 0.25 s), and runs two phases on that agenda:

- **snapshot**: the burst anonymous, as apps read a published agenda: a full read is the public
  snapshot (one S3 GetObject, no DynamoDB request), a revalidation one GetItem of the agenda item;
- **members**: the same burst signed in (the owner's token): members always read the table, a full
  read one consistent Query of the partition, a revalidation one consistent GetItem.

With --url (a running `make dev`) it seeds there (or reads --agenda) and runs the snapshot phase,
and the members phase too when it seeded the agenda (it then holds a token). AWS requests are
counted inside the server process (GET /_local/aws-requests, kept by local/request_counter.py).
The read units are computed from the stored items (bench/capacity.py: moto reports a constant).
Everything stops by itself within --max-seconds (default 115 s); the result goes to
bench/LOADTEST.md (bench/loadtest_report.py).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import math
import os
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.loadtest_report import (
    ALONE_FULL_READS,
    ALONE_REVALIDATIONS,
    FULL,
    NOTES,
    REVALIDATE,
    Agenda,
    Phase,
    Sample,
    Units,
    header,
    measure_units,
    render,
    summary,
)
from bench.loadtest_server import REQUEST_SECONDS, Answer, Server, aws_requests, call, delta
from bench.seed import CONTENT, PASSWORD, agenda_body

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "LOADTEST.md"
SLOTS_PER_DAY = 16  # bench/seed.py: 30-minute slots from 09:00, one session per venue in each
SNAPSHOT_SECONDS = 30.0  # the longest wait for the snapshot to catch up with the seeding
# Kept free after the phases: the read units and stopping the server (~2 s; past the bound the
# watchdog kills the server anyway).
RESERVE_SECONDS = 10.0


# -- the agenda ----------------------------------------------------------------------------------


def _expect(answer: Answer, status: int, what: str) -> Any:
    if answer.status != status:
        raise RuntimeError(f"seeding {what}: HTTP {answer.status} {answer.body[:300]!r}")
    return answer.json()


def seed_agenda(api: str, sessions: int, speakers: int) -> tuple[str, dict[str, str]]:
    """A published agenda with bench/seed.py's content (4 tracks, 4 venues, 6 categories, and
    `speakers` speakers, `sessions` sessions), created through the API: (its id, its owner's
    Authorization header)."""
    email = f"loadtest-{uuid.uuid4().hex[:10]}@example.com"
    _expect(
        call(api, "POST", "/v1/users", body={"email": email, "password": PASSWORD, "name": "Load"}),
        201,
        "a user",
    )
    login = {"email": email, "password": PASSWORD}
    token = _expect(call(api, "POST", "/v1/auth/token", body=login), 200, "a token")["access_token"]
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
            ids.append(str(_expect(answer, 201, f"{resource.plural} #{i}")["id"]))
    return str(agenda["id"]), auth


def _anonymous_read(api: str, agenda_id: str) -> tuple[Answer, bytes]:
    """The anonymous full read as an app holding nothing gets it: (the answer, its JSON)."""
    answer = call(api, "GET", f"/v1/agendas/{agenda_id}", headers={"Accept-Encoding": "gzip"})
    if answer.status != 200 or "etag" not in answer.headers:
        raise RuntimeError(f"anonymous full read of {agenda_id}: HTTP {answer.status} {answer.body[:300]!r}")
    gzipped = answer.headers.get("content-encoding", "").lower() == "gzip"
    return answer, gzip.decompress(answer.body) if gzipped else answer.body


def wait_for_snapshot(api: str, agenda_id: str, version: int | None, seconds: float) -> float:
    """Seconds until the anonymous read answers from the snapshot (gzip bytes as stored) at
    `version` (None: any). Raises RuntimeError when it does not within `seconds`."""
    started = time.monotonic()
    while True:
        answer, text = _anonymous_read(api, agenda_id)
        fresh = version is None or json.loads(text).get("version") == version
        if answer.headers.get("content-encoding", "").lower() == "gzip" and fresh:
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            raise RuntimeError(f"no snapshot of {agenda_id} at version {version} after {seconds:g} s")
        time.sleep(0.1)


def describe_agenda(api: str, agenda_id: str, seeded: str, waited: float) -> Agenda:
    answer, text = _anonymous_read(api, agenda_id)
    full = json.loads(text)
    content = {
        name: len(full.get(name) or []) for name in ("sessions", "speakers", "tracks", "venues", "categories")
    }
    return Agenda(
        agenda_id,
        answer.headers["etag"],
        int(full.get("version") or 0),
        len(text),
        len(answer.body),
        content,
        seeded,
        answer.headers.get("content-encoding", "identity"),
        waited,
    )


# -- the load ------------------------------------------------------------------------------------


def _open_app(phase: Phase, path: str, kind: str, held: str) -> tuple[Sample, str]:
    """One app open: (what happened, the ETag the app holds after it)."""
    headers = {"Accept-Encoding": "gzip", "User-Agent": "agenda-loadtest", **phase.headers}
    if kind == REVALIDATE:
        headers["If-None-Match"] = held
    started = time.perf_counter()
    try:
        answer = call(phase.url, "GET", path, headers=headers)
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
    # The apps hold the ETag of what they read: members' differs from the public one.
    held = agenda.etag
    for kind in (FULL, REVALIDATE):
        sample, held = _open_app(phase, path, kind, held)
        if sample.status != (200 if kind == FULL else 304):
            raise RuntimeError(f"{phase.name}: warm-up {kind} read answered {sample.status} {sample.error}")
    # One client alone first: what a request costs this server without queueing behind others.
    for kind in [REVALIDATE] * ALONE_REVALIDATIONS + [FULL] * ALONE_FULL_READS:
        sample, held = _open_app(phase, path, kind, held)
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
            sample, etag = _open_app(phase, path, kind, etag)
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
    after = aws_requests(phase.url)
    phase.dynamodb, phase.s3 = delta(before, after, "dynamodb"), delta(before, after, "s3")
    return phase


# -- main ----------------------------------------------------------------------------------------


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running `make dev` (e.g. http://127.0.0.1:3000)")
    parser.add_argument("--agenda", help="with --url: a published agenda to read instead of seeding one")
    parser.add_argument("--seconds", type=float, default=15.0, help="load per phase (default 15)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--revalidate", type=float, default=0.8, help="share of revalidations (0.8)")
    parser.add_argument("--sessions", type=int, default=200, help="sessions in the seeded agenda (200)")
    parser.add_argument("--speakers", type=int, default=100, help="speakers in the seeded agenda (100)")
    parser.add_argument("--no-members", action="store_true", help="skip the members phase")
    parser.add_argument("--max-seconds", type=float, default=115.0, help="hard bound on the run (115)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the request mix")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (bench/LOADTEST.md)")
    args = parser.parse_args(argv)
    if args.agenda and not args.url:
        parser.error("--agenda needs --url (without it the agenda is seeded on the server started here)")
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
        _say(f"over the {args.max_seconds:g} s bound: stopping the server, no report written")
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
            servers.append(Server("local", [], {}))
            api = _timed("starting the local server", servers[0].wait_ready).url
        auth: dict[str, str] | None = None
        member_etag = ""
        if args.agenda:
            agenda_id, seeded, version = args.agenda, "given with --agenda", None
            seeding_done = time.monotonic()
        else:
            seeding_started = time.monotonic()
            agenda_id, auth = _timed(
                f"seeding an agenda ({args.sessions} sessions, {args.speakers} speakers)",
                lambda: seed_agenda(api, args.sessions, args.speakers),
            )
            seeding_done = time.monotonic()
            seeded = (
                f"seeded through the API with bench/seed.py's content in {seeding_done - seeding_started:.0f} s: "
                "a session write's answer queries the sessions for its conflicts, and the server "
                "rebuilds the snapshot from the stream as the agenda grows"
            )
            owner_read = call(api, "GET", f"/v1/agendas/{agenda_id}", headers=auth)
            version = int(_expect(owner_read, 200, "the owner's read")["version"])
            member_etag = owner_read.headers.get("etag", "")
        _timed(
            "waiting for the public snapshot",
            lambda: wait_for_snapshot(api, agenda_id, version, SNAPSHOT_SECONDS),
        )
        waited = time.monotonic() - seeding_done  # since the seeding's last write was answered
        agenda = describe_agenda(api, agenda_id, seeded, waited)
        plan = [Phase("snapshot", "anonymous: the public snapshot, as apps read", api, args.threads)]
        if auth is not None and not args.no_members:
            what = "signed in (the owner): always the table, consistently"
            plan.append(Phase("members", what, api, args.threads, headers=auth, consistent=True))
        for number, phase in enumerate(plan):
            # Room for the phases still to come, the read units and stopping the server.
            seconds = min(args.seconds, (left() - RESERVE_SECONDS) / (len(plan) - number) - 3)
            if seconds < 5:
                notes.append(f"Phase {phase.name!r} skipped: the {args.max_seconds:g} s bound was reached.")
                continue
            if seconds < args.seconds:
                notes.append(
                    f"Phase {phase.name!r} shortened to {seconds:.0f} s by the {args.max_seconds:g} s bound."
                )
            # A member revalidates the ETag of what a member read.
            phase_agenda = replace(agenda, etag=member_etag) if phase.headers else agenda
            _say(f"phase {phase.name}: {args.threads} clients for {seconds:.0f} s...")
            phases.append(run_phase(phase, phase_agenda, seconds, args.revalidate, args.seed))
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
    text = render(header(argv, args, load_before), agenda, units, phases, notes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    for phase in phases:
        print(f"\n{phase.name}: {phase.what}")
        for name, value in summary(phase, units).items():
            print(f"  {name:48} {value}")
    where = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"\nwrote {where} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
