"""RESULTS.md section 2: the full-agenda read, each dataset's read against the bare handler's.

Kept apart from bench/report.py (which calls it): the datasets' costs, the snapshot sizes and the
warm container of each dataset (bench/cpu.py), judged against two budgets for the anonymous read
as deployed (the public snapshot): CPU ≤ WARM_CPU_BUDGET times the bare handler's and read units ≤
READ_UNITS_BUDGET times the bare handler's, with no DynamoDB request at all.
"""

from __future__ import annotations

import math

from bench.capacity import ReadCost
from bench.coldstart import BARE
from bench.cpu import ANONYMOUS, ANONYMOUS_GZIP, ANONYMOUS_READS, OWNER, Container, DatasetReads, Series
from bench.markdown import table
from bench.markdown import times as _times

WARM_CPU_BUDGET = 0.5  # x the bare handler's median CPU per request
READ_UNITS_BUDGET = 0.2  # x the bare handler's read units per request
READS = {
    ANONYMOUS_GZIP: "anonymous, `Accept-Encoding: gzip` (the snapshot as stored)",
    ANONYMOUS: "anonymous, no `Accept-Encoding` (the snapshot decompressed)",
    OWNER: "owner (one consistent Query, rendered, conflicts computed)",
}


def _units(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:g}" if value == round(value, 2) else f"{value:.2f}"


def _kb(size: float) -> str:
    return "n/a" if math.isnan(size) else f"{size / 1024:.1f} KB"


def requests_seen(series: Series) -> str:
    """e.g. "Query x200", "GetObject x200", "none x3, Query x197" (with a multiplication sign)."""
    parts = []
    for sequence, times in sorted(series.requests.items(), key=lambda item: (-item[1], item[0])):
        parts.append(f"{sequence.replace('+', ' + ') if sequence else 'none'} ×{times}")
    return ", ".join(parts) or "-"


def units_of(series: Series | None, cost: ReadCost | None, name: str) -> float:
    """Read units per invocation, averaged, from what each invocation sent: the owner's reads are
    strongly consistent, everyone else's (anonymous, the bare handler, the peers) eventually."""
    if series is None or cost is None:
        return math.nan
    return cost.average_units(series.requests, consistent=name == OWNER)


def units_ratio(container: Container, name: str, cost: ReadCost | None) -> float:
    mine = units_of(container.series.get(name), cost, name)
    bare = units_of(container.series.get(BARE), cost, BARE)
    return mine / bare if bare else math.nan


def _s3(series: Series) -> str:
    sent = series.sent(frozenset({"GetObject"}))
    if not sent or not series.invocations:
        return "none"
    per = sent / series.invocations
    return f"{per:g} GetObject, {series.bytes_per('GetObject'):,.0f} B"


def _answers(series: Series) -> str:
    statuses = ", ".join(f"{status}×{n}" for status, n in sorted(series.statuses.items()))
    encodings = ", ".join(f"{e or '-'}×{n}" for e, n in sorted(series.encodings.items()))
    return f"{statuses}; {encodings}" if encodings else statuses


def _judge(
    reads: DatasetReads, container: Container, series: Series, cost: ReadCost | None
) -> tuple[str, list[str]]:
    """(the verdict cell, what is over budget) for one series."""
    name, key = series.name, reads.dataset.key
    cpu, units = container.ratio(name), units_ratio(container, name, cost)
    if name == BARE:
        return "baseline", []
    if name == OWNER:
        logical = max(
            (len([op for op in s.split("+") if op and "next page" not in op]) for s in series.requests),
            default=0,
        )
        if logical > 1:
            return f"OVER: {requests_seen(series)}", [
                f"requests, owner's full read of {key}: {requests_seen(series)}"
            ]
        return f"info: CPU {_times(cpu)}, read units {_times(units)} (no budget)", []
    over = []
    label = "gzip" if name == ANONYMOUS_GZIP else "plain"
    if math.isnan(cpu) or cpu > WARM_CPU_BUDGET:
        over.append(
            f"warm CPU, anonymous full read of {key} ({label}): median {series.median_ms:.2f} ms = "
            f"{_times(cpu)} bare, budget {WARM_CPU_BUDGET}×"
        )
    if math.isnan(units) or units > READ_UNITS_BUDGET:
        over.append(
            f"read units, anonymous full read of {key} ({label}): {_times(units)} bare, budget {READ_UNITS_BUDGET}×"
        )
    if dynamo := series.dynamodb_requests():
        over.append(
            f"requests, anonymous full read of {key} ({label}): {dynamo} DynamoDB requests ({requests_seen(series)}), budget none"
        )
    wanted = "gzip" if name == ANONYMOUS_GZIP else "identity"
    if set(series.encodings) != {wanted}:
        over.append(
            f"anonymous full read of {key} ({label}): answered Content-Encoding {series.encodings}, expected only {wanted}"
        )
    verdict = f"CPU {_times(cpu)}, read units {_times(units)}"
    return (f"**OVER: {verdict}**" if over else f"**budget ok: {verdict}**"), over


