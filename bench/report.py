"""bench/RESULTS.md: the numbers, each against its budget, and the list of what is over; then the
peers, side by side with ours and the bare handler (bench/peer_report.py), not judged."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench import report_cold, report_reads
from bench.capacity import ReadCost
from bench.coldstart import ColdStart, ImportProfile
from bench.cpu import DatasetReads
from bench.ddb_requests import Call, Row
from bench.layer_size import LAMBDA_UNZIPPED_LIMIT_MB, LayerSize
from bench.markdown import table as _table
from bench.peer_bench import PeerReads
from bench.peer_report import section as peer_section


@dataclass
class Results:
    header: list[str]  # date, machine, command...
    cold: list[ColdStart]
    cold_runs: int
    restored: list[ColdStart]  # SnapStart: the first invocation after restore (bench/child.py)
    profile: ImportProfile | None
    reads: list[DatasetReads]
    costs: dict[str, ReadCost]  # by dataset key
    rows: list[Row]
    static_scans: list[str]
    layers: list[LayerSize]
    notes: list[str] = field(default_factory=list)
    peers: list[PeerReads] = field(default_factory=list)  # section 5; their cold starts are in `cold`
    over: list[str] = field(default_factory=list)  # filled while rendering


def _ops(calls: list[Call]) -> str:
    if not calls:
        return "0"
    logical = Row.logical(calls)
    names = ", ".join(c.operation + (" (next page)" if c.continuation else "") for c in calls)
    http = f", {len(calls)} HTTP" if len(calls) != logical else ""
    return f"{logical}{http}: {names}"


def _cold_section(results: Results) -> list[str]:
    lines = report_cold.section(results.cold, results.cold_runs, results.over)
    if results.profile is not None:
        lines += ["", *report_cold.profile_section(results.profile)]
    return lines


def _restored_section(results: Results) -> list[str]:
    return report_cold.restored_section(results.cold, results.restored)


def _full_read_section(results: Results) -> list[str]:
    return report_reads.section(results.reads, results.costs, results.over)


def _requests_section(results: Results) -> list[str]:
    lines = [
        "## 3. AWS requests per API request",
        "",
        "Every HTTP request any botocore client sent while the gateway served one API request (warm "
        "handlers, in-process; what the stream's delivery sends, the snapshot rebuilds, is not a "
        "request's and is left out). A number is logical requests (a Query's later pages count with it); "
        "operations in order. Reads: one request. The anonymous full read: **no DynamoDB request**, one "
        "S3 GetObject (the public snapshot). The change feed: one BatchGetItem (the agenda item and the "
        "change records) or one GetItem (no `since`, or a revalidation), never a Query. Writes: one "
        "request or one transaction; a change of an agenda or its content is **one TransactWriteItems "
        "holding its change record** (the commit seam, db/commits.py: checked in the request's body), "
        "plus the Powertools idempotency record when `Idempotency-Key` is sent (its PutItem and, on "
        "success, UpdateItem). Health touches each dependency once by design. Any Scan is over. A "
        '`documented exception` is a path docs/design.md allows more ("Request budget, and where we '
        'knowingly spend more", and "Agenda content" for a session write\'s conflicts), with its reason: '
        "it is judged against exactly what it allows (`A?` optional, `A*` any number), and is over only "
        "if it sends anything else. `rare path` rows are shown, not judged.",
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
    return [
        "Cold start: wall time of import + first invocation **without the time blocked on the emulator "
        "or queued behind other work on the machine** (moto, in the bench's process, is much slower than "
        "DynamoDB and would inflate the bare handler's full-partition Query most); CPU and raw wall "
        "ratios are in the table. The snapshot function's first invocation is a stream batch (one "
        "change record's INSERT), against the same bare handler.",
        *report_reads.basis(results.reads, results.costs),
        "Requests: documented exceptions (docs/design.md) are judged against what that table allows and "
        "are not listed above unless they exceed it.",
    ]


# Written by another run, kept when `make bench` rewrites RESULTS.md: the fault figures come from
# `make test` (tests/faults prints them), not from the bench (issue 14 item 4).
KEPT_HEADING = "## 6. Faults"


def kept_sections(previous: str) -> str:
    """The part of the previous RESULTS.md from KEPT_HEADING on ("" when it has none)."""
    at = previous.find("\n" + KEPT_HEADING)
    return previous[at:] if at >= 0 else ""


def render(results: Results) -> str:
    body: list[str] = []
    for section in (_cold_section, _restored_section, _full_read_section, _requests_section, _layer_section):
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
