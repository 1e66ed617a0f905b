"""AWS requests per API request: what each route sends to DynamoDB (and anything else), counted.

Named ddb_requests, not requests: bench/ is on sys.path when child.py imports the bare handler, and
a bench/requests.py would shadow the `requests` library there.

Counting hooks botocore's `Endpoint._do_get_response`, the one place every HTTP attempt of every
client passes (boto3's, pynamodb's own botocore client, the Powertools idempotency store's),
whether the client was made before or after the hook. Patched on the class, so existing clients
are counted too; installed only for the duration of `recording()`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.harness import ROOT, Stack
from bench.seed import AGENDA_DAYS, PASSWORD, SeedData, agenda_body, content_routes

READ_OPERATIONS = frozenset({"GetItem", "Query", "BatchGetItem", "TransactGetItems"})


@dataclass(frozen=True)
class Call:
    """One HTTP request to AWS."""

    service: str
    operation: str
    tables: tuple[str, ...]
    continuation: bool  # a later page of a Query or Scan: part of the same logical request


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
    )


@contextmanager
def recording() -> Iterator[list[Call]]:
    """Every AWS HTTP request made inside the block, in order."""
    from botocore.endpoint import Endpoint

    calls: list[Call] = []
    original = Endpoint._do_get_response

    def counted(endpoint: Any, request: Any, operation_model: Any, context: Any) -> Any:
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


# -- the routes exercised ------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One API request to count. `kind` picks the budget: read, write, session, health, rare (no
    budget), or documented: an exception docs/design.md ("Request budget, and where we knowingly
    spend more") names, allowed exactly the main-table requests in `allowed` (in order; "A|B" is
    either, a trailing "?" optional, "*" any number) for the reason in `documented`.

    `path` may hold `{new}`, and so may a top-level value of `body`: what a previous probe's answer
    held in `remember_field` (default its id), remembered under `remember` = this `new_key`.
    `if_match` / `if_none_match` send the ETag last seen for the agenda under test.
    """

    label: str
    kind: str
    method: str
    path: str
    expect: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    remember: str | None = None
    remember_field: str = "id"
    new_key: str | None = None
    if_match: bool = False
    if_none_match: bool = False
    tracks_etag: bool = False  # this answer's ETag is the agenda-under-test's current one
    allowed: tuple[str, ...] = ()  # kind "documented": the main-table requests allowed
    documented: str = ""  # kind "documented": why (docs/design.md)


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
        kind = self.probe.kind
        if kind == "documented":
            keyed = " + idempotency record (≤ 2)" if self._keyed() else ""
            return f"documented exception: {' + '.join(self.probe.allowed)}{keyed} ({self.probe.documented})"
        if kind == "read":
            return "1 read (Query with its pages, GetItem or BatchGetItem)"
        if kind == "write":
            return "1 request or 1 transaction" + (" + idempotency record (≤ 2)" if self._keyed() else "")
        if kind == "health":
            return "1 per dependency (table 1, idempotency 1)"
        if kind == "session":
            return "1 read (BatchGetItem) + 1 transaction (start the session, rotate, or count a failure)"
        return "none (rare path)" + (f"; {self.probe.documented}" if self.probe.documented else "")

    def _keyed(self) -> bool:
        return "Idempotency-Key" in self.probe.headers

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


def _keeps(key: str) -> dict[str, Any]:
    """Remember the answer's refresh token as `key`."""
    return {"remember": key, "remember_field": "refresh_token"}


def _spends(key: str, keeps: str | None = None) -> tuple[Any, ...]:
    """(body, headers, remember, remember_field, new_key): send the refresh token kept as `key`."""
    return ({"refresh_token": "{new}"}, {}, keeps, "refresh_token", key)


