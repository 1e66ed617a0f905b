"""The API requests bench/ddb_requests.py counts: every route of today's API, in an order where
each request finds what it needs, each with the budget it is judged against (`Probe.kind`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.harness import Stack
from bench.seed import AGENDA_DAYS, PASSWORD, SeedData, agenda_body, content_routes


@dataclass(frozen=True)
class Probe:
    """One API request to count. `kind` picks the budget: read, write, session, health, feed (one
    BatchGetItem or GetItem), snapshot (no DynamoDB request: the public snapshot, one S3 GetObject),
    rare (no budget), or documented:
    an exception docs/design.md names, allowed exactly the main-table requests in `allowed` (in
    order; "A|B" is either, a trailing "?" optional, "*" any number) for the reason in `documented`.
    `commits`: a change of the agenda or its content, whose (last) TransactWriteItems must hold the
    change record (db/commits.py); `s3`: the S3 requests it must send (besides the table's).

    `path` may hold `{new}`, and so may a top-level value of `body`: what a previous probe's answer
    held in `remember_field` (default its id), remembered under `remember` = this `new_key`.
    `if_match` / `if_none_match` send the ETag last seen for the agenda under test; `keep_etag`
    keeps this answer's ETag under a name, `send_etag` sends the one kept under that name.
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
    commits: bool = False  # goes through the commit seam: a change record in its transaction
    s3: tuple[str, ...] = ()  # the S3 operations it must send, in order (the snapshot's GetObject)
    keep_etag: str | None = None
    send_etag: str | None = None


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
    from bench.probes_exports import export_probes  # imports this module: not at the top

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
        # The anonymous full read is the public snapshot; its changes cursor starts the feed below.
        Probe(
            "GET /v1/agendas/{id} (anonymous: the snapshot)",
            "snapshot",
            "GET",
            agenda,
            200,
            tracks_etag=True,
            remember="cursor",
            remember_field="changes_cursor",
            s3=("GetObject",),
        ),
        Probe(
            "GET /v1/agendas/{id} (anonymous, gzip)",
            "snapshot",
            "GET",
            agenda,
            200,
            headers={"Accept-Encoding": "gzip"},
            s3=("GetObject",),
        ),
        Probe("GET /v1/agendas/{id} + If-None-Match", "read", "GET", agenda, 304, if_none_match=True),
        Probe("GET /v1/agendas/{id} (owner)", "read", "GET", agenda, 200, headers=auth, tracks_etag=True),
        _documented(
            "GET /v1/agendas/{slug} (anonymous, slug not cached yet)",
            "GET",
            by_slug,
            200,
            ("GetItem",),
            "the slug resolved to the agenda once per container (its claim), then the snapshot",
            s3=("GetObject",),
        ),
        Probe(
            "GET /v1/agendas/{slug} (anonymous, slug cached)",
            "snapshot",
            "GET",
            by_slug,
            200,
            s3=("GetObject",),
        ),
        Probe("GET /v1/agendas/{id}/changes (anonymous, no since)", "feed", "GET", f"{agenda}/changes", 200),
        # The exports: the full read in other formats, at its cost (bench/probes_exports.py).
        *export_probes(agenda, auth, tuple(data.content.get("sessions", ()))),
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
            commits=True,
        ),
        Probe(
            "POST /v1/agendas + Idempotency-Key",
            "write",
            "POST",
            "/v1/agendas",
            201,
            conf,
            conf_key,
            commits=True,
        ),
        Probe("POST /v1/agendas, same key (replay)", "write", "POST", "/v1/agendas", 201, conf, conf_key),
        *_content_probes(stack, data),
        # The content probes wrote under the agenda: the change feed since the snapshot's cursor.
        *_feed_probes(agenda, auth),
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
            commits=True,
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
            commits=True,
        ),
        _documented(
            "PATCH /v1/agendas/{id} publishes (careful path)",
            "PATCH",
            "/v1/agendas/{new}",
            200,
            _CAREFUL,
            "reads the sessions to refuse schedule conflicts",
            body={"published": True},
            headers=auth,
            new_key="fresh agenda",
            commits=True,
        ),
        _documented(
            "PATCH /v1/agendas/{id} new duration (careful path)",
            "PATCH",
            "/v1/agendas/{new}",
            200,
            _CAREFUL,
            "reads the sessions to refuse sessions outside the new days",
            body={"duration": AGENDA_DAYS + 1},
            headers=auth,
            new_key="fresh agenda",
            commits=True,
        ),
        # Rare by design (docs/design.md): a new slug claims it in a transaction after a failed
        # conditional write. Shown, not judged.
        Probe(
            "PATCH /v1/agendas/{id} new slug",
            "rare",
            "PATCH",
            agenda,
            200,
            {"slug": f"{data.agenda_slug}-2"},
            auth,
            documented="docs/design.md lists UpdateItem (fails) + Query + TransactWriteItems + GetItem",
            commits=True,
        ),
        _documented(
            "DELETE /v1/agendas/{id}",
            "DELETE",
            f"/v1/agendas/{data.doomed_agenda_id}",
            204,
            ("TransactWriteItems", "DeleteItem?", "Query", "BatchWriteItem*"),
            "one transaction deletes the agenda and records it, then the slug claim and the partition are swept",
            headers=auth,
            commits=True,
        ),
    ]
    from bench.probes_webhooks import webhook_probes  # imports this module: not at the top

    return found + webhook_probes(agenda, auth) + _upload_probes(auth) + _import_probes(agenda, auth)


