"""Fault injection (issue 14 item 1, RELIABILITY.md "Faults"): every route of the policy table x
every AWS call its request makes x every fault that call can meet (docs/design.md "Faults").

For each route, its request (tests/faults/world.py) runs once cleanly, recording its AWS calls;
then again, in the same state, once per (call, fault) with that call faulted (tests/faults/
injection.py): on every attempt (the SDK's retries give up) with throttling, a transaction
conflict, an internal error, a read timeout before the call reaches the table, and one after the
write was applied; and on the first attempt only (the SDK's retries must absorb it). Every case:

- never a 5xx but 503, and every error is problem+json that names no internals;
- a fault on every attempt -> 503 + Retry-After, unless ``fallback`` names the route's documented
  answer (then: the clean run's status and writes);
- a fault on the first attempt only -> the clean answer;
- the tables (main + idempotency, read by a Scan: tests/faults/tables.py) after an error are as
  before, and after a success hold what the clean run wrote, nothing missing (a lost
  acknowledged write) and nothing more (a double effect). An error that leaves a write behind
  is *ambiguous* only when the faulted call was that write, applied and its answer lost (a
  timeout after it); it is recorded with what a retry of the same request then meets. Any other
  error that leaves the tables changed fails.

The figures (cases, routes, calls, 500s, ...) are printed at the end of the run
(tests/faults/conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.faults.injection import (
    CONFLICT,
    DYNAMODB_THROTTLING,
    INTERNAL,
    THROTTLED,
    TIMEOUT_AFTER,
    TIMEOUT_BEFORE,
    Call,
    Fault,
    Injector,
    applicable,
    injecting,
    is_read,
)
from tests.faults.tables import Delta, Dump, shape
from tests.faults.world import UNKEYED, Request, cases, requests

IDEMPOTENCY_TABLE = "IdempotencyTable"


@dataclass(frozen=True)
class Fallback:
    """A documented answer to a dependency failure other than a 503 (docs/design.md "Faults"):
    the clean run's status, and its writes but for the items ``lacks`` picks ("<table> <shape>")."""

    why: str
    lacks: Callable[[str], bool] = lambda _item: False


def fallback(case: str, calls: list[Call], index: int) -> Fallback | None:
    """The fallback, if any, of call ``index`` of ``case``'s clean calls."""
    call, before = calls[index], calls[:index]
    committed = any(c.operation == "TransactWriteItems" for c in before)
    if call.tables == (IDEMPOTENCY_TABLE,) and call.operation == "UpdateItem":
        return Fallback(
            "the create is committed, only its idempotency record could not be completed: the "
            "create's own answer (http/idempotency.py); the record stays in progress",
            lambda item: item.startswith(IDEMPOTENCY_TABLE),
        )
    if "/sessions" in case and call.operation == "Query" and committed:
        return Fallback(
            "the session write is committed: answered without its conflicts or ETag "
            "(services/content_reads.py), which is what its idempotency record keeps",
            lambda item: item.startswith(IDEMPOTENCY_TABLE),
        )
    if case.split(" (")[0] == "DELETE /v1/agendas/{agenda_id}" and committed:
        return Fallback(
            "the agenda is deleted; sweeping its partition is best effort (services/agendas.py)",
            lambda item: '"type": {"S": "agenda"}' not in item and "CHANGES#" not in item,
        )
    return None


# Words no error body may carry: AWS's and our internals (RELIABILITY.md "Errors").
INTERNALS = (
    "traceback",
    "exception",
    "injected",
    "botocore",
    "pynamodb",
    "dynamodb",
    "agendatable",
    "idempotencytable",
    "throughput",
    "throttling",
    "requestlimit",
    "transaction",
    "internalserver",
    "timeout",
    "endpoint",
    "amazonaws",
    "secretsmanager",
    "slowdown",
)
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "code", "request_id"}


@dataclass
class Outcome:
    status: int
    headers: dict[str, str]
    body: bytes
    calls: list[Call]
    delta: Delta
    after: Dump