def _new_user() -> dict[str, str]:
    return {"email": f"probe-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD, "name": "Probe"}


def _documented(
    label: str, method: str, path: str, expect: int, allowed: tuple[str, ...], why: str, **more: Any
) -> Probe:
    return Probe(label, "documented", method, path, expect, allowed=allowed, documented=why, **more)


def probes(stack: Stack, data: SeedData) -> list[Probe]:
    """Every route of today's API, in an order where each probe finds what it needs."""
    agenda, by_slug, auth = f"/v1/agendas/{data.agenda_id}", f"/v1/agendas/{data.agenda_slug}", data.auth()
    user, user_key = _new_user(), {"Idempotency-Key": "bench-u1"}
    conf, conf_key = agenda_body("Keyed Conf"), {**auth, "Idempotency-Key": "bench-a1"}
    login = {"email": data.user_email, "password": PASSWORD}
    wrong = {"email": data.user_email, "password": "not the bench password"}
    found = [
        Probe("GET /v1/health", "health", "GET", "/v1/health", 200),
        Probe("POST /v1/users", "write", "POST", "/v1/users", 201, _new_user()),
        Probe("POST /v1/users + Idempotency-Key", "write", "POST", "/v1/users", 201, user, user_key),
        Probe("POST /v1/users, same key (replay)", "write", "POST", "/v1/users", 201, user, user_key),
        # Sessions (docs/design.md "Sessions, access tokens and guessing limits").
        Probe("POST /v1/auth/token", "session", "POST", "/v1/auth/token", 200, login, **_keeps("rt0")),
        Probe("POST /v1/auth/token, wrong password", "session", "POST", "/v1/auth/token", 401, wrong),
        Probe("POST /v1/auth/refresh", "session", "POST", "/v1/auth/refresh", 200, *_spends("rt0", "rt1")),
        Probe(
            "POST /v1/auth/refresh, same token (grace)",
            "read",
            "POST",
            "/v1/auth/refresh",
            200,
            *_spends("rt0"),
        ),
        Probe("POST /v1/auth/revoke", "write", "POST", "/v1/auth/revoke", 204, *_spends("rt1")),
        Probe("PATCH /v1/users/me (name)", "write", "PATCH", "/v1/users/me", 200, {"name": "Bench"}, auth),
        Probe("GET /v1/users/me", "read", "GET", "/v1/users/me", 200, headers=auth),
        _documented(
            "GET /v1/users/me/agendas",
            "GET",
            "/v1/users/me/agendas",
            200,
            ("Query", "BatchGetItem?"),
            "the memberships, then those agendas' items",
            headers=auth,
        ),
        Probe("GET /v1/users/me/tokens", "read", "GET", "/v1/users/me/tokens", 200, headers=auth),
        _documented(
            "GET /v1/agendas/{id}/members",
            "GET",
            f"{agenda}/members",
            200,
            ("Query", "BatchGetItem?"),
            "the members' emails from their profiles",
            headers=auth,
        ),
        Probe("GET /v1/agendas", "read", "GET", "/v1/agendas", 200),
        Probe("GET /v1/agendas/{id} (anonymous)", "read", "GET", agenda, 200, tracks_etag=True),
        Probe("GET /v1/agendas/{id} + If-None-Match", "read", "GET", agenda, 304, if_none_match=True),
        Probe("GET /v1/agendas/{id} (owner)", "read", "GET", agenda, 200, headers=auth, tracks_etag=True),
        _documented(
            "GET /v1/agendas/{slug} (slug not cached yet)",
            "GET",
            by_slug,
            200,
            ("GetItem", "Query"),
            "the slug resolved to the partition key once per container",
        ),
        Probe("GET /v1/agendas/{slug} (slug cached)", "read", "GET", by_slug, 200),
        # Unpublished: the careful-path probes below publish it and change its days.
        Probe(
            "POST /v1/agendas",
            "write",
            "POST",
            "/v1/agendas",
            201,
            agenda_body("Probe Conf", published=False),
            auth,
            remember="fresh agenda",
        ),
        Probe("POST /v1/agendas + Idempotency-Key", "write", "POST", "/v1/agendas", 201, conf, conf_key),
        Probe("POST /v1/agendas, same key (replay)", "write", "POST", "/v1/agendas", 201, conf, conf_key),
        *_content_probes(stack, data),
        # The content probes wrote under the agenda (its version moved): read its ETag again.
        Probe(
            "GET /v1/agendas/{id} (owner, after the content writes)",
            "read",
            "GET",
            agenda,
            200,
            headers=auth,
            tracks_etag=True,
        ),
        Probe(
            "PUT /v1/agendas/{id} + If-Match",
            "write",
            "PUT",
            agenda,
            200,
            agenda_body("Bench Conf 2030"),
            auth,
            if_match=True,
            tracks_etag=True,
        ),
        Probe(
            "PATCH /v1/agendas/{id} + If-Match",
            "write",
            "PATCH",
            agenda,
            200,
            {"location": "Nantes"},
            auth,
            if_match=True,
            tracks_etag=True,
        ),
        _documented(
            "PATCH /v1/agendas/{id} publishes (careful path)",
            "PATCH",
            "/v1/agendas/{new}",
            200,
            ("UpdateItem?", "Query", "UpdateItem"),
            "reads the sessions to refuse schedule conflicts",
            body={"published": True},
            headers=auth,
            new_key="fresh agenda",
        ),
        _documented(
            "PATCH /v1/agendas/{id} new duration (careful path)",
            "PATCH",
            "/v1/agendas/{new}",
            200,
            ("UpdateItem?", "Query", "UpdateItem"),
            "reads the sessions to refuse sessions outside the new days",
            body={"duration": AGENDA_DAYS + 1},
            headers=auth,
            new_key="fresh agenda",
        ),
        # Rare by design (docs/design.md): a new slug claims it in a transaction after a failed
        # conditional update. Shown, not judged.
        Probe(
            "PATCH /v1/agendas/{id} new slug",
            "rare",
            "PATCH",
            agenda,
            200,
            {"slug": f"{data.agenda_slug}-2"},
            auth,
            documented="docs/design.md lists UpdateItem (fails) + GetItem + TransactWriteItems + GetItem",
        ),
        _documented(
            "DELETE /v1/agendas/{id}",
            "DELETE",
            f"/v1/agendas/{data.doomed_agenda_id}",
            204,
            ("DeleteItem", "DeleteItem?", "Query", "BatchWriteItem*"),
            "one conditional delete, then the partition and the slug claim swept",
            headers=auth,
        ),
    ]
    return found


# What each content route is allowed beyond "a read is one request, a write one transaction"
# (docs/design.md, "Request budget, and where we knowingly spend more").
_PATCH_ALLOWED = (("BatchGetItem", "TransactWriteItems"), "merge patch reads the item")
_IN_USE_ALLOWED = (("Query", "TransactWriteItems"), "in-use check: does a session use it?")
_ZONE_ALLOWED = (("GetItem", "TransactWriteItems"), "the agenda's time zone, once per container")


def _content_probes(stack: Stack, data: SeedData) -> list[Probe]:
    """For every content resource the template routes today: list and read (anonymous and owner),
    create (with and without Idempotency-Key), replace, merge-patch, delete."""
    from local.template import api_routes

    paths = {(route.method, route.path) for route in api_routes(stack.template)}
    auth = data.auth()
    found: list[Probe] = []
    for resource in content_routes(stack):
        collection = f"/v1/agendas/{{agenda_id}}/{resource.plural}"
        item = next(
            (
                path
                for method, path in paths
                if path.startswith(collection + "/{")
                and path.count("/") == collection.count("/") + 1
                and method == "GET"
            ),
            None,
        )
        real = collection.replace("{agenda_id}", data.agenda_id)
        body = resource.body(len(data.content.get(resource.plural, [])), data.content)
        keyed = {**auth, "Idempotency-Key": f"bench-{resource.plural}"}
        sessions = resource.plural == "sessions"
        found += [
            Probe(f"GET {collection} (anonymous)", "read", "GET", real, 200),
            Probe(f"GET {collection} (owner)", "read", "GET", real, 200, headers=auth),
            Probe(f"POST {collection}", "write", "POST", real, 201, body, auth, remember=resource.plural),
            Probe(f"POST {collection} + Idempotency-Key", "write", "POST", real, 201, body, keyed),
        ]
        if sessions:
            allowed, why = _ZONE_ALLOWED
            found.append(
                _documented(
                    f"POST {collection}, agenda's zone not yet known to the container",
                    "POST",
                    "/v1/agendas/{new}/sessions",
                    201,
                    allowed,
                    why,
                    body=resource.body(0, {}),
                    headers=auth,
                    new_key="fresh agenda",
                )
            )
        if item is None:
            continue
        new = item.replace("{agenda_id}", data.agenda_id).rsplit("/", 1)[0] + "/{new}"
        owner_read = " (owner: a Query, for its conflicts)" if sessions else " (owner)"
        found += [
            Probe(f"GET {item} (anonymous)", "read", "GET", new, 200, new_key=resource.plural),
            Probe(f"GET {item}{owner_read}", "read", "GET", new, 200, headers=auth, new_key=resource.plural),
        ]
        if ("PUT", item) in paths:
            found.append(Probe(f"PUT {item}", "write", "PUT", new, 200, body, auth, new_key=resource.plural))
        if ("PATCH", item) in paths:
            allowed, why = _PATCH_ALLOWED
            found.append(
                _documented(
                    f"PATCH {item}",
                    "PATCH",
                    new,
                    200,
                    allowed,
                    why,
                    body=resource.patch or body,
                    headers=auth,
                    new_key=resource.plural,
                )
            )
        if ("DELETE", item) in paths:
            if sessions:
                found.append(
                    Probe(f"DELETE {item}", "write", "DELETE", new, 204, headers=auth, new_key="sessions")
                )
            else:
                allowed, why = _IN_USE_ALLOWED
                found.append(
                    _documented(
                        f"DELETE {item}",
                        "DELETE",
                        new,
                        204,
                        allowed,
                        why,
                        headers=auth,
                        new_key=resource.plural,
                    )
                )
    return found


def count(stack: Stack, data: SeedData, probe_list: list[Probe] | None = None) -> list[Row]:
    """Send every probe through the gateway (warm handlers) and record what reached AWS."""
    main_table, idempotency_table = stack.table_names()
    etag: str | None = None
    created: dict[str, str] = {}
    rows = []
    for probe in probe_list if probe_list is not None else probes(stack, data):
        headers = dict(probe.headers)
        if probe.if_match and etag:
            headers["If-Match"] = etag
        if probe.if_none_match and etag:
            headers["If-None-Match"] = etag
        new = created.get(probe.new_key or "", "missing")
        path = probe.path.replace("{new}", new)
        body = probe.body
        if isinstance(body, dict):
            body = {k: new if v == "{new}" else v for k, v in body.items()}
        with recording() as calls:
            response = stack.gateway.request(probe.method, path, json_body=body, headers=headers)
        if probe.tracks_etag and response.header("ETag"):
            etag = response.header("ETag")
        if probe.remember and 200 <= response.status < 300:
            created[probe.remember] = response.json()[probe.remember_field]
        rows.append(Row(probe, response.status, list(calls), main_table, idempotency_table))
    return rows
