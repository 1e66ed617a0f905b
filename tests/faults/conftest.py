"""The fault-injection suite's world: one emulated AWS account per test module (per xdist worker),
the in-process gateway over it, and the world of tests/faults/world.py, made once and put back
after every case (tests/faults/tables.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from agenda_core.policy import ROUTES
from tests.conftest import (
    BASE_URL,
    TEMPLATE,
    _quick_hasher,
    boto3_session,
    emulated_aws,
    reset_process_caches,
)
from tests.faults.injection import Injector
from tests.faults.tables import Dump, Tables
from tests.faults.world import World, build_world, cases


@dataclass
class Stage:
    """What every case runs on: the gateway, the world, and the tables as the world left them."""

    api: Any
    world: World
    tables: Tables
    base: Dump
    injector: Injector = field(default_factory=Injector)

    def reset(self) -> None:
        """Forget what a warm container remembers, so that every case starts alike (the calls of
        a clean run are the calls each faulted run makes, up to the fault)."""
        from agenda_core.services import snapshots

        reset_process_caches()
        snapshots.forget_held()


@pytest.fixture(scope="module")
def stage() -> Iterator[Stage]:
    from agenda_core.services import passwords
    from local.gateway import GatewayApp, apply_environment
    from local.resources import create_resources

    saved = dict(os.environ)
    try:
        with emulated_aws(), pytest.MonkeyPatch.context() as patch:
            # The autouse quick_password_hashing of tests/conftest.py, for the whole module: the
            # world's users must be hashed as the cases check them (or every login would rehash).
            patch.setattr(passwords, "_hasher", _quick_hasher)
            patch.setattr(passwords, "_dummy_hash", cache(lambda: _quick_hasher().hash("not-a-password")))
            refs = create_resources(TEMPLATE, session=boto3_session())
            env = {k: v for k, v in os.environ.items() if k in {"CORS_ALLOW_ORIGINS", "POWERTOOLS_LOG_LEVEL"}}
            api = GatewayApp(TEMPLATE, resources=refs, base_url=BASE_URL, env_overrides=env, streams="manual")
            apply_environment(api.environment())
            reset_process_caches()
            try:
                world = build_world(api, refs)
                _record_no_stream_records()
                tables = Tables.of_template()
                yield Stage(api, world, tables, tables.dump())
            finally:
                api.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_process_caches()


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
        f"{len(ROUTES)} routes of the policy table (what a published agenda shows anyone also "
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
    reports = [
        dict(value)
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if report.when == "call"
        for name, value in report.user_properties
        if name == "faults"
    ]
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


def _record_no_stream_records() -> None:
    """Nothing pumps the streams once the world is made (the cases are about the request alone),
    so moto need not keep thousands of records (as tests/contract/conftest.py does)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    for table in dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_REGION"]].tables.values():
        assert hasattr(table, "stream_shard"), "moto changed: see _record_no_stream_records"
        table.stream_shard = None