def run(stage: Any, request: Request, target: int | None = None, fault: Fault | None = None) -> Outcome:
    """One request in the world as it was made, the tables put back after."""
    stage.reset()
    path, headers, body = stage.world.fill(request)
    injector: Injector = stage.injector
    with injecting(injector):
        injector.arm(target, fault)
        response = stage.api.request(request.method, path, body=body, headers=headers)
    if target is None or any(_wrote(call) for call in injector.calls):
        after = stage.tables.dump()
        stage.tables.restore(stage.base, after)
    else:
        # No write reached the tables (the injector sees every call): they are as they were, and
        # a Scan of each, moto's slowest answer, would be most of the suite's time.
        after = stage.base
    return Outcome(
        response.status,
        {k.lower(): v for k, v in response.headers},
        response.body,
        list(injector.calls),
        Delta.between(stage.base, after),
        after,
    )


def _wrote(call: Call) -> bool:
    return call.service == "dynamodb" and call.applied > 0 and not is_read(call.operation)


def faults_for(index: int, call: Call) -> list[Fault]:
    """What call ``index`` meets: every fault it can meet on every attempt (DynamoDB's three
    throttling answers each), then on the first attempt only a throttling answer and, for a
    write, a read timeout after it was applied."""
    found = []
    for fault in applicable(call.service, call.operation):
        if fault.kind == THROTTLED and call.service == "dynamodb":
            found += [Fault(THROTTLED, code=code) for code in DYNAMODB_THROTTLING]
        else:
            found.append(fault)
    code = DYNAMODB_THROTTLING[index % len(DYNAMODB_THROTTLING)] if call.service == "dynamodb" else None
    found.append(Fault(THROTTLED, every=False, code=code))
    if not is_read(call.operation):
        found.append(Fault(TIMEOUT_AFTER, every=False))
    return found


def error_problems(outcome: Outcome) -> list[str]:
    """An error must be problem+json with its members, naming nothing internal."""
    problems = []
    if not outcome.headers.get("content-type", "").startswith("application/problem+json"):
        problems.append(f"Content-Type {outcome.headers.get('content-type')!r}")
        return problems
    body = json.loads(outcome.body)
    if not body.keys() >= PROBLEM_MEMBERS or body["status"] != outcome.status:
        problems.append(f"not a problem: {sorted(body)}")
    # The health route names the dependencies it checks (API.md §9): that is its contract.
    text = json.dumps({k: v for k, v in body.items() if k != "checks"}).lower()
    leaked = [word for word in INTERNALS if word in text]
    if leaked:
        problems.append(f"internals in the body: {leaked}")
    if outcome.status == 503 and not outcome.headers.get("retry-after", "").isdigit():
        problems.append("503 without Retry-After")
    return problems


@dataclass
class Verdict:
    """One case's classification, for the figures, and what is wrong with it."""

    problems: list[str]
    server_error: bool = False  # any 5xx but 503
    lost: bool = False
    double: bool = False
    changed: bool = False
    ambiguous: str | None = None


def judge(case: str, clean: Outcome, outcome: Outcome, index: int, fault: Fault) -> Verdict:
    verdict = Verdict([])
    problems = verdict.problems
    call = outcome.calls[index]
    if outcome.status >= 500 and outcome.status != 503:
        verdict.server_error = True
        problems.append(f"HTTP {outcome.status}")
    if outcome.status >= 400:
        problems += error_problems(outcome)
    documented = fallback(case, clean.calls, index)
    if fault.every and documented is None:
        if outcome.status != 503:
            problems.append(f"HTTP {outcome.status}, expected 503 (the SDK gave up)")
    elif outcome.status != clean.status:
        problems.append(f"HTTP {outcome.status}, expected the clean answer {clean.status}")
    applied = call.applied > 0 and not is_read(call.operation)
    if outcome.status < 400:
        lacks = documented.lacks if documented else (lambda _item: False)
        missing = outcome.delta.missing_from(clean.delta).without(lacks)
        extra = clean.delta.missing_from(outcome.delta).without(lacks)
        if missing:
            verdict.lost = True
            problems.append(f"acknowledged, but not written: {missing.describe()}")
        if extra:
            verdict.double = True
            problems.append(f"written beyond the clean run: {extra.describe()}")
    elif fault.kind == TIMEOUT_AFTER and applied and (outcome.delta or call.service != "dynamodb"):
        # Ambiguous: the call was applied and its answer lost; the client was told it failed.
        # The change is that call's own: the same call timing out *before* it lands is a case
        # too, which must leave the tables unchanged (so nothing before it wrote).
        verdict.ambiguous = f"{call.name} applied, then its answer timed out"
    elif outcome.delta:
        verdict.changed = True
        problems.append(f"failed, but the table changed: {outcome.delta.describe()}")
    return verdict