def _read_row(
    reads: DatasetReads, container: Container, series: Series, cost: ReadCost | None, over: list[str]
) -> list[str]:
    bare = container.series.get(BARE)
    verdict, problems = _judge(reads, container, series, cost)
    over += problems
    mine = series.name == BARE
    return [
        reads.dataset.key,
        "bare boto3 (same container)" if mine else READS.get(series.name, series.name),
        f"{series.median_ms:.2f}",
        f"{series.p95_ms:.2f}",
        f"{bare.median_ms:.2f} / {bare.p95_ms:.2f}" if bare else "n/a",
        "1.00×" if mine else _times(container.ratio(series.name)),
        "1.00×" if mine else _times(container.p95_ratio(series.name)),
        requests_seen(series),
        _units(units_of(series, cost, series.name)),
        "1.00×" if mine else _times(units_ratio(container, series.name, cost)),
        _s3(series),
        str(series.body_bytes),
        _answers(series),
        verdict,
    ]


def _dataset_table(results_reads: list[DatasetReads], costs: dict[str, ReadCost]) -> list[str]:
    rows = []
    for reads in results_reads:
        dataset, cost, snapshot = reads.dataset, costs.get(reads.dataset.key), reads.snapshot
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
                f"{snapshot.json_bytes:,} B" if snapshot else "none",
                f"{snapshot.gzip_bytes:,} B (1/{snapshot.json_bytes / snapshot.gzip_bytes:.1f})"
                if snapshot
                else "none",
                str(cost.moto_reported),
            ]
        )
    return table(
        [
            "dataset",
            "content (owner's read)",
            "published",
            "conflicts",
            "items in the partition",
            "partition size",
            "largest item",
            "Query pages (1 MB)",
            "Query RCU, eventually consistent",
            "Query RCU, strongly consistent",
            "snapshot: public JSON",
            "snapshot: gzip in S3 (ratio)",
            "moto's ConsumedCapacity (ignored)",
        ],
        rows,
    )


