"""The fault-injection figures (RELIABILITY.md "Faults", issue 14 item 4), printed at the end of a
run that ran every case of tests/faults (a -k selection prints none).

A plugin of tests/conftest.py, not a hook of tests/faults/conftest.py: under pytest-xdist the
controller collects nothing, so only plugins the root conftest names run there, where every
worker's reports (and the figures each test recorded in ``user_properties``) arrive.
"""

from __future__ import annotations

from typing import Any


def routes() -> dict[str, str]:
    from agenda_core.policy import ROUTES

    return ROUTES


def figures(reports: list[dict[str, Any]]) -> list[str]:
    """The figures of RELIABILITY.md "Faults" (issue 14 item 4), from the tests' reports, as
    Markdown list items (bench/RESULTS.md takes them as they are)."""
    calls = {(r["case"], i, name) for r in reports for i, name in enumerate(r["calls"])}
    operations: dict[str, int] = {}
    for _route, _index, name in calls:
        operations[name] = operations.get(name, 0) + 1
    by_fault: dict[str, int] = {}
    for report in reports:
        for label, count in report["by_fault"].items():
            by_fault[label] = by_fault.get(label, 0) + count
    ambiguous = [entry for r in reports for entry in r["ambiguous"]]
    retries: dict[str, int] = {}
    for entry in ambiguous:
        retries[entry["outcome"]] = retries.get(entry["outcome"], 0) + 1

    def total(figure: str) -> int:
        return sum(r[figure] for r in reports)

    return [
        f"- cases injected: {sum(by_fault.values())}; {_by_kind(by_fault)}",
        f"- requests: {len(reports)}, covering {len({r['route'] for r in reports})} of the "
        f"{len(routes())} routes of the policy table (what a published agenda shows anyone also "
        "read anonymously)",
        f"- AWS calls covered: {len(calls)} ("
        + ", ".join(f"{n} {op}" for op, n in sorted(operations.items(), key=lambda i: (-i[1], i[0])))
        + ")",
        f"- 500s (any 5xx but 503): {total('server_error')}",
        f"- double effects: {total('double')}",
        f"- lost acknowledged writes: {total('lost')}",
        f"- tables left changed by a failed write: {total('changed')}",
        f"- ambiguous (a write applied, its answer lost, the client told 503): {len(ambiguous)}; "
        "the same request retried then: "
        + ", ".join(f"{outcome} {n}" for outcome, n in sorted(retries.items())),
    ]


_KINDS = {
    "throttled": "throttled",
    "conflict": "transaction conflict",
    "internal": "internal error",
    "timeout_before": "timeout before the call lands",
    "timeout_after": "timeout after the write applied",
}