@pytest.mark.parametrize("case", cases())
def test_every_call_of_the_route_under_every_fault(stage: Any, case: str, record_property: Any) -> None:
    request = requests().get(case)
    assert request is not None, f"{case}: no request (add its event to events/, events/README.md)"
    clean = run(stage, request)
    assert clean.status < 400, f"the clean request failed: HTTP {clean.status} {clean.body[:300]!r}"
    names = [c.name for c in clean.calls]
    report: dict[str, Any] = {"case": case, "route": request.route, "calls": names, "by_fault": {}}
    report.update({figure: 0 for figure in FIGURES}, ambiguous=[])
    failures = []
    for index, call in enumerate(clean.calls):
        for fault in faults_for(index, call):
            outcome = run(stage, request, index, fault)
            label = f"call {index} {call.name} {fault.label}"
            seen = [c.name for c in outcome.calls[: index + 1]]
            if seen != names[: index + 1]:  # the case did not fault what it meant to
                failures.append(f"{label}: calls {seen}, not the clean run's {names[: index + 1]}")
                continue
            verdict = judge(case, clean, outcome, index, fault)
            report["by_fault"][fault.label] = report["by_fault"].get(fault.label, 0) + 1
            for figure in FIGURES:
                report[figure] += int(getattr(verdict, figure))
            if verdict.ambiguous:
                report["ambiguous"].append({"call": label, **retried(stage, request, outcome)})
            failures += [f"{label}: {problem}" for problem in verdict.problems]
    record_property("faults", report)
    assert not failures, f"{len(failures)} cases:\n" + "\n".join(failures)


FIGURES = ("server_error", "lost", "double", "changed")


def retried(stage: Any, request: Request, first: Outcome) -> dict[str, Any]:
    """What the client's retry of the same request (same Idempotency-Key) meets after an
    ambiguous failure, the tables holding the first attempt's write: its status and what it
    wrote besides. Recorded, not judged here: issue 14 item 2."""
    stage.tables.restore(first.after, stage.base)
    stage.reset()
    path, headers, body = stage.world.fill(request)
    response = stage.api.request(request.method, path, body=body, headers=headers)
    after = stage.tables.dump()
    stage.tables.restore(stage.base, after)
    again = Delta.between(first.after, after)
    added = [item for item in again.added if item.startswith("AgendaTable ") and "CHANGES#" not in item]
    if request.route == "POST /v1/auth/token" and response.status == 200:
        # API.md §2: a login is no create (200, no Idempotency-Key); the lost one's tokens reached
        # no one (only hashes are stored), nothing lists sessions, and it expires unused.
        outcome = "a new login session (the lost one unusable: its tokens reached no one)"
    elif request.case.endswith(UNKEYED):
        outcome = "a new create (sent without a key: API.md §1)"
    elif request.method == "DELETE" and response.status == 404 and not again:
        outcome = "already gone (404, nothing changed: RFC 9110's idempotent DELETE)"
    elif response.status >= 400:
        outcome = "refused"
    elif added:
        outcome = "a second object"
    elif again.without(lambda item: item.startswith(_IDEMPOTENCY_ITEMS)):
        outcome = "applied again (an update: the same state written once more)"
    elif request.creates:
        outcome = "the first attempt's object, answered as a clean first try (its create claim)"
    else:
        outcome = "no new effect"
    return {"status": response.status, "outcome": outcome, "writes": again.describe() if again else ""}


# --- the bugs this suite found, each as the case that found it ------------------------------------