def _upload_probes(auth: dict[str, str]) -> list[Probe]:
    """Uploads (API.md §6): asking is one PutItem (the presigned POST is signed without a
    request), reading one GetItem; the image route reads the upload (pending here: a 404)."""
    body = {"purpose": "agenda_icon", "content_type": "image/png", "content_length": 2048}
    mine = {"headers": auth, "new_key": "upload"}
    return [
        Probe("POST /v1/uploads", "write", "POST", "/v1/uploads", 201, body, auth, remember="upload"),
        Probe("GET /v1/uploads/{upload_id}", "read", "GET", "/v1/uploads/{new}", 200, **mine),
        Probe("GET /v1/media/{upload_id}, pending", "read", "GET", "/v1/media/{new}", 404, new_key="upload"),
    ]


def _import_probes(agenda: str, auth: dict[str, str]) -> list[Probe]:
    """Imports (API.md §8): asking is one transaction (here refused: the upload is still pending,
    a 422 from the transaction's own check); one import is one BatchGetItem; the list reads the
    agenda apart from its imports (docs/design.md)."""
    return [
        Probe(
            "POST /v1/agendas/{id}/imports, upload pending",
            "write",
            "POST",
            f"{agenda}/imports",
            422,
            {"upload_id": "{new}"},
            auth,
            new_key="upload",
        ),
        Probe(
            "GET /v1/agendas/{id}/imports/{import_id}, unknown",
            "read",
            "GET",
            f"{agenda}/imports/imp_01JQ0000000000000000000000",
            404,
            headers=auth,
        ),
        _documented(
            "GET /v1/agendas/{id}/imports",
            "GET",
            f"{agenda}/imports",
            200,
            ("GetItem", "Query"),
            "imports live apart from the agenda's partition; the GetItem is the permission check",
            headers=auth,
        ),
    ]


# What a route is allowed beyond "a read is one request, a write one transaction" (docs/design.md,
# "Request budget, and where we knowingly spend more", and "Agenda content" for the sessions').
# Every change of an agenda or its content is a TransactWriteItems (the commit seam).
_CAREFUL = ("TransactWriteItems?", "Query", "TransactWriteItems")
Allowance = tuple[tuple[str, ...], str]  # the main-table requests allowed, and why
_PATCH_ALLOWED: Allowance = (("BatchGetItem", "TransactWriteItems"), "merge patch reads the item")
_IN_USE_ALLOWED: Allowance = (("Query", "TransactWriteItems"), "in-use check: does a session use it?")
# In-process the functions share the layer's memory: the head the agendas function learnt when it
# created the agenda is known here, so the GetItem a new container pays does not show.
_ZONE_ALLOWED: Allowance = (
    ("GetItem?", "TransactWriteItems"),
    "the agenda's head (version, zone), once per container",
)
_CONFLICTS = "the answer shows the conflicts the write leaves: one consistent Query of the sessions"
_SESSION_WRITE: Allowance = (("TransactWriteItems", "Query?"), _CONFLICTS)
_SESSION_PATCH: Allowance = (
    ("BatchGetItem", "TransactWriteItems", "Query?"),
    "merge patch reads the item; " + _CONFLICTS,
)