def _by_kind(by_fault: dict[str, int]) -> str:
    """'on every attempt: throttled N (per code), ...; on the first attempt only: ...'"""
    parts = []
    for first, heading in ((False, "on every attempt"), (True, "on the first attempt only")):
        counts: dict[str, int] = {}
        codes: dict[str, int] = {}
        for label, n in by_fault.items():
            if label.endswith(" (first attempt)") != first:
                continue
            kind, _, code = label.removesuffix(" (first attempt)").partition(":")
            counts[kind] = counts.get(kind, 0) + n
            if kind == "throttled":
                codes[code or "S3, SQS or Secrets Manager's own"] = (
                    codes.get(code or "S3, SQS or Secrets Manager's own", 0) + n
                )
        shown = []
        for kind, name in _KINDS.items():
            if kind in counts:
                detail = (
                    f" ({', '.join(f'{c} {n}' for c, n in codes.items())})"
                    if kind == "throttled" and not first
                    else ""
                )
                shown.append(f"{name} {counts[kind]}{detail}")
        parts.append(f"{heading}: {', '.join(shown)}")
    return "; ".join(parts)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures, whenever every case ran (a -k selection prints none); with -v, each
    ambiguous case and what its retry met."""
    reports = _recorded(terminalreporter, "faults")
    from tests.faults.world import cases

    _print_consumer_figures(terminalreporter)
    if not reports or len({r["case"] for r in reports}) != len(cases()):
        return
    terminalreporter.write_sep("-", "fault injection (tests/faults, issue 14)")
    for line in figures(reports):
        terminalreporter.write_line(line)
    if terminalreporter.verbosity > 0:
        for report in reports:
            for entry in report["ambiguous"]:
                terminalreporter.write_line(
                    f"  ambiguous: {report['case']}, {entry['call']}: a retry answers {entry['status']}, "
                    f"{entry['outcome']}" + (f" ({entry['writes']})" if entry["writes"] else "")
                )


def _recorded(terminalreporter: Any, kind: str) -> list[Any]:
    return [
        value
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if report.when == "call"
        for name, value in report.user_properties
        if name == kind
    ]


def consumer_figures(
    reports: list[dict[str, Any]], poison: list[dict[str, Any]], duplicates: list[dict[str, Any]]
) -> list[str]:
    """The stream and queue consumers' figures (tests/faults/test_consumers.py and
    test_consumer_poison.py; issue 14 items 3-4), as Markdown list items."""
    by_fault: dict[str, int] = {}
    for report in reports:
        for label, count in report["by_fault"].items():
            by_fault[label] = by_fault.get(label, 0) + count
    calls = {(r["consumer"], i, name) for r in reports for i, name in enumerate(r["calls"])}
    operations: dict[str, int] = {}
    for _consumer, _index, name in calls:
        operations[name] = operations.get(name, 0) + 1

    def total(figure: str) -> int:
        return sum(r[figure] for r in reports)

    delivered = {name: v for entry in duplicates for name, v in entry.items()}
    lines = [
        f"- consumer cases injected: {sum(by_fault.values())}; {_by_kind(by_fault)}",
        f"- consumers: {len(reports)} ({', '.join(r['consumer'] for r in reports)}), each drained by its "
        "event source as template.yaml configures it",
        "- AWS calls covered (first invocation): "
        + ", ".join(f"{n} {op}" for op, n in sorted(operations.items(), key=lambda i: (-i[1], i[0]))),
        f"- wrong batchItemFailures: {total('wrong_report')}; handlers that raised on a stream: {total('crash')}",
        f"- double effects: {total('double')}; lost effects: {total('lost')}",
        f"- webhook POSTs sent again (the attempt's log write failed after the POST; same webhook-id): "
        f"{total('resent')}",
        f"- imports failed and saying so (a fault on every attempt midway; API.md §8: run it again): "
        f"{total('failed_and_said')}",
    ]
    if poison:
        lines.append(
            "- poison items: "
            + "; ".join(
                f"{p['consumer']} after {p['attempts']} attempts "
                + ("dropped (no on-failure destination)" if p["to"] == "dropped" else f"to {p['to']}")
                for p in poison
            )
        )
    if delivered:
        lines.append(
            f"- duplicate deliveries: {sum(v['deliveries'] for v in delivered.values())} ("
            + ", ".join(f"{name} {v['deliveries']}" for name, v in delivered.items())
            + f"), double effects {sum(v['double'] for v in delivered.values())}"
        )
    return lines


def _print_consumer_figures(terminalreporter: Any) -> None:
    """Printed when every consumer's matrix ran (a -k selection of some prints none)."""
    from tests.faults.test_consumers import CONSUMERS

    reports = [dict(r) for r in _recorded(terminalreporter, "consumer_faults")]
    if len({r["consumer"] for r in reports}) != len(CONSUMERS):
        return
    poison = [dict(p) for p in _recorded(terminalreporter, "consumer_poison")]
    duplicates = [dict(d) for d in _recorded(terminalreporter, "consumer_duplicates")]
    terminalreporter.write_sep("-", "fault injection in the consumers (tests/faults, issue 14 item 3)")
    for line in consumer_figures(reports, poison, duplicates):
        terminalreporter.write_line(line)