_IDEMPOTENCY_ITEMS = IDEMPOTENCY_TABLE + " "
REGRESSIONS = [
    # (case, the call, its table (None: any), fault, status, what the tables then hold, the bug)
    ("GET /v1/users/me/tokens", "dynamodb:Query", None, Fault(TIMEOUT_BEFORE), 503, "unchanged",
     "pynamodb's cause_response_code raised AttributeError on a timeout: every read timeout was a 500"),
    ("GET /v1/users/me", "secretsmanager:GetSecretValue", None, Fault(THROTTLED), 503, "unchanged",
     "Secrets Manager throttled escaped the handler: a 502"),
    ("POST /v1/auth/token", "secretsmanager:GetSecretValue", None, Fault(INTERNAL), 503, "unchanged",
     "the session was written before the signing key was read: a 500, and a session no one holds"),
    (f"POST /v1/users/me/tokens {UNKEYED}", "dynamodb:PutItem", "AgendaTable", Fault(CONFLICT), 503, "unchanged",
     "TransactionConflictException on a single-item write was a 500"),
    ("POST /v1/users/me/tokens", "dynamodb:PutItem", IDEMPOTENCY_TABLE,
     Fault(THROTTLED, code="ProvisionedThroughputExceededException"), 503, "unchanged",
     "the idempotency store throttled before the create was a 500"),
    ("POST /v1/users/me/tokens", "dynamodb:UpdateItem", IDEMPOTENCY_TABLE,
     Fault(THROTTLED, code="RequestLimitExceeded"), 201, "written",
     "the idempotency store throttled after the create was a 500, the token created"),
    ("POST /v1/users/me/tokens", "dynamodb:PutItem", IDEMPOTENCY_TABLE, Fault(TIMEOUT_AFTER), 503, "unchanged",
     "the in-progress record landed though every attempt timed out: the retry met 409 until the deadline"),
    ("POST /v1/users/me/tokens", "dynamodb:PutItem", IDEMPOTENCY_TABLE, Fault(TIMEOUT_AFTER, every=False),
     201, "clean", "the SDK's retry met the request's own in-progress record: 409 idempotency_in_progress"),
    (f"POST /v1/users/me/tokens {UNKEYED}", "dynamodb:PutItem", "AgendaTable", Fault(TIMEOUT_AFTER, every=False),
     201, "clean", "the SDK's retry met the token its first attempt wrote: a 500"),
    ("DELETE /v1/users/me/tokens/{token_id}", "dynamodb:TransactWriteItems", None,
     Fault(TIMEOUT_AFTER, every=False), 204, "clean", "the SDK's retry met its own delete: a 404"),
    ("POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/ping", "sqs:SendMessageBatch", None,
     Fault(THROTTLED), 503, "unchanged", "SQS throttled was a 500"),
    ("POST /v1/agendas/{agenda_id}/sessions", "dynamodb:Query", None, Fault(THROTTLED, code="ThrottlingException"),
     201, "written", "the conflicts Query after the commit failed: a 503, the session written"),
]  # fmt: skip


def index_of(calls: list[Call], name: str, table: str | None) -> int:
    return next(i for i, c in enumerate(calls) if c.name == name and table in (None, *c.tables))


@pytest.mark.parametrize(
    ("case", "name", "table", "fault", "status", "tables", "bug"),
    REGRESSIONS,
    ids=[f"{case} {name} {table or ''} {fault.label}" for case, name, table, fault, *_ in REGRESSIONS],
)
def test_the_faults_that_were_bugs(
    stage: Any, case: str, name: str, table: str | None, fault: Fault, status: int, tables: str, bug: str
) -> None:
    request = requests()[case]
    clean = run(stage, request)

    outcome = run(stage, request, index_of(clean.calls, name, table), fault)

    assert outcome.status == status, bug
    if status == 503:
        path = stage.world.fill(request)[0]
        assert json.loads(outcome.body) == {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "A dependency is busy or unavailable; try again shortly.",
            "instance": path,
            "code": "service_unavailable",
            "request_id": outcome.headers["x-request-id"],
        }
        assert outcome.headers["retry-after"] == "1"
    else:  # the clean answer, but for its fresh ids, times and secrets
        assert shape(json.loads(outcome.body or b"{}")) == shape(json.loads(clean.body or b"{}"))
    if tables == "unchanged":
        assert not outcome.delta, outcome.delta.describe()
    elif tables == "clean":
        assert outcome.delta == clean.delta
    else:  # the object written; its idempotency record may still be in progress
        ignore = lambda item: item.startswith(_IDEMPOTENCY_ITEMS)  # noqa: E731
        assert outcome.delta.without(ignore) == clean.delta.without(ignore)


def test_a_session_answered_without_its_conflicts_has_no_etag(stage: Any) -> None:
    """The answer of a session write whose conflicts could not be read is not what a GET gives:
    it carries no validator a later If-None-Match could match."""
    request = requests()["PUT /v1/agendas/{agenda_id}/sessions/{session_id}"]
    clean = run(stage, request)

    outcome = run(stage, request, index_of(clean.calls, "dynamodb:Query", None), Fault(INTERNAL))

    assert (outcome.status, "etag" in outcome.headers, "etag" in clean.headers) == (200, False, True)
