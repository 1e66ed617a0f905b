"""Cold starts: each function (and the bare handler) imported and invoked once in a fresh process.

A Lambda cold start is the interpreter start, the import of the handler module and the first
invocation (where lazy clients are made). The interpreter start is the same for everyone, so what
is timed, inside the child, is import + first invocation; see child.py. A function with API routes
serves one request first (REPRESENTATIVE); one the table's stream triggers (functions/snapshots)
gets one INSERT of a change record of the seeded agenda (bench/stream_event.py).
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.child import IMPORT_MARKER, PHASE_MARKER, RESULT_MARKER
from bench.harness import ROOT, Stack, api_event, child_environment, layer_paths
from bench.seed import PASSWORD, SeedData
from bench.stream_event import (
    change_insert,
    delivery_message,
    expired_upload,
    import_insert,
    queue_subscribed,
    subscribed,
)

CHILD = Path(__file__).resolve().parent / "child.py"
BARE = "bare boto3"
FLOOR = "stack floor"  # bench/peers/powertools_floor.py: Powertools + pydantic, nothing of ours

# The request each function serves first: a GET where the function has one. Auth has only its
# POST (and the argon2 verification in it is a real part of that cold start). The agendas
# function's is the anonymous full read: the public snapshot, one S3 GetObject.
Request = tuple[str, str, dict[str, str], Any]  # method, path, headers, JSON body
REPRESENTATIVE: dict[str, Callable[[SeedData], Request]] = {
    "AgendasFunction": lambda d: ("GET", f"/v1/agendas/{d.agenda_id}", {}, None),
    # Exports: what conference apps fetch, the anonymous schedule.json (from the public snapshot).
    "ExportsFunction": lambda d: ("GET", f"/v1/agendas/{d.agenda_id}/schedule.json", {}, None),
    # Content: what apps do most, an anonymous list of the published agenda's items.
    "SessionsFunction": lambda d: ("GET", f"/v1/agendas/{d.agenda_id}/sessions", {}, None),
    "SpeakersFunction": lambda d: ("GET", f"/v1/agendas/{d.agenda_id}/speakers", {}, None),
    "TracksFunction": lambda d: ("GET", f"/v1/agendas/{d.agenda_id}/tracks", {}, None),
    "VenuesFunction": lambda d: ("GET", f"/v1/agendas/{d.agenda_id}/venues", {}, None),
    "CategoriesFunction": lambda d: ("GET", f"/v1/agendas/{d.agenda_id}/categories", {}, None),
    "UsersFunction": lambda d: ("GET", "/v1/users/me", d.auth(), None),
    "AuthFunction": lambda d: ("POST", "/v1/auth/token", {}, {"email": d.user_email, "password": PASSWORD}),
    "HealthFunction": lambda d: ("GET", "/v1/health", {}, None),
    "DocsFunction": lambda d: ("GET", "/v1/openapi.json", {}, None),
    "ImportsFunction": lambda d: ("GET", f"/v1/agendas/{d.agenda_id}/imports", d.auth(), None),
    "UploadsFunction": lambda d: (
        "POST",
        "/v1/uploads",
        d.auth(),
        {"purpose": "agenda_icon", "content_type": "image/png", "content_length": 1024},
    ),
}


@dataclass
class Target:
    """One thing to cold-start: a function of the template, or the bare handler."""

    name: str
    request: str  # "GET /v1/health", for the report
    code_dir: str
    handler: str
    layer_dirs: list[str]  # sys.path after the code directory: the layer, then the packages
    environment: dict[str, str]
    spec: dict[str, Any]  # what child.py reads: the event, the function name, memory
    isolated: bool = False  # `python -S`: only layer_dirs, not .venv's site-packages


@dataclass
class ColdStart:
    name: str
    request: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def median(self, key: str) -> float:
        values = [float(run[key]) for run in self.runs if key in run]
        return statistics.median(values) if values else float("nan")

    @staticmethod
    def _total(run: dict[str, Any], measure: str) -> float:
        """One run's import + first invocation: wall ("wall"), CPU ("cpu"), or wall without the
        waits that are not the function's own ("net"): blocked on the emulator (moto serves from
        the bench's process, far slower than DynamoDB: ~0.2-0.5 s for a 200-item partition that
        DynamoDB returns in a few ms, which inflates whoever reads the most, the bare handler first
        of all) and queued for a CPU behind other work on the machine."""
        if measure == "cpu":
            return float(run["import_cpu_ms"] + run["invoke_cpu_ms"])
        wall = float(run["import_ms"] + run["invoke_ms"])
        if measure != "net":
            return wall
        queued = float(run.get("import_queued_ms", 0.0)) + float(run.get("invoke_queued_ms", 0.0))
        return wall - float(run.get("aws_wait_ms", 0.0)) - queued

    def median_waits(self) -> float:
        """The median of what "net" leaves out: emulator and CPU-queue waits."""
        keys = ("aws_wait_ms", "import_queued_ms", "invoke_queued_ms")
        values = [sum(float(run.get(key, 0.0)) for key in keys) for run in self.runs]
        return statistics.median(values) if values else float("nan")

    def median_total(self, measure: str) -> float:
        return statistics.median(self._total(run, measure) for run in self.runs) if self.runs else 0.0

    @property
    def total_ms(self) -> float:
        return self.median_total("wall")

    @property
    def total_cpu_ms(self) -> float:
        return self.median_total("cpu")

    @property
    def net_ms(self) -> float:
        return self.median_total("net")

    def ratio_to(self, baseline: ColdStart, cpu: bool = False, measure: str | None = None) -> float:
        """Median over rounds of this total / the baseline's total in the same round.

        Paired by round because the two ran seconds apart: a busy machine (other test runs on
        the same cores) slows both, and the ratio of a pair cancels most of it.
        """
        measure = measure or ("cpu" if cpu else "wall")
        theirs = {run["round"]: self._total(run, measure) for run in baseline.runs}
        ratios = [
            self._total(run, measure) / theirs[run["round"]] for run in self.runs if theirs.get(run["round"])
        ]
        return statistics.median(ratios) if ratios else float("nan")

    @property
    def aws_calls(self) -> str:
        """The first invocation's AWS requests (last run), e.g. "Query", "GetSecretValue+Query"."""
        return "+".join(self.runs[-1].get("aws_calls", [])) if self.runs else ""

    @property
    def outcome(self) -> str:
        """What the first invocation answered, e.g. "200", "502", "NotImplementedError: ...", or
        for a stream handler "no failed record"."""
        if not self.runs:
            return "no run succeeded"
        last = self.runs[-1]
        if last["error"]:
            return str(last["error"])
        if "batch_failures" in last:
            failed = int(last["batch_failures"])
            return f"{failed} failed record(s)" if failed else "no failed record"
        return str(last["status"])

    @property
    def succeeded(self) -> bool:
        """The first invocation worked: an HTTP answer below 500, or a batch with no failure."""
        if not self.runs or self.runs[-1]["error"]:
            return False
        last = self.runs[-1]
        if "batch_failures" in last:
            return not int(last["batch_failures"])
        return 0 < int(last["status"] or 0) < 500


