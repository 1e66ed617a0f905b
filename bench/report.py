"""bench/RESULTS.md: the numbers, each against its budget, and the list of what is over."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.coldstart import BARE, ColdStart, ImportLine, ImportProfile
from bench.cpu import WarmCpu
from bench.ddb_requests import Call, Row
from bench.layer_size import LAMBDA_UNZIPPED_LIMIT_MB, LayerSize

COLD_START_BUDGET = 1.3  # x the bare handler's import + first invocation
WARM_CPU_BUDGET = 0.5  # x the bare handler's median CPU per request


@dataclass
class Results:
    header: list[str]  # date, machine, command...
    cold: list[ColdStart]
    cold_runs: int
    profile: ImportProfile | None
    warm: list[WarmCpu]
    warm_iterations: int
    warm_warmups: int
    rows: list[Row]
    static_scans: list[str]
    layers: list[LayerSize]
    notes: list[str] = field(default_factory=list)
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
    base = bare.total_ms if bare else float("nan")
    lines = [
        "## 1. Cold start (fresh process: import of the handler module + first invocation)",
        "",
        f"Median of {results.cold_runs} runs per function, interleaved, after one discarded round that fills the "
        "bytecode cache (deployed artefacts carry .pyc). Wall-clock ms measured inside the process with "
        "`time.perf_counter()`; CPU with `time.process_time()`; peak RSS from VmHWM. "
        f"Budget: total ≤ {COLD_START_BUDGET}× the bare handler's total. Ratios are the median of "
        "per-round ratios (each function paired with the bare handler run in the same round), which "
        "cancels most of the noise of a shared machine; `CPU ratio` is the same on CPU time.",
        "",
    ]
    rows = []
    for cold in results.cold:
        ratio = cold.ratio_to(bare) if bare else float("nan")
        cpu_ratio = cold.ratio_to(bare, cpu=True) if bare else float("nan")
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
                f"cold start {cold.name}: {ratio:.2f}× bare (median {cold.total_ms:.0f} ms vs {base:.0f} ms), "
                f"budget {COLD_START_BUDGET}×"
            )
        failures = f" ({len(cold.failures)} runs failed: {cold.failures[0]})" if cold.failures else ""
        rows.append(
            [
                f"`{cold.name}`",
                cold.request,
                outcome + failures,
                _ms(cold.median("import_ms")),
                _ms(cold.median("invoke_ms")),
                _ms(cold.total_ms),
                _ms(cold.total_cpu_ms),
                _ms(cold.median("peak_rss_mb")),
                "1.00×" if cold.name == BARE else _times(ratio),
                "1.00×" if cold.name == BARE else _times(cpu_ratio),
                verdict,
            ]
        )
    lines += _table(
        [
            "function",
            "first request",
            "answer",
            "import ms",
            "first invoke ms",
            "total ms",
            "total CPU ms",
            "peak RSS MB",
            "vs bare",
            "CPU ratio",
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


def _warm_section(results: Results) -> list[str]:
    lines = [
        "## 2. Warm CPU per request: anonymous full-agenda read",
        "",
        "Both handlers imported into one process and invoked in turn (function, bare, function, ...): "
        f"{results.warm_warmups} warm-up invocations each, then {results.warm_iterations} measured, each "
        "with a fresh copy of the same event. CPU = `time.process_time()` around the invocation (the "
        "emulator runs in another process and is not counted). "
        f"Budget: agendas median ≤ {WARM_CPU_BUDGET}× the bare handler's.",
        "",
    ]
    bare = next((w for w in results.warm if w.name == BARE and not w.error), None)
    rows = []
    for warm in results.warm:
        if warm.error:
            rows.append([f"`{warm.name}`", warm.request, "failed", "", "", "", "", warm.error])
            results.over.append(f"warm CPU {warm.name}: failed: {warm.error}")
            continue
        ratio = warm.median_ms / bare.median_ms if bare and bare.median_ms else float("nan")
        if warm.name == BARE:
            verdict = "baseline"
        elif math.isnan(ratio):
            verdict = "n/a"
        elif ratio <= WARM_CPU_BUDGET:
            verdict = f"ok ({ratio:.2f}×)"
        else:
            verdict = f"OVER ({ratio:.2f}×)"
            results.over.append(
                f"warm CPU {warm.name}: median {warm.median_ms:.2f} ms = {ratio:.2f}× bare "
                f"({bare.median_ms if bare else 0:.2f} ms), budget {WARM_CPU_BUDGET}×"
            )
        statuses = ", ".join(f"{status}×{n}" for status, n in sorted(warm.statuses.items()))
        rows.append(
            [
                f"`{warm.name}`",
                warm.request,
                f"{warm.median_ms:.2f}",
                f"{warm.p95_ms:.2f}",
                f"{warm.wall_median_ms:.2f}",
                str(warm.body_bytes),
                statuses,
                verdict,
            ]
        )
    lines += _table(
        [
            "handler",
            "request",
            "CPU median ms",
            "CPU p95 ms",
            "wall median ms",
            "response bytes",
            "answers",
            "verdict",
        ],
        rows,
    )
    return lines


def _requests_section(results: Results) -> list[str]:
    lines = [
        "## 3. AWS requests per API request",
        "",
        "Every HTTP request any botocore client sent while the gateway served one API request (warm "
        "handlers, in-process). A number is logical requests (a Query's later pages count with it); "
        "operations in order. Reads: one request. Writes: one request or one transaction, plus the "
        "Powertools idempotency record when `Idempotency-Key` is sent (its PutItem and, on success, "
        "UpdateItem). Health touches each dependency once by design. Any Scan is over.",
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


def render(results: Results) -> str:
    body: list[str] = []
    for section in (_cold_section, _warm_section, _requests_section, _layer_section):
        body += ["", *section(results)]
    lines = ["# Benchmark results", "", *results.header, ""]
    lines += ["## Over budget", ""]
    lines += [f"- {item}" for item in results.over] or ["Nothing: every measured budget holds."]
    if results.notes:
        lines += ["", "## Notes", "", *[f"- {note}" for note in results.notes]]
    return "\n".join([*lines, *body, ""])
