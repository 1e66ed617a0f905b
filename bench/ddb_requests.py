"""AWS requests per API request: what each route sends to DynamoDB (and anything else), counted.

Named ddb_requests, not requests: bench/ is on sys.path when child.py imports the bare handler, and
a bench/requests.py would shadow the `requests` library there.

Counting hooks botocore's `Endpoint._do_get_response`, the one place every HTTP attempt of every
client passes (boto3's, pynamodb's own botocore client, the Powertools idempotency store's),
whether the client was made before or after the hook. Patched on the class, so existing clients
are counted too; installed only for the duration of `recording()`. What the stream pump sends
(local/streams.py: the snapshot function's rebuilds) is not a request's and is left out.

The requests probed and their budgets are in bench/probes.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench.harness import ROOT, Stack
from bench.probes import Probe, probes
from bench.seed import SeedData

READ_OPERATIONS = frozenset({"GetItem", "Query", "BatchGetItem", "TransactGetItems"})


@dataclass(frozen=True)
class Call:
    """One HTTP request to AWS."""

    service: str
    operation: str
    tables: tuple[str, ...]
    continuation: bool  # a later page of a Query or Scan: part of the same logical request
    change_records: int = 0  # a TransactWriteItems: the change records it puts (db/commits.py)


def _tables(body: dict[str, Any]) -> tuple[str, ...]:
    if "TableName" in body:
        return (str(body["TableName"]),)
    if "RequestItems" in body:  # BatchGetItem, BatchWriteItem
        return tuple(body["RequestItems"])
    names = []
    for item in body.get("TransactItems", []):  # TransactWriteItems, TransactGetItems
        for action in item.values():
            names.append(str(action.get("TableName")))
    return tuple(dict.fromkeys(names))


def _change_records(body: dict[str, Any]) -> int:
    puts = (item.get("Put", {}).get("Item", {}) for item in body.get("TransactItems", []))
    return sum(1 for put in puts if str(put.get("pk", {}).get("S", "")).startswith("CHANGES#"))


def _describe(request: Any, operation_model: Any) -> Call:
    service = operation_model.service_model.service_name
    body: dict[str, Any] = {}
    if service == "dynamodb" and request.body:
        try:
            body = json.loads(request.body)
        except (TypeError, ValueError):
            body = {}
    return Call(
        service=service,
        operation=operation_model.name,
        tables=_tables(body),
        continuation=operation_model.name in ("Query", "Scan") and "ExclusiveStartKey" in body,
        change_records=_change_records(body),
    )


@contextmanager
def recording() -> Iterator[list[Call]]:
    """Every AWS HTTP request made inside the block, in order."""
    from botocore.endpoint import Endpoint

    from local.streams import pumping

    calls: list[Call] = []
    original = Endpoint._do_get_response

    def counted(endpoint: Any, request: Any, operation_model: Any, context: Any) -> Any:
        if not pumping():
            calls.append(_describe(request, operation_model))
        return original(endpoint, request, operation_model, context)

    Endpoint._do_get_response = counted
    try:
        yield calls
    finally:
        Endpoint._do_get_response = original


def static_scans() -> list[str]:
    """`file:line` of every Scan in the deployed code, request path or not (the probes only see
    the routes they exercise). pynamodb's `Model.scan(` and boto3's `.scan(` / `"Scan"`."""
    pattern = re.compile(r"\.scan\(|[\"']Scan[\"']|\bparallel_scan\b")
    found = []
    for directory in (ROOT / "layers" / "agenda_core" / "agenda_core", ROOT / "functions"):
        for path in sorted(directory.rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}")
    return found


@dataclass
class Row:
    probe: Probe
    status: int
    calls: list[Call]
    main_table: str
    idempotency_table: str

    def _on(self, table: str) -> list[Call]:
        return [c for c in self.calls if c.service == "dynamodb" and table in c.tables]

    @property
    def main(self) -> list[Call]:
        return self._on(self.main_table)

    @property
    def idempotency(self) -> list[Call]:
        return self._on(self.idempotency_table)

    @property
    def other(self) -> list[Call]:
        known = {id(c) for c in self.main + self.idempotency}
        return [c for c in self.calls if id(c) not in known]

    @staticmethod
    def logical(calls: list[Call]) -> int:
        return sum(1 for c in calls if not c.continuation)

    @property
    def scans(self) -> list[Call]:
        return [c for c in self.calls if c.operation == "Scan"]

    def budget(self) -> str:
        probe = self.probe
        keyed = " + idempotency record (≤ 2)" if self._keyed() else ""
        seam = ", the change record inside" if probe.commits else ""
        s3 = f"; S3: {' + '.join(probe.s3)}" if probe.s3 else ""
        if probe.kind == "documented":
            return f"documented exception: {' + '.join(probe.allowed)}{keyed}{s3} ({probe.documented}){seam}"
        if probe.kind == "snapshot":
            return "no DynamoDB request: the public snapshot, one S3 GetObject"
        if probe.kind == "read":
            return "1 read (Query with its pages, GetItem or BatchGetItem)"
        if probe.kind == "feed":
            return "1 read, never a Query: BatchGetItem (the agenda item + the change records) or GetItem"
        if probe.kind == "write":
            return ("1 TransactWriteItems" + seam if probe.commits else "1 request or 1 transaction") + keyed
        if probe.kind == "health":
            return "1 per dependency (table 1, idempotency 1)"
        if probe.kind == "session":
            return "1 read (BatchGetItem) + 1 transaction (start the session, rotate, or count a failure)"
        return "none (rare path)" + (f"; {probe.documented}" if probe.documented else "")

    def _keyed(self) -> bool:
        return "Idempotency-Key" in self.probe.headers

    def _seam_and_s3(self) -> list[str]:
        """A change's transaction must hold its change record; the S3 requests must be the probe's."""
        problems = []
        transactions = [c for c in self.main if c.operation == "TransactWriteItems"]
        if self.probe.commits and 200 <= self.status < 300:
            if not transactions:
                problems.append("no TransactWriteItems (the commit seam)")
            elif not transactions[-1].change_records:
                problems.append("no change record in its transaction")
            if self.probe.kind == "write" and [c.operation for c in self.main] != ["TransactWriteItems"]:
                problems.append("not exactly one TransactWriteItems")
        s3 = [c.operation for c in self.other if c.service == "s3"]
        if s3 != list(self.probe.s3):
            problems.append(f"S3: {' + '.join(s3) or 'none'}, expected {' + '.join(self.probe.s3) or 'none'}")
        return problems

    def verdict(self) -> str:
        problems = []
        if self.scans:
            problems.append("Scan")
        main, idem = self.logical(self.main), self.logical(self.idempotency)
        kind = self.probe.kind
        if kind == "read":
            if main > 1 or any(c.operation not in READ_OPERATIONS for c in self.main):
                problems.append(f"{main} requests")
            if idem:
                problems.append("touches the idempotency table")
        elif kind == "write":
            if main > 1:
                problems.append(f"{main} requests")
            if idem > (2 if self._keyed() else 0):
                problems.append(f"{idem} idempotency requests")
        elif kind == "session":
            reads = [c for c in self.main if c.operation in READ_OPERATIONS]
            if main > 2 or len(reads) > 1:
                problems.append(f"{main} requests")
        elif kind == "health" and (main > 1 or idem > 1):
            problems.append(f"{main}+{idem} requests")
        elif kind == "documented":
            if not allows(self.probe.allowed, [c.operation for c in self.main if not c.continuation]):
                problems.append(f"{main} requests, not the documented {' + '.join(self.probe.allowed)}")
            if idem > (2 if self._keyed() else 0):
                problems.append(f"{idem} idempotency requests")
        elif kind == "feed":
            if [c.operation for c in self.main] not in (["BatchGetItem"], ["GetItem"]) or idem:
                problems.append(f"{main + idem} requests")
        elif kind == "snapshot" and (main or idem):
            problems.append(f"{main + idem} DynamoDB requests")
        problems += self._seam_and_s3()
        if self.status != self.probe.expect:
            problems.append(f"HTTP {self.status}, expected {self.probe.expect}")
        if not problems:
            return {"rare": "info", "documented": "ok (documented exception)"}.get(kind, "ok")
        return "OVER: " + ", ".join(problems)


def allows(pattern: tuple[str, ...], operations: list[str]) -> bool:
    """Whether the operations (logical requests, in order) fit a documented allowance."""
    parts = []
    for element in pattern:
        suffix = element[-1] if element[-1] in "?*" else ""
        names = element.rstrip("?*").split("|")
        parts.append(f"(?:(?:{'|'.join(map(re.escape, names))}),){suffix}")
    return re.fullmatch("".join(parts), "".join(f"{op}," for op in operations)) is not None


def count(stack: Stack, data: SeedData, probe_list: list[Probe] | None = None) -> list[Row]:
    """Send every probe through the gateway (warm handlers) and record what reached AWS."""
    from urllib.parse import quote

    main_table, idempotency_table = stack.table_names()
    etag: str | None = None
    created: dict[str, str] = {}
    etags: dict[str, str] = {}
    rows = []
    for probe in probe_list if probe_list is not None else probes(stack, data):
        headers = dict(probe.headers)
        if probe.if_match and etag:
            headers["If-Match"] = etag
        if probe.if_none_match and etag:
            headers["If-None-Match"] = etag
        if probe.send_etag and probe.send_etag in etags:
            headers["If-None-Match"] = etags[probe.send_etag]
        new = created.get(probe.new_key or "", "missing")
        path = probe.path.replace("{new}", quote(new, safe=""))
        body = probe.body
        if isinstance(body, dict):
            body = {k: new if v == "{new}" else v for k, v in body.items()}
        with recording() as calls:
            response = stack.gateway.request(probe.method, path, json_body=body, headers=headers)
        if probe.tracks_etag and response.header("ETag"):
            etag = response.header("ETag")
        if probe.keep_etag and response.header("ETag"):
            etags[probe.keep_etag] = str(response.header("ETag"))
        if probe.remember and 200 <= response.status < 300:
            created[probe.remember] = response.json()[probe.remember_field]
        rows.append(Row(probe, response.status, list(calls), main_table, idempotency_table))
    return rows
