"""bench/RESULTS.md: the numbers, each against its budget, and the list of what is over; then the
peers, side by side with ours and the bare handler (bench/peer_report.py), not judged."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.capacity import ReadCost
from bench.coldstart import BARE, ColdStart, ImportLine, ImportProfile
from bench.cpu import ANONYMOUS, OWNER, Container, DatasetReads, Series
from bench.ddb_requests import Call, Row
from bench.layer_size import LAMBDA_UNZIPPED_LIMIT_MB, LayerSize
from bench.peer_bench import PEER_NAMES, PeerReads
from bench.peer_report import section as peer_section

COLD_START_BUDGET = 1.3  # x the bare handler's import + first invocation
WARM_CPU_BUDGET = 0.5  # x the bare handler's median CPU per request


@dataclass
class Results:
    header: list[str]  # date, machine, command...
    cold: list[ColdStart]
    cold_runs: int
    profile: ImportProfile | None
    reads: list[DatasetReads]
    costs: dict[str, ReadCost]  # by dataset key
    rows: list[Row]
    static_scans: list[str]
    layers: list[LayerSize]
    notes: list[str] = field(default_factory=list)
    peers: list[PeerReads] = field(default_factory=list)  # section 5; their cold starts are in `cold`
    over: list[str] = field(default_factory=list)  # filled while rendering


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def _times(ratio: float) -> str:
    return "n/a" if math.isnan(ratio) else f"{ratio:.2f}×"


def _table(headings: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headings) + " |", "|" + "|".join("---" for _ in headings) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def _ops(calls: list[Call]) -> str:
    if not calls:
        return "0"
    logical = Row.logical(calls)
    names = ", ".join(c.operation + (" (next page)" if c.continuation else "") for c in calls)
    http = f", {len(calls)} HTTP" if len(calls) != logical else ""
    return f"{logical}{http}: {names}"


def _cold_section(results: Results) -> list[str]:
    bare = next((c for c in results.cold if c.name == BARE and c.runs), None)
    base = bare.net_ms if bare else float("nan")
    lines = [
        "## 1. Cold start (fresh process: import of the handler module + first invocation)",
        "",
        f"Median of {results.cold_runs} runs per function, interleaved, after one discarded round that fills the "
        "bytecode cache (deployed artefacts carry .pyc). Wall-clock ms measured inside the process with "
        "`time.perf_counter()`; CPU with `time.process_time()`; peak RSS from VmHWM. "
        f"Budget: total ≤ {COLD_START_BUDGET}× the bare handler's total. Ratios are the median of "
        "per-round ratios (each function paired with the bare handler run in the same round), which "
        "cancels most of the noise of a shared machine.",
        "",
        "**The verdict is on wall time without the waits that are not the function's** (`total ms` = "
        "import + first invocation − `waits excluded`): the time blocked inside botocore's HTTP calls "
        "(the emulator: moto serves from the bench's own process and is far slower than DynamoDB, "
        "~0.2-0.5 s for the bare handler's first Query of the seeded partition, which DynamoDB answers "
        "in a few ms) and the time queued for a CPU behind other work on the machine "
        "(`/proc/self/schedstat`). The raw wall ratio (`wall ratio`, for the record) flatters every "
        "function, because the bare handler waits longest for moto. `CPU ratio` is the same "
        "comparison on CPU time; the two should agree.",
        "",
    ]
    rows = []
    for cold in results.cold:
        if cold.name in PEER_NAMES:  # not ours: shown in section 5, never judged
            continue
        ratio = cold.ratio_to(bare, measure="net") if bare else float("nan")
        cpu_ratio = cold.ratio_to(bare, measure="cpu") if bare else float("nan")
        wall_ratio = cold.ratio_to(bare, measure="wall") if bare else float("nan")
        outcome = cold.outcome
        if cold.name == BARE:
            verdict = "baseline"
        elif not cold.runs or not outcome.isdigit() or int(outcome) >= 500:
            verdict = f"ERROR ({outcome})"
            results.over.append(f"cold start {cold.name}: first invocation failed: {outcome}")
        elif ratio <= COLD_START_BUDGET:
            verdict = f"ok ({ratio:.2f}×)"
        else:
            verdict = f"OVER ({ratio:.2f}×)"
            results.over.append(
                f"cold start {cold.name}: {ratio:.2f}× bare (median {cold.net_ms:.0f} ms vs {base:.0f} ms, "
                f"emulator and CPU-queue waits excluded; CPU {cpu_ratio:.2f}×), budget {COLD_START_BUDGET}×"
            )
        failures = f" ({len(cold.failures)} runs failed: {cold.failures[0]})" if cold.failures else ""
        one = cold.name == BARE
        rows.append(
            [
                f"`{cold.name}`",
                cold.request,
                outcome + failures,
                cold.aws_calls or "-",
                _ms(cold.median("import_ms")),
                _ms(cold.median("invoke_ms")),
                _ms(cold.median_waits()),
                _ms(cold.net_ms),
                _ms(cold.total_cpu_ms),
                _ms(cold.median("peak_rss_mb")),
                "1.00×" if one else _times(ratio),
                "1.00×" if one else _times(cpu_ratio),
                "1.00×" if one else _times(wall_ratio),
                verdict,
            ]
        )
    lines += _table(
        [
            "function",
            "first request",
            "answer",
            "AWS requests (first invocation)",
            "import ms",
            "first invoke ms",
            "waits excluded ms",
            "total ms",
            "total CPU ms",
            "peak RSS MB",
            "vs bare",
            "CPU ratio",
            "wall ratio",
            "verdict",
        ],
        rows,
    )
    if results.profile is not None:
        lines += ["", *_profile_section(results.profile)]
    return lines


def _import_rows(lines: list[ImportLine]) -> list[list[str]]:
    return [
        [
            f"`{line.module}`",
            str(line.depth),
            f"{line.cumulative_us / 1000:.1f}",
            f"{line.self_us / 1000:.1f}",
        ]
        for line in lines
    ]


def _profile_section(profile: ImportProfile) -> list[str]:
    headings = ["module", "depth", "cumulative ms", "self ms"]
    lines = [
        f"### Slowest imports of `{profile.function}` (`python -X importtime`, one cold start)",
        "",
        "`-X importtime` slows imports down; compare entries with each other, not with the table above. "
        "Depth 1 = imported by the handler module itself; cumulative includes everything below.",
        "",
        "At import of the handler module, top 10 by cumulative time:",
        "",
        *_table(headings, _import_rows(profile.slowest(profile.import_phase))),
        "",
        "Imported lazily during the first invocation (top 10 by cumulative time):",
        "",
    ]
    lazy = profile.slowest(profile.invoke_phase)
    lines += _table(headings, _import_rows(lazy)) if lazy else ["(none)"]
    lines += [
        "",
        "Self time by top-level package (where the import time really goes):",
        "",
        *_table(
            ["package", "at import ms", "at first invocation ms"],
            [
                [f"`{name}`", f"{at_import:.1f}", f"{at_invoke:.1f}"]
                for name, at_import, at_invoke in profile.by_package()
            ],
        ),
    ]
    return lines


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"


def _requests_seen(series: Series) -> str:
    """e.g. "Query x200", or "none x196 (micro-cache hits), Query x4" (with a multiplication sign)."""
    parts = []
    for sequence, times in sorted(series.requests.items(), key=lambda item: (-item[1], item[0])):
        shown = sequence.replace("+", " + ") if sequence else "none"
        hint = " (micro-cache hits)" if not sequence else ""
        parts.append(f"{shown} ×{times}{hint}")
    return ", ".join(parts) or "-"


def _logical_reads(series: Series) -> int:
    """The most logical requests any invocation sent (a Query's later pages count with it)."""
    return max(
        (len([op for op in seq.split("+") if op and "(next page)" not in op]) for seq in series.requests),
        default=0,
    )


def _rcu_seen(series: Series, cost: ReadCost | None, consistent: bool) -> str:
    if cost is None:
        return "n/a"
    per_read = cost.strong_rcu if consistent else cost.eventual_rcu
    reads = sum(times for sequence, times in series.requests.items() if sequence)
    if series.invocations and reads < series.invocations:
        average = per_read * reads / series.invocations
        return f"{average:.2f} avg ({per_read:g} per miss, 0 per hit)"
    return f"{per_read:g}"


def _dataset_table(results: Results) -> list[str]:
    rows = []
    for reads in results.reads:
        dataset, cost = reads.dataset, results.costs.get(reads.dataset.key)
        if cost is None:
            continue
        rows.append(
            [
                dataset.title,
                ", ".join(f"{n} {plural}" for plural, n in dataset.counts.items()),
                "yes" if dataset.published else "no (owner only)",
                str(dataset.conflicts),
                str(cost.items),
                _kb(cost.bytes),
                _kb(cost.largest_item),
                str(cost.pages),
                f"{cost.eventual_rcu:g}",
                f"{cost.strong_rcu:g}",
                str(cost.moto_reported),
            ]
        )
    return _table(
        [
            "dataset",
            "content (owner's read)",
            "published",
            "conflicts",
            "items in the partition",
            "partition size",
            "largest item",
            "Query pages (1 MB)",
            "RCU per read, eventually consistent",
            "RCU per read, strongly consistent",
            "moto's ConsumedCapacity (ignored)",
        ],
        rows,
    )


def _read_row(results: Results, reads: DatasetReads, container: Container, series: Series) -> list[str]:
    cost = results.costs.get(reads.dataset.key)
    bare = container.series.get(BARE)
    name = series.name
    anonymous, owner = name == ANONYMOUS, name == OWNER
    cached = container.label == "as deployed"
    ratio, p95_ratio = container.ratio(name), container.p95_ratio(name)
    if name == BARE:
        read, verdict = f"bare boto3 ({container.label} container)", "baseline"
    elif anonymous and cached:
        read = "anonymous, micro-cache as deployed"
        if math.isnan(ratio):
            verdict = "n/a"
        elif ratio <= WARM_CPU_BUDGET:
            verdict = f"**budget ok ({ratio:.2f}×)**"
        else:
            verdict = f"**OVER ({ratio:.2f}×)**"
            results.over.append(
                f"warm CPU, anonymous full read of {reads.dataset.key} (micro-cache as deployed): median "
                f"{series.median_ms:.2f} ms = {ratio:.2f}× bare ({bare.median_ms if bare else 0:.2f} ms), "
                f"budget {WARM_CPU_BUDGET}×"
            )
    elif anonymous:
        read = "anonymous, uncached (`PUBLIC_READ_CACHE_SECONDS=0`)"
        over = "over" if ratio > WARM_CPU_BUDGET else "under"
        verdict = f"info: {ratio:.2f}×, {over} 0.5× without the cache"
    else:
        read = "owner (consistent, uncached, conflicts computed)"
        verdict = f"info: {ratio:.2f}× (no CPU budget)"
    logical = _logical_reads(series)
    if name != BARE and logical > 1:
        verdict += f"; OVER: {logical} requests"
        results.over.append(f"requests, full read of {reads.dataset.key} ({read}): {_requests_seen(series)}")
    statuses = ", ".join(f"{status}×{n}" for status, n in sorted(series.statuses.items()))
    return [
        reads.dataset.key,
        read,
        f"{series.median_ms:.2f}",
        f"{series.p95_ms:.2f}",
        f"{bare.median_ms:.2f} / {bare.p95_ms:.2f}" if bare else "n/a",
        "1.00×" if name == BARE else _times(ratio),
        "1.00×" if name == BARE else _times(p95_ratio),
        _requests_seen(series),
        _rcu_seen(series, cost, consistent=owner),
        str(series.body_bytes),
        statuses,
        verdict,
    ]


def _full_read_section(results: Results) -> list[str]:
    lines = [
        "## 2. The full-agenda read, `GET /v1/agendas/{agenda_id}`",
        "",
        "### The datasets, and what one read of each consumes",
        "",
        "RCU are **computed**, not reported: moto answers `ReturnConsumedCapacity=TOTAL` with a constant "
        "(last column) whatever the Query read. Computed from the partition's items by DynamoDB's "
        "documented rules (bench/capacity.py): item size = attribute names + values (strings in UTF-8 "
        "bytes, numbers ~1 byte per 2 digits + 1, lists/maps 3 bytes + 1 per element); a Query page (≤ "
        "1 MB) costs its summed item sizes rounded up to 4 KB, 0.5 RCU per 4 KB eventually consistent "
        "(anonymous reads and the bare handler), 1 RCU strongly consistent (members' reads). Both the "
        "product and the bare handler read the whole partition (no projection), so they consume the same. "
        "The content list routes and the in-use check of a DELETE read the same whole partition (a filter "
        "does not reduce what is billed), so each costs what a full read of the agenda costs.",
        "",
        *_dataset_table(results),
        "",
        "### Warm CPU per request, DynamoDB requests and response bytes",
        "",
        "Per dataset, two measured containers (bench/cpu.py), each taking turns request by request with "
        "the bare handler on the same agenda in the same process: **as deployed** (the agendas function's "
        "environment untouched, so anonymous reads go through the 5 s in-container micro-cache, "
        "`http/public_cache.py`) and **uncached** (`PUBLIC_READ_CACHE_SECONDS=0`: every anonymous read "
        "queries and renders; the owner's read is there too, it never goes through the cache). "
        "CPU = `time.process_time()` around each invocation (the emulator runs in the parent process "
        "and is not counted). Requests = what each measured invocation sent to AWS, recorded in the "
        "child (a later page of a Query would show as `(next page)`).",
        "",
        f"**Budget: the anonymous read's CPU median ≤ {WARM_CPU_BUDGET}× the bare handler's. The verdict is "
        "on the as-deployed row, i.e. with the micro-cache** (docs/design.md: the cache is what keeps the "
        "hot read under half the bare handler's CPU); in a burst most requests are cache hits, and the "
        "hit ratio here depends on how fast the loop runs (the `requests` column shows hits and misses). "
        "The uncached row is the cost of every miss, and of every read when requests are more than 5 s "
        "apart: its ratio is shown beside it, **not** judged against the budget, and says plainly whether "
        "it is over 0.5×.",
        "",
    ]
    rows = []
    notes = []
    for reads in results.reads:
        notes.append(
            f"{reads.dataset.key}: {reads.warmups} warm-up invocations per handler, then {reads.iterations} measured"
        )
        for container in reads.containers:
            if container.error:
                rows.append(
                    [
                        reads.dataset.key,
                        container.label,
                        "failed",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        container.error,
                    ]
                )
                results.over.append(
                    f"warm CPU {reads.dataset.key} ({container.label}): failed: {container.error}"
                )
                continue
            for series in container.series.values():
                rows.append(_read_row(results, reads, container, series))
    lines += _table(
        [
            "dataset",
            "read",
            "CPU median ms",
            "CPU p95 ms",
            "bare CPU median / p95 ms (same container)",
            "vs bare (median)",
            "vs bare (p95)",
            "DynamoDB requests per read (observed)",
            "RCU per read",
            "response bytes",
            "answers",
            "verdict",
        ],
        rows,
    )
    if notes:
        lines += ["", "Iterations: " + "; ".join(notes) + "."]
    return lines


def _requests_section(results: Results) -> list[str]:
    lines = [
        "## 3. AWS requests per API request",
        "",
        "Every HTTP request any botocore client sent while the gateway served one API request (warm "
        "handlers, in-process). A number is logical requests (a Query's later pages count with it); "
        "operations in order. Reads: one request. Writes: one request or one transaction, plus the "
        "Powertools idempotency record when `Idempotency-Key` is sent (its PutItem and, on success, "
        "UpdateItem). Health touches each dependency once by design. Any Scan is over. A "
        '`documented exception` is a path docs/design.md ("Request budget, and where we knowingly spend '
        'more") allows more, with its reason: it is judged against exactly what that table allows '
        "(`A?` optional, `A*` any number), and is over only if it sends anything else. `rare path` rows "
        "are shown, not judged.",
        "",
    ]
    rows = []
    for row in results.rows:
        verdict = row.verdict()
        if verdict.startswith("OVER"):
            results.over.append(
                f"requests {row.probe.label}: {verdict.removeprefix('OVER: ')} ({_ops(row.main)})"
            )
        other = ", ".join(f"{c.service}.{c.operation}" for c in row.other) or "-"
        rows.append(
            [
                row.probe.label,
                str(row.status),
                _ops(row.main),
                _ops(row.idempotency),
                other,
                row.budget(),
                verdict,
            ]
        )
    lines += _table(
        ["request", "HTTP", "main table", "idempotency table", "other AWS", "budget", "verdict"], rows
    )
    if results.static_scans:
        results.over.append("Scan in the code: " + ", ".join(results.static_scans))
        lines += ["", "Scan calls found in the code: " + ", ".join(f"`{s}`" for s in results.static_scans)]
    else:
        lines += ["", "Static check: no Scan call anywhere in `layers/agenda_core` or `functions/`."]
    return lines


def _layer_section(results: Results) -> list[str]:
    lines = [
        "## 4. Layer size",
        "",
        f"Lambda allows {LAMBDA_UNZIPPED_LIMIT_MB} MB unzipped for a function and all its layers. Zipped "
        "with deflate, as `sam package` does. `.py without .pyc`: modules that Lambda (read-only "
        "code directories) would compile again at every cold start (STYLE.md 5.14).",
        "",
    ]
    if not results.layers:
        return [*lines, "Not measured."]
    rows = []
    for layer in results.layers:
        if layer.error:
            rows.append([layer.source, "failed", "", "", layer.error])
            continue
        rows.append(
            [
                layer.source,
                f"{layer.unzipped_mb:.1f}",
                f"{layer.zipped_mb:.1f}",
                str(layer.files),
                f"{layer.py_without_pyc} of {layer.py_files}",
            ]
        )
    lines += _table(["source", "unzipped MB", "zipped MB", "files", ".py without cpython-313 .pyc"], rows)
    for layer in results.layers:
        if layer.largest:
            lines += ["", f"Largest top-level entries ({layer.source}):", ""]
            lines += _table(["entry", "MB"], [[f"`{name}`", f"{size:.1f}"] for name, size in layer.largest])
    return lines


def _verdict_basis(results: Results) -> list[str]:
    """The few sentences a reader needs before trusting a verdict."""
    basis = [
        "Cold start: wall time of import + first invocation **without the time blocked on the emulator "
        "or queued behind other work on the machine** (moto, in the bench's process, is much slower than "
        "DynamoDB and would inflate the bare handler's full-partition Query most); CPU and raw wall "
        "ratios are in the table.",
        f"Full-agenda CPU: the anonymous read **as deployed, through the 5 s micro-cache**, median vs the "
        f"bare handler's, budget {WARM_CPU_BUDGET}×. The uncached read (every miss) is shown beside it:",
    ]
    for reads in results.reads:
        for container in reads.containers:
            if container.label == "uncached" and ANONYMOUS in container.series:
                ratio = container.ratio(ANONYMOUS)
                owner = container.ratio(OWNER)
                verdict = "over" if ratio > WARM_CPU_BUDGET else "within"
                basis.append(
                    f"  - {reads.dataset.key}: uncached anonymous read {ratio:.2f}× bare ({verdict} "
                    f"{WARM_CPU_BUDGET}× without the cache); owner's read {owner:.2f}×"
                )
            elif container.label == "uncached" and OWNER in container.series:
                basis.append(
                    f"  - {reads.dataset.key}: not published, owner's read only: {container.ratio(OWNER):.2f}× bare"
                )
    basis.append(
        "Requests: documented exceptions (docs/design.md) are judged against what that table allows and "
        "are not listed above unless they exceed it."
    )
    return basis


def render(results: Results) -> str:
    body: list[str] = []
    for section in (_cold_section, _full_read_section, _requests_section, _layer_section):
        body += ["", *section(results)]
    if peers := peer_section(results.cold, results.reads, results.peers, results.costs):
        body += ["", *peers]
    lines = ["# Benchmark results", "", *results.header, ""]
    lines += ["## Over budget", ""]
    lines += [f"- {item}" for item in results.over] or ["Nothing: every measured budget holds."]
    lines += [
        "",
        "## What the verdicts are on",
        "",
        *[item if item.startswith("  - ") else f"- {item}" for item in _verdict_basis(results)],
    ]
    if results.notes:
        lines += ["", "## Notes", "", *[f"- {note}" for note in results.notes]]
    return "\n".join([*lines, *body, ""])