def _fallback_request(stack: Stack, function_id: str, data: SeedData) -> Request | None:
    """For a function added after this file: its first GET route whose parameters we can fill."""
    from local.template import api_routes

    for route in api_routes(stack.template):
        if route.function_id == function_id and route.method == "GET":
            path = route.path.replace("{agenda_id}", data.agenda_id)
            if "{" not in path:
                return ("GET", path, data.auth(), None)
    return None


def targets(stack: Stack, data: SeedData, pycache: Path, site: Path | None) -> list[Target]:
    """What to cold-start: every function with a request we can make, then the bare handler.

    `site` is runtime_site's package directory (children then run with `python -S`); None runs
    them on .venv's site-packages.
    """
    packages = [str(site)] if site else []
    found: list[Target] = []
    agenda_event: dict[str, Any] | None = None
    for function_id, spec in stack.functions.items():
        make = REPRESENTATIVE.get(function_id)
        request = make(data) if make else _fallback_request(stack, function_id, data)
        headers: dict[str, str] = {}
        if request is not None:
            method, path, headers, body = request
            _, event = api_event(stack.gateway, method, path, headers=headers, json_body=body)
            shown = f"{method} {event['resource']}" + (" + token" if "Authorization" in headers else "")
        elif subscribed(stack, function_id):
            try:
                event = change_insert(stack, function_id, data.agenda_id)
                sort_key = event["Records"][0]["dynamodb"]["Keys"]["sk"]["S"]
                shown = f"stream batch: 1 INSERT of CHANGES#<agenda_id> {sort_key}"
            except LookupError:  # not a change-log consumer: the upload side's, or the imports'
                try:
                    event = expired_upload(stack, function_id)
                    shown = "stream batch: 1 REMOVE of an expired upload (its files deleted)"
                except LookupError:
                    event = import_insert(stack, function_id, data.agenda_id)
                    shown = "stream batch: 1 INSERT of an import item (no such import: skipped)"
        elif queue_subscribed(stack, function_id):
            event = delivery_message(data.agenda_id)
            shown = "queue batch: 1 delivery message for an endpoint deleted since"
        else:
            continue
        if function_id == "AgendasFunction":
            agenda_event = event
        found.append(
            Target(
                name=Path(spec.code_uri).name,
                request=shown,
                code_dir=str((ROOT / spec.code_uri).resolve()),
                handler=spec.handler,
                layer_dirs=[*layer_paths(spec), *packages],
                environment=child_environment(stack, function_id, pycache),
                spec={"event": event, "function_name": spec.function_name, "memory_mb": spec.memory_mb},
                isolated=site is not None,
            )
        )
    if agenda_event is not None:
        # The baseline serves the same event, with the agendas function's environment and memory.
        agendas = next(t for t in found if t.spec["event"] is agenda_event)
        found.append(
            Target(
                name=BARE,
                request=agendas.request,
                code_dir=str(Path(__file__).resolve().parent),
                handler="bare_handler.lambda_handler",
                layer_dirs=packages,
                environment=agendas.environment,
                spec=agendas.spec,
                isolated=site is not None,
            )
        )
        # The stack's floor: the same event, packages and environment as the bare handler.
        found.append(
            dataclasses.replace(found[-1], name=FLOOR, handler="peers.powertools_floor.lambda_handler")
        )
    return found


