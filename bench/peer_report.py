"""RESULTS.md's peers section: ours, the peers and the bare handler side by side, from one run.

Kept apart from bench/report.py (which calls it) because it reads everything else: our cold
start and warm reads, the peers' (bench/peer_bench.py), the read costs. Peers are shown, never
judged: the budgets are ours.
"""

from __future__ import annotations

import math

from bench.capacity import ReadCost
from bench.coldstart import BARE, ColdStart
from bench.cpu import ANONYMOUS, ANONYMOUS_GZIP, AS_DEPLOYED, Container, DatasetReads, Series
from bench.markdown import ms as _ms
from bench.markdown import table as _table
from bench.markdown import times as _times
from bench.peer_bench import PEERS, PeerReads

OURS = "agendas"


def _rcu(series: Series | None, cost: ReadCost | None) -> str:
    """Read units per request, eventually consistent (every stack here reads anonymously), priced
    from the requests each invocation sent (bench/capacity.py: a Query the partition's price, an S3
    GetObject 0), averaged over the invocations."""
    if series is None or cost is None or not series.invocations:
        return "n/a"
    average = cost.average_units(series.requests, consistent=False)
    return (
        "n/a" if math.isnan(average) else f"{average:g}" if average == round(average, 2) else f"{average:.2f}"
    )


def _requests(series: Series) -> str:
    parts = [
        f"{(sequence.replace('+', ' + ') if sequence else 'none')} ×{times}"
        for sequence, times in sorted(series.requests.items(), key=lambda item: (-item[1], item[0]))
    ]
    return ", ".join(parts) or "-"


def _warm(container: Container | None, name: str) -> str:
    """The median CPU ratio to the bare handler of the same container, and the median itself."""
    if container is not None and container.error:
        return "failed"
    if container is None or name not in container.series:
        return "n/a"
    if name == BARE:
        return f"1.00× ({container.series[BARE].median_ms:.1f} ms)"
    return f"{_times(container.ratio(name))} ({container.series[name].median_ms:.1f} ms)"


def _cold(cold: ColdStart | None, bare: ColdStart | None) -> tuple[str, str]:
    if cold is None or not cold.runs or bare is None:
        return "n/a", "n/a"
    if cold is bare:
        return f"1.00× ({cold.net_ms:.0f} ms)", "1.00×"
    return (
        f"{_times(cold.ratio_to(bare, measure='net'))} ({cold.net_ms:.0f} ms)",
        _times(cold.ratio_to(bare, measure="cpu")),
    )


def _container(reads: DatasetReads, label: str) -> Container | None:
    return next((c for c in reads.containers if c.label == label), None)


def _peer_container(reads: PeerReads | None, name: str) -> Container | None:
    return next((c for c in reads.containers if c.label == name), None) if reads else None


def _answer(peers: list[PeerReads], name: str) -> str:
    checked = [(reads.dataset.key, reads.answers[name]) for reads in peers if name in reads.answers]
    if not checked:
        return "not checked"
    wrong = [f"{key}: {'; '.join(found)}" for key, found in checked if found]
    return "DIFFERS: " + " / ".join(wrong) if wrong else f"200, same data ({len(checked)} agendas)"


# One cell per dataset: (the container, the series' name in it, what a read of the dataset costs).
Warm = list[tuple[Container | None, str, ReadCost | None]]


def _row(stack: str, cold: ColdStart | None, bare: ColdStart | None, warm: Warm, answer: str) -> list[str]:
    wall, cpu = _cold(cold, bare)
    rcu = [_rcu(container.series.get(name) if container else None, cost) for container, name, cost in warm]
    return [
        stack,
        wall,
        cpu,
        *(_warm(container, name) for container, name, _ in warm),
        " / ".join(rcu),
        answer,
    ]


def _summary(
    cold: list[ColdStart], reads: list[DatasetReads], peers: list[PeerReads], costs: dict[str, ReadCost]
) -> list[str]:
    by_name = {c.name: c for c in cold}
    bare = by_name.get(BARE)
    # Published: the anonymous read exists.
    ours = [r for r in reads if (c := _container(r, AS_DEPLOYED)) is not None and ANONYMOUS in c.series]
    theirs = {r.dataset.key: r for r in peers}
    keys = [r.dataset.key for r in ours]
    rows = [
        _row(
            f"**ours** (`{OURS}`), {shown}",
            by_name.get(OURS),
            bare,
            [(_container(r, AS_DEPLOYED), name, costs.get(r.dataset.key)) for r in ours],
            "(reference)",
        )
        for name, shown in (
            (ANONYMOUS_GZIP, "the public snapshot, gzip as stored"),
            (ANONYMOUS, "the public snapshot, decompressed"),
        )
    ]
    for peer in PEERS:
        warm: Warm = [
            (_peer_container(theirs.get(key), peer.name), peer.name, costs.get(key)) for key in keys
        ]
        rows.append(_row(peer.name, by_name.get(peer.name), bare, warm, _answer(peers, peer.name)))
    floor: Warm = [(_container(r, AS_DEPLOYED), BARE, costs.get(r.dataset.key)) for r in ours]
    rows.append(_row("bare boto3 handler (the floor)", bare, bare, floor, "-"))
    headings = [
        "stack",
        "cold start vs bare (total ms)",
        "cold start CPU vs bare",
        *(f"warm CPU vs bare, {key} (median ms)" for key in keys),
        "RCU per read (" + " / ".join(keys) + ")",
        "answer checked against ours",
    ]
    return _table(headings, rows)