def _feed_probes(agenda: str, auth: dict[str, str]) -> list[Probe]:
    """The change feed since the cursor the snapshot's read gave (the content probes wrote since):
    a page is one BatchGetItem (the agenda item and the change records), a revalidation one GetItem."""
    since = f"{agenda}/changes?since={{new}}"
    return [
        Probe(
            "GET /v1/agendas/{id}/changes?since= (anonymous)",
            "feed",
            "GET",
            since,
            200,
            new_key="cursor",
            keep_etag="page",
        ),
        Probe(
            "GET /v1/agendas/{id}/changes?since= + If-None-Match",
            "feed",
            "GET",
            since,
            304,
            new_key="cursor",
            send_etag="page",
        ),
        Probe(
            "GET /v1/agendas/{id}/changes?since= (owner)",
            "feed",
            "GET",
            since,
            200,
            headers=auth,
            new_key="cursor",
        ),
    ]


def _write(label: str, method: str, path: str, expect: int, sessions: bool, **more: Any) -> Probe:
    """A content write: one transaction holding its change record; a session's answer may add the
    Query that shows its conflicts (documented)."""
    if not sessions:
        return Probe(label, "write", method, path, expect, commits=True, **more)
    allowed, why = _SESSION_WRITE
    return _documented(label, method, path, expect, allowed, why, commits=True, **more)


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
            _write(
                f"POST {collection}",
                "POST",
                real,
                201,
                sessions,
                body=body,
                headers=auth,
                remember=resource.plural,
            ),
            _write(
                f"POST {collection} + Idempotency-Key", "POST", real, 201, sessions, body=body, headers=keyed
            ),
        ]
        if sessions:
            allowed, why = _ZONE_ALLOWED
            found.append(
                _documented(
                    f"POST {collection}, agenda's head not yet known to the container",
                    "POST",
                    "/v1/agendas/{new}/sessions",
                    201,
                    allowed,
                    why,
                    body=resource.body(0, {}),
                    headers=auth,
                    new_key="fresh agenda",
                    commits=True,
                )
            )
        if item is None:
            continue
        new = item.replace("{agenda_id}", data.agenda_id).rsplit("/", 1)[0] + "/{new}"
        owner_read = " (owner: a Query, for its conflicts)" if sessions else " (owner)"
        mine: dict[str, Any] = {"headers": auth, "new_key": resource.plural}
        found += [
            Probe(f"GET {item} (anonymous)", "read", "GET", new, 200, new_key=resource.plural),
            Probe(f"GET {item}{owner_read}", "read", "GET", new, 200, **mine),
        ]
        if ("PUT", item) in paths:
            found.append(_write(f"PUT {item}", "PUT", new, 200, sessions, body=body, **mine))
        if ("PATCH", item) in paths:
            allowed, why = _SESSION_PATCH if sessions else _PATCH_ALLOWED
            patch = resource.patch or body
            found.append(
                _documented(
                    f"PATCH {item}", "PATCH", new, 200, allowed, why, body=patch, commits=True, **mine
                )
            )
        if ("DELETE", item) in paths:
            if sessions:  # deleting a session leaves no conflict to show
                found.append(Probe(f"DELETE {item}", "write", "DELETE", new, 204, commits=True, **mine))
            else:
                allowed, why = _IN_USE_ALLOWED
                found.append(
                    _documented(f"DELETE {item}", "DELETE", new, 204, allowed, why, commits=True, **mine)
                )
    return found