def section(all_reads: list[DatasetReads], costs: dict[str, ReadCost], over: list[str]) -> list[str]:
    """Section 2; what is over budget is appended to `over`."""
    lines = [
        "## 2. The full-agenda read, `GET /v1/agendas/{agenda_id}`",
        "",
        "### The datasets: what a Query of each consumes, and its public snapshot",
        "",
        "RCU are **computed**, not reported: moto answers `ReturnConsumedCapacity=TOTAL` with a constant "
        "(last column) whatever the Query read. Computed from the partition's items by DynamoDB's "
        "documented rules (bench/capacity.py): item size = attribute names + values (strings in UTF-8 "
        "bytes, numbers ~1 byte per 2 digits + 1, lists/maps 3 bytes + 1 per element); a Query page (≤ "
        "1 MB) costs its summed item sizes rounded up to 4 KB, 0.5 RCU per 4 KB eventually consistent "
        "(the bare handler), 1 RCU strongly consistent (members' reads); a GetItem its item rounded up "
        "to 4 KB; an S3 GetObject 0. The content list routes and the in-use check of a DELETE read the "
        "whole partition too (a filter does not reduce what is billed). The snapshot is what the bench's "
        "stack built from the table's stream once the dataset was seeded (bench/harness.py "
        "`build_snapshots`, which checks that an anonymous read then answers from it, gzip bytes as "
        "stored to a client that accepts gzip): the public JSON and its gzip (level 9) object in S3.",
        "",
        *_dataset_table(all_reads, costs),
        "",
        "### Warm CPU, read units and S3 per request, against the bare handler",
        "",
        "Per dataset, one measured container (bench/cpu.py): the agendas function as deployed serving "
        "in turn the anonymous read with and without `Accept-Encoding: gzip` (the public snapshot: one S3 "
        "GetObject, no DynamoDB request) and the owner's read (members always read the table), taking "
        "turns request by request with the bare handler (one Query of the partition) in the same "
        "process. CPU = `time.process_time()` around each invocation (the emulator runs in the parent "
        "process and is not counted). Requests = what each measured invocation sent to AWS, recorded in "
        "the child; read units are priced from them (above); S3 = GetObject requests per read and the "
        "bytes of each answer. Response bytes are the body's, decoded from base64 for a gzip answer.",
        "",
        f"**Budgets, for both anonymous rows: CPU median ≤ {WARM_CPU_BUDGET}× the bare handler's, read "
        f"units ≤ {READ_UNITS_BUDGET}× the bare handler's, and no DynamoDB request** (each answer with "
        "the Content-Encoding asked for). The owner's read has no CPU budget (it renders what the "
        "bare handler only dumps, and computes conflicts) and is strongly consistent (twice the "
        "units): shown for the record, judged only on its one request.",
        "",
    ]
    rows, notes = [], []
    for reads in all_reads:
        cost = costs.get(reads.dataset.key)
        notes.append(
            f"{reads.dataset.key}: {reads.warmups} warm-up invocations per handler, then {reads.iterations} measured"
        )
        for container in reads.containers:
            if container.error:
                rows.append([reads.dataset.key, container.label, "failed", *[""] * 10, container.error])
                over.append(f"warm CPU {reads.dataset.key} ({container.label}): failed: {container.error}")
                continue
            rows += [_read_row(reads, container, series, cost, over) for series in container.series.values()]
    lines += table(
        [
            "dataset",
            "read",
            "CPU median ms",
            "CPU p95 ms",
            "bare CPU median / p95 ms",
            "CPU vs bare (median)",
            "CPU vs bare (p95)",
            "AWS requests per read (observed)",
            "read units per read",
            "read units vs bare",
            "S3 per read",
            "response bytes",
            "answers; Content-Encoding",
            "verdict",
        ],
        rows,
    )
    if notes:
        lines += ["", "Iterations: " + "; ".join(notes) + "."]
    return lines


def basis(all_reads: list[DatasetReads], costs: dict[str, ReadCost]) -> list[str]:
    """What the full-read verdicts are on, with each dataset's ratios (RESULTS.md's summary)."""
    found = [
        f"Full-agenda read: the anonymous read **as deployed, the public snapshot**, with and without "
        f"gzip: CPU median ≤ {WARM_CPU_BUDGET}× and read units ≤ {READ_UNITS_BUDGET}× the bare "
        "handler's in the same container, no DynamoDB request:"
    ]
    for reads in all_reads:
        container, cost = reads.deployed, costs.get(reads.dataset.key)
        if container is None or container.error:
            continue
        owner = f"owner's read CPU {_times(container.ratio(OWNER))}, read units {_times(units_ratio(container, OWNER, cost))}"
        if not any(name in container.series for name in ANONYMOUS_READS):
            found.append(f"  - {reads.dataset.key}: not published, {owner}")
            continue
        shown = "; ".join(
            f"{'gzip' if name == ANONYMOUS_GZIP else 'plain'} CPU {_times(container.ratio(name))}, "
            f"read units {_times(units_ratio(container, name, cost))}"
            for name in ANONYMOUS_READS
        )
        found.append(f"  - {reads.dataset.key}: anonymous {shown}; {owner}")
    return found