def _cold_table(cold: list[ColdStart]) -> list[str]:
    by_name = {c.name: c for c in cold}
    bare = by_name.get(BARE)
    rows = []
    for name in (OURS, *(peer.name for peer in PEERS), BARE):
        found = by_name.get(name)
        if found is None:
            continue
        failures = f" ({len(found.failures)} runs failed: {found.failures[0]})" if found.failures else ""
        one = found is bare
        rows.append(
            [
                f"`{name}`" if name == OURS else name,
                found.outcome + failures,
                found.aws_calls or "-",
                _ms(found.median("import_ms")),
                _ms(found.median("invoke_ms")),
                _ms(found.median_waits()),
                _ms(found.net_ms),
                _ms(found.total_cpu_ms),
                _ms(found.median("peak_rss_mb")),
                "1.00×" if one or bare is None else _times(found.ratio_to(bare, measure="net")),
                "1.00×" if one or bare is None else _times(found.ratio_to(bare, measure="cpu")),
            ]
        )
    return _table(
        [
            "stack",
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
        ],
        rows,
    )


def _warm_table(peers: list[PeerReads], costs: dict[str, ReadCost]) -> list[str]:
    rows = []
    for reads in peers:
        cost = costs.get(reads.dataset.key)
        for container in reads.containers:
            if container.error:
                rows.append([reads.dataset.key, container.label, "failed", *[""] * 7, container.error])
                continue
            bare = container.series.get(BARE)
            for series in container.series.values():
                mine = series.name == BARE
                rows.append(
                    [
                        reads.dataset.key,
                        f"bare boto3 (beside {container.label})" if mine else series.name,
                        f"{series.median_ms:.2f}",
                        f"{series.p95_ms:.2f}",
                        f"{bare.median_ms:.2f} / {bare.p95_ms:.2f}" if bare else "n/a",
                        "1.00×" if mine else _times(container.ratio(series.name)),
                        "1.00×" if mine else _times(container.p95_ratio(series.name)),
                        _requests(series),
                        _rcu(series, cost),
                        str(series.body_bytes),
                        ", ".join(f"{status}×{n}" for status, n in sorted(series.statuses.items())),
                    ]
                )
    return _table(
        [
            "dataset",
            "stack",
            "CPU median ms",
            "CPU p95 ms",
            "bare CPU median / p95 ms (same container)",
            "vs bare (median)",
            "vs bare (p95)",
            "DynamoDB requests per read (observed)",
            "RCU per read",
            "response bytes",
            "answers",
        ],
        rows,
    )


def section(
    cold: list[ColdStart], reads: list[DatasetReads], peers: list[PeerReads], costs: dict[str, ReadCost]
) -> list[str]:
    """The whole section, or nothing when no peer was measured."""
    names = {peer.name for peer in PEERS}
    if not peers and not any(c.name in names for c in cold):
        return []
    iterations = f"{peers[0].warmups} warm-ups, then {peers[0].iterations} measured" if peers else "n/a"
    return [
        "## 5. Peers in the same run: the same read on the stacks a user would otherwise pick",
        "",
        "Each peer (bench/peers/) serves the same anonymous `GET /v1/agendas/{agenda_id}` from our table "
        "with one Query of the agenda's partition, pages followed, eventually consistent, and answers the "
        "full agenda (its answer is checked against ours before it is timed: same agenda, same objects of "
        "every kind in the same order, field by field). Each is measured exactly as the bare handler is: "
        "cold starts interleaved with ours in fresh `python -S` processes with only the stack's own "
        "packages on sys.path (bench/peer_site.py); warm CPU in a process of its own per dataset, taking "
        "turns request by request with the bare handler ("
        + iterations
        + "), so every ratio is paired with the floor in the same run. Peers are shown, not judged.",
        "",
        *_table(
            ["peer", "stack", "module"],
            [
                [peer.name, peer.stack, f"`bench/{peer.handler.rpartition('.')[0].replace('.', '/')}.py`"]
                for peer in PEERS
            ],
        ),
        "",
        "### Side by side (ratios to the bare handler measured in the same run)",
        "",
        "Cold start = import + first invocation, wall time without the emulator's and the CPU queue's "
        "waits, as in section 1; warm CPU = median `process_time` per request; RCU computed from the "
        "partition's items (section 2) and the requests each invocation sent.",
        "",
        *_summary(cold, reads, peers, costs),
        "",
        "### Cold starts",
        "",
        *_cold_table(cold),
        "",
        "### Warm CPU per request",
        "",
        *_warm_table(peers, costs),
    ]