def run_child(
    target: Target,
    mode: str,
    workdir: Path,
    extra: dict[str, Any] | None = None,
    python_flags: tuple[str, ...] = (),
) -> tuple[dict[str, Any] | None, str]:
    """Run child.py once for `target`: (its result, or None on failure; its stderr)."""
    spec_file = workdir / f"{target.name.replace(' ', '_')}-{mode}.json"
    spec_file.write_text(json.dumps({**target.spec, **(extra or {})}), encoding="utf-8")
    command = [
        sys.executable,
        *(("-S",) if target.isolated else ()),
        *python_flags,
        str(CHILD),
        mode,
        target.code_dir,
        target.handler,
        str(spec_file),
    ]
    completed = subprocess.run(
        [*command, *target.layer_dirs],
        env=target.environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if completed.returncode != 0 or not lines:
        return None, completed.stderr
    return json.loads(lines[-1].removeprefix(RESULT_MARKER)), completed.stderr


def measure(targets: list[Target], runs: int, workdir: Path, mode: str = "cold") -> list[ColdStart]:
    """`runs` cold starts of each target, interleaved so drift in the machine hits all alike.
    `mode` "restored" measures what SnapStart leaves instead (bench/child.py): the import and the
    priming hooks are done before the timing starts, as before the snapshot.

    One extra first round is discarded: it compiles the bytecode into the cache prefix and warms
    the OS page cache, which a deployed artefact (with .pyc, STYLE.md 5.14) does not need.
    """
    results = {target.name: ColdStart(target.name, target.request) for target in targets}
    for round_number in range(runs + 1):
        for target in targets:
            result, stderr = run_child(target, mode, workdir)
            if round_number == 0:
                continue
            if result is None:
                results[target.name].failures.append(
                    stderr.strip().splitlines()[-1] if stderr.strip() else "?"
                )
            else:
                results[target.name].runs.append({**result, "round": round_number})
    return list(results.values())


# -- python -X importtime --------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportLine:
    module: str
    depth: int
    self_us: int
    cumulative_us: int


def _parse_importtime(stderr: str) -> tuple[list[ImportLine], list[ImportLine]]:
    """(imports of the module import phase, imports during the first invocation)."""
    phases: dict[str, list[ImportLine]] = {"startup": [], "import": [], "invoke": []}
    phase = "startup"
    for line in stderr.splitlines():
        if line.startswith(IMPORT_MARKER):
            phase = "import"
        elif line.startswith(PHASE_MARKER):
            phase = "invoke"
        elif line.startswith("import time:") and "|" in line and "self [us]" not in line:
            _, self_us, cumulative_us, name = (
                part for part in line.replace("import time:", "|", 1).split("|")
            )
            stripped = name.lstrip(" ")
            depth = (len(name) - len(stripped) - 1) // 2
            phases[phase].append(ImportLine(stripped.strip(), depth, int(self_us), int(cumulative_us)))
    return phases["import"], phases["invoke"]


@dataclass
class ImportProfile:
    function: str
    import_phase: list[ImportLine]
    invoke_phase: list[ImportLine]

    def slowest(self, phase: list[ImportLine], count: int = 10) -> list[ImportLine]:
        """The slowest imports by cumulative time, leaving out the handler module itself.

        A module can appear twice (an import cycle re-enters it); its larger entry is kept.
        """
        best: dict[str, ImportLine] = {}
        for line in phase:
            if line.depth == 0 and line.module == "app":
                continue
            if line.module not in best or line.cumulative_us > best[line.module].cumulative_us:
                best[line.module] = line
        return sorted(best.values(), key=lambda x: -x.cumulative_us)[:count]

    def by_package(self, count: int = 10) -> list[tuple[str, float, float]]:
        """(top-level package, ms at import, ms at first invocation), by self time: who costs what."""
        totals: dict[str, list[float]] = {}
        for index, phase in enumerate((self.import_phase, self.invoke_phase)):
            for line in phase:
                package = line.module.split(".")[0]
                totals.setdefault(package, [0.0, 0.0])[index] += line.self_us / 1000
        ranked = sorted(totals.items(), key=lambda item: -(item[1][0] + item[1][1]))
        return [(name, spent[0], spent[1]) for name, spent in ranked[:count]]


def import_profile(target: Target, workdir: Path) -> ImportProfile:
    """One cold start of `target` under `python -X importtime` (cumulative times, microseconds)."""
    _, stderr = run_child(target, "cold", workdir, python_flags=("-X", "importtime"))
    import_phase, invoke_phase = _parse_importtime(stderr)
    return ImportProfile(target.name, import_phase, invoke_phase)


def new_workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="agenda-bench-")
