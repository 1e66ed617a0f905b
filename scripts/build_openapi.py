"""Merge every function's OpenAPI into one document: functions/docs/openapi.json (`make openapi`).

    .venv/bin/python scripts/build_openapi.py           # write the document
    .venv/bin/python scripts/build_openapi.py --check   # exit 1 when the committed one is stale

Each `functions/<name>/app.py` is imported by file path (the layer on sys.path, the function's
directory on sys.path only while it imports, as in Lambda) and its OpenAPI, as Powertools would
serve it (`app.get_openapi_json_schema()`), is merged with Powertools'
`OpenAPIMerge(on_conflict="error")`. That merge silently overwrites a
component of the same name (STYLE.md 5.4), so this script first fails on a component name two
functions define differently, and on a duplicate operationId.

What the apps do not (yet) say about themselves is added here, from the explicit tables below,
and nothing else is changed:

- `SECURITY`: which operations need the bearer token (`required`), take it when sent
  (`optional`: anonymous callers see less) or ignore it (`public`); scheme `bearerAuth` (JWT).
- `PROBLEMS`: the error statuses each operation can answer (API.md §1), as shared responses
  with the RFC 9457 `Problem` schema in `application/problem+json`. A status an app declares
  itself is kept, except where the app gave no body for an error (then the body is a Problem).
- Powertools' automatic 422 (`HTTPValidationError` in application/json) does not describe this
  API: `create_app` answers every validation error in problem+json (422 for bodies, 400 for
  query and headers, 404 for path ids). It is replaced by the shared 422 where `PROBLEMS` lists
  422 and dropped elsewhere; its component schemas (and ResponseValidationError, which no route
  uses) go when nothing refers to them.
- 204, 302 and 304 have no body, so Powertools' placeholder content on them is dropped.
- `LINKS`: OpenAPI links from an answer to the operations its values feed (a created agenda's
  id to its GET, PUT, PATCH and DELETE), for readers and for Schemathesis' stateful tests.
- Each operation is tagged with its function's name, so the docs group routes by resource.
- Each operation's `operationId` (what a generated client names its method) and `description`
  (what it does, then who may call it, from the policy's rule): `scripts/openapi_operations.py`.
  The apps declare no operation_id= of their own, so each name is declared once.

Every documented operation must be in both tables and every table entry must be an operation:
adding a route without deciding its auth, errors, operationId and description fails the build.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import os
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
LAYER_DIR = ROOT / "layers" / "agenda_core"
if str(LAYER_DIR) not in sys.path:
    sys.path.insert(0, str(LAYER_DIR))

from agenda_core.content_names import CONTENT  # noqa: E402 - the layer is on sys.path only now

SCRIPTS_DIR = Path(__file__).resolve().parent
if str(SCRIPTS_DIR) not in sys.path:
    sys.path.insert(0, str(SCRIPTS_DIR))  # the tests load this file by path: its sibling too

from openapi_operations import NamingError, descriptions, operation_ids  # noqa: E402

OUTPUT = FUNCTIONS_DIR / "docs" / "openapi.json"

TITLE = "Agenda API"
DESCRIPTION = (
    "REST API for conference agendas: events with their sessions, speakers, tracks, venues and "
    "categories. Every path is under `/v1`; errors are RFC 9457 problem details "
    "(`application/problem+json`). Send `Authorization: Bearer <access token>` (from "
    "`POST /v1/auth/token`) where an operation asks for it."
)
SERVERS = [{"url": "/", "description": "The host serving this document (behind API Gateway: + /<stage>)."}]
SCHEME = "bearerAuth"
SECURITY_SCHEMES = {
    SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "An access token from POST /v1/auth/token, or an API token (`agt_…`) from "
            "POST /v1/users/me/tokens."
        ),
    }
}

Auth = Literal["required", "optional", "public"]


# Who may call each operation (API.md §2, §3, §8).
def _security_from_policy() -> dict[str, Auth]:
    """Which operations need, accept or ignore the bearer token: read off the one policy table
    (agenda_core/policy.py), so the document cannot disagree with what the edge enforces."""
    if str(LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(LAYER_DIR))
    from agenda_core.policy import OPERATIONS, ROUTES

    kinds: dict[str, Auth] = {"none": "public", "optional": "optional", "required": "required"}
    return {route: kinds[OPERATIONS[operation].auth] for route, operation in ROUTES.items()}


# 400: every request can be malformed (a bad header, credentials in the query string); 413, 415
# and 422 come with a body; 503 with any storage call. 500 is never documented: it is a bug.
_READ = (400, 503)
_WRITE = (400, 413, 415, 422, 503)
PROBLEMS: dict[str, tuple[int, ...]] = {
    "POST /v1/users": (*_WRITE, 409, 429),  # 429: too many sign-ups from one source
    "GET /v1/users/me": (*_READ, 401, 404),
    # 403: API tokens lack the account scope; 409: the password changed meanwhile; 429: too many
    # wrong current passwords (they count as failed logins).
    "PATCH /v1/users/me": (*_WRITE, 401, 403, 404, 409, 412, 429),
    "GET /v1/users/me/agendas": (*_READ, 401),
    # 403: only a signed-in session manages API tokens; an API token gets insufficient_scope.
    "GET /v1/users/me/tokens": (*_READ, 401, 403),
    "POST /v1/users/me/tokens": (*_WRITE, 401, 403, 409),
    "DELETE /v1/users/me/tokens/{token_id}": (*_READ, 401, 403, 404),
    "POST /v1/auth/token": (*_WRITE, 401, 429),
    "POST /v1/auth/refresh": (*_WRITE, 401),
    "POST /v1/auth/revoke": _WRITE,  # 204 whatever the token was: no oracle
    "GET /v1/agendas": (*_READ, 401),
    "POST /v1/agendas": (*_WRITE, 401, 403, 409),  # 403: a read-only API token
    "GET /v1/agendas/{agenda_id}": (*_READ, 401, 404),
    # 400: a malformed, tampered or foreign cursor; 410: older than the change log keeps.
    "GET /v1/agendas/{agenda_id}/changes": (*_READ, 401, 404, 410),
    # Exports (API.md §5): the full read's answers; 400 for a malformed filter.
    "GET /v1/agendas/{agenda_id}/calendar.ics": (*_READ, 401, 404),
    "GET /v1/agendas/{agenda_id}/schedule.json": (*_READ, 401, 404),
    "GET /v1/agendas/{agenda_id}/schedule.xml": (*_READ, 401, 404),
    "PUT /v1/agendas/{agenda_id}": (*_WRITE, 401, 403, 404, 409, 412),
    "PATCH /v1/agendas/{agenda_id}": (*_WRITE, 401, 403, 404, 409, 412),
    "DELETE /v1/agendas/{agenda_id}": (*_READ, 401, 403, 404, 409, 412),
    "GET /v1/agendas/{agenda_id}/members": (*_READ, 401, 403, 404),
    "POST /v1/agendas/{agenda_id}/members": (*_WRITE, 401, 403, 404, 409),
    "PATCH /v1/agendas/{agenda_id}/members/{user_id}": (*_WRITE, 401, 403, 404, 409),
    "DELETE /v1/agendas/{agenda_id}/members/{user_id}": (*_READ, 401, 403, 404, 409),
    "GET /v1/agendas/{agenda_id}/webhooks": (*_READ, 401, 403, 404),
    "POST /v1/agendas/{agenda_id}/webhooks": (*_WRITE, 401, 403, 404, 409),
    "GET /v1/agendas/{agenda_id}/webhooks/{webhook_id}": (*_READ, 401, 403, 404),
    "PATCH /v1/agendas/{agenda_id}/webhooks/{webhook_id}": (*_WRITE, 401, 403, 404, 409),
    "DELETE /v1/agendas/{agenda_id}/webhooks/{webhook_id}": (*_READ, 401, 403, 404, 409),
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/rotate-secret": (*_READ, 401, 403, 404, 409),
    # 400: a malformed, tampered or foreign cursor.
    "GET /v1/agendas/{agenda_id}/webhooks/{webhook_id}/deliveries": (*_READ, 401, 403, 404),
    # 409: the endpoint is paused or disabled (webhook_paused, webhook_disabled).
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": (
        *_READ,
        401,
        403,
        404,
        409,
    ),
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/ping": (*_READ, 401, 403, 404, 409),
    # 422: a type or size the purpose does not take; 403: a read-only API token.
    # 422 unknown_upload: not a ready schedule upload of the caller's; 409: Idempotency-Key in use.
    "POST /v1/agendas/{agenda_id}/imports": (*_WRITE, 401, 403, 404, 409),
    "GET /v1/agendas/{agenda_id}/imports": (*_READ, 401, 403, 404),  # 400: a bad cursor
    "GET /v1/agendas/{agenda_id}/imports/{import_id}": (*_READ, 401, 403, 404),
    "POST /v1/uploads": (*_WRITE, 401, 403, 409),
    "GET /v1/uploads/{upload_id}": (*_READ, 401, 404),  # 404: absent, expired or someone else's
    "GET /v1/media/{upload_id}": (*_READ, 404),  # 404: no ready image has this id
    "GET /v1/health": (400, 503),
    "GET /v1/openapi.json": (400,),
    "GET /v1/docs": (400,),
    "GET /v1/docs/{asset}": (400, 404),
}
# Agenda content (API.md §4), the same six operations per resource. Reads follow the agenda's
# visibility (401 for a bad token, 404 when not visible; 400 for a bad cursor or filter). Writes:
# 403 for a viewer, a non-member of a published agenda or a read-only API token; 404 for an agenda
# not visible or an absent item; 409 `too_many_<plural>` (creates), `in_use` (deletes of what a
# session references), `write_conflict` (a race that kept losing) and `idempotency_in_progress`;
# 412 for a stale If-Match; 422 for a body breaking a rule (times outside the agenda's days,
# unknown references). The item GET's 304 is declared by the route itself.
_CONTENT_ITEM_IDS = {kind.plural: kind.id_param for kind in CONTENT}  # agenda_core/content_names.py
for _plural, _item_id in _CONTENT_ITEM_IDS.items():
    _collection = f"/v1/agendas/{{agenda_id}}/{_plural}"
    _item = f"{_collection}/{{{_item_id}}}"
    PROBLEMS[f"GET {_collection}"] = (*_READ, 401, 404)
    PROBLEMS[f"POST {_collection}"] = (*_WRITE, 401, 403, 404, 409)
    PROBLEMS[f"GET {_item}"] = (*_READ, 401, 404)
    PROBLEMS[f"PUT {_item}"] = (*_WRITE, 401, 403, 404, 409, 412)
    PROBLEMS[f"PATCH {_item}"] = (*_WRITE, 401, 403, 404, 409, 412)
    PROBLEMS[f"DELETE {_item}"] = (*_READ, 401, 403, 404, 409, 412)

# operation -> status -> link name -> (target operation, its parameters as runtime expressions)
_AGENDA_ITEM = "/v1/agendas/{agenda_id}"
_FROM_BODY = {"agenda_id": "$response.body#/id"}
LINKS: dict[str, dict[str, dict[str, tuple[str, dict[str, str]]]]] = {
    "POST /v1/users/me/tokens": {
        "201": {
            "DeleteApiToken": (
                "DELETE /v1/users/me/tokens/{token_id}",
                {"token_id": "$response.body#/id"},
            )
        }
    },
    "POST /v1/agendas": {
        "201": {
            "GetAgenda": (f"GET {_AGENDA_ITEM}", _FROM_BODY),
            "ReplaceAgenda": (f"PUT {_AGENDA_ITEM}", _FROM_BODY),
            "UpdateAgenda": (f"PATCH {_AGENDA_ITEM}", _FROM_BODY),
            "DeleteAgenda": (f"DELETE {_AGENDA_ITEM}", _FROM_BODY),
        }
    },
    f"PUT {_AGENDA_ITEM}": {
        "200": {
            "GetAgenda": (f"GET {_AGENDA_ITEM}", _FROM_BODY),
            "DeleteAgenda": (f"DELETE {_AGENDA_ITEM}", _FROM_BODY),
        }
    },
    f"PATCH {_AGENDA_ITEM}": {
        "200": {
            "GetAgenda": (f"GET {_AGENDA_ITEM}", _FROM_BODY),
            "DeleteAgenda": (f"DELETE {_AGENDA_ITEM}", _FROM_BODY),
        }
    },
    # After a DELETE the agenda is gone: a GET of the same id must be a 404.
    f"DELETE {_AGENDA_ITEM}": {
        "204": {"GetDeletedAgenda": (f"GET {_AGENDA_ITEM}", {"agenda_id": "$request.path.agenda_id"})}
    },
}
# Agenda content: a new agenda's id to its collections; a new item's id (and its agenda's, from
# the request path) to the item's operations; a deleted item's GET must be a 404.
_SAME_AGENDA = {"agenda_id": "$request.path.agenda_id"}
for _plural, _item_id in _CONTENT_ITEM_IDS.items():
    _collection = f"/v1/agendas/{{agenda_id}}/{_plural}"
    _item = f"{_collection}/{{{_item_id}}}"
    _noun = _item_id.removesuffix("_id").title()
    _new_item = {**_SAME_AGENDA, _item_id: "$response.body#/id"}
    _this_item = {**_SAME_AGENDA, _item_id: f"$request.path.{_item_id}"}
    LINKS["POST /v1/agendas"]["201"][f"Create{_noun}"] = (f"POST {_collection}", _FROM_BODY)
    LINKS["POST /v1/agendas"]["201"][f"List{_plural.title()}"] = (f"GET {_collection}", _FROM_BODY)
    LINKS[f"POST {_collection}"] = {
        "201": {
            f"Get{_noun}": (f"GET {_item}", _new_item),
            f"Replace{_noun}": (f"PUT {_item}", _new_item),
            f"Update{_noun}": (f"PATCH {_item}", _new_item),
            f"Delete{_noun}": (f"DELETE {_item}", _new_item),
        }
    }
    for _method in ("PUT", "PATCH"):
        LINKS[f"{_method} {_item}"] = {
            "200": {
                f"Get{_noun}": (f"GET {_item}", _this_item),
                f"Delete{_noun}": (f"DELETE {_item}", _this_item),
            }
        }
    LINKS[f"DELETE {_item}"] = {"204": {f"GetDeleted{_noun}": (f"GET {_item}", _this_item)}}

PROBLEM_JSON = "application/problem+json"
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
# status -> (component name, description, required headers)
ERROR_RESPONSES: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: ("BadRequest", "Malformed request: bad JSON, query, header or cursor.", {}),
    401: (
        "Unauthorized",
        "Missing or invalid credentials.",
        {
            "WWW-Authenticate": {
                "description": "The scheme to authenticate with (RFC 6750).",
                "required": True,
                "schema": {"type": "string"},
            }
        },
    ),
    403: ("Forbidden", "Authenticated, but lacking the role or scope.", {}),
    404: ("NotFound", "Absent, or not visible to the caller.", {}),
    409: (
        "Conflict",
        "Conflicts with the current state (taken slug or email, request in flight, content still "
        "in use, a cap reached, schedule conflicts when publishing); `code` says which.",
        {},
    ),
    410: ("Gone", "The change cursor is older than the change log keeps (`cursor_expired`).", {}),
    412: ("PreconditionFailed", "If-Match does not match the current version.", {}),
    413: ("PayloadTooLarge", "The body is over 64 KiB.", {}),
    415: ("UnsupportedMediaType", "The body is not application/json.", {}),
    422: ("ValidationFailed", "The body is not valid; `errors` points at each offending field.", {}),
    429: ("RateLimited", "Too many requests.", _RETRY_AFTER),
    503: ("ServiceUnavailable", "A dependency is busy or unavailable.", _RETRY_AFTER),
}

PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "RFC 9457 problem details; extension members may follow (e.g. `checks`).",
        "type": "object",
        "required": ["type", "title", "status", "detail", "instance", "code", "request_id"],
        "properties": {
            "type": {"type": "string", "description": "A URI reference; `about:blank` for now."},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "instance": {"type": "string", "description": "The request path."},
            "code": {
                "type": "string",
                "pattern": "^[a-z][a-z0-9_]*$",
                "description": "Stable, machine-readable.",
            },
            "request_id": {"type": "string", "description": "Also in the X-Request-Id header."},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemFieldError"}},
        },
    },
    "ProblemFieldError": {
        "title": "ProblemFieldError",
        "type": "object",
        "required": ["pointer", "code", "detail"],
        "additionalProperties": False,
        "properties": {
            "pointer": {"type": "string", "description": "JSON Pointer (RFC 6901) into the request body."},
            "code": {"type": "string"},
            "detail": {"type": "string"},
        },
    },
}

POWERTOOLS_422 = {
    "description": "Validation Error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}},
}
POWERTOOLS_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
# What Powertools puts in a response the route declared without content (the return annotation).
_PLACEHOLDER_CONTENTS: tuple[dict[str, Any], ...] = (
    {},
    {"application/json": {}},
    {"application/json": {"schema": {"title": "Return"}}},
)
_BODYLESS = ("204", "302", "304")
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class BuildError(Exception):
    """The functions' OpenAPI cannot be merged into one consistent document."""


# -- loading the functions ------------------------------------------------------------------------


def prepare_environment() -> None:
    """Make importing the functions harmless: fake credentials, and no way to reach AWS."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            # Nothing listens on port 9 (discard): a call made at import would fail fast, locally.
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    for name, value in {
        "TABLE_NAME": "AgendaTable",
        "IDEMPOTENCY_TABLE_NAME": "IdempotencyTable",
        "SIGNING_KEY_SECRET_ARN": "TokenSigningKeySecret",
        "POWERTOOLS_SERVICE_NAME": "agenda-api",
        "POWERTOOLS_METRICS_NAMESPACE": "AgendaApi",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "ENABLE_XRAY_SDK": "false",
    }.items():
        os.environ.setdefault(name, value)


def function_names() -> list[str]:
    """Every function directory an API route of template.yaml reaches, in a stable order (the
    others consume streams, queues or events: they have a handler, not an `app`)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from local.template import api_routes  # ROOT is on sys.path only now

    return sorted({Path(route.code_uri).name for route in api_routes(ROOT / "template.yaml")})


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py under its own module name, as the local runtime imports a
    function (`local.lambda_runtime.import_function_module`), once per process."""
    for path in (LAYER_DIR, ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    from local.lambda_runtime import import_function_module  # ROOT is on sys.path only now

    module_name = f"openapi_build_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    code_dir = FUNCTIONS_DIR / name
    try:
        module = import_function_module(code_dir / "app.py", module_name, code_dir)
    except ImportError as error:
        raise BuildError(f"cannot import functions/{name}/app.py: {error}") from error
    if not hasattr(module, "app"):
        raise BuildError(f"functions/{name}/app.py defines no `app`")
    return module


def load_apps() -> dict[str, Any]:
    """name -> the function's resolver (`app`)."""
    return {name: load_function(name).app for name in function_names()}


# -- merging ---------------------------------------------------------------------------------------


def operations(document: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation) for every operation of a document."""
    for path, item in (document.get("paths") or {}).items():
        for method in _METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def _version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])


def _check_mergeable(schemas: Mapping[str, dict[str, Any]]) -> None:
    """STYLE.md 5.4: OpenAPIMerge overwrites same-named components; fail instead of losing one."""
    seen_ids: dict[str, str] = {}
    seen_components: dict[tuple[str, str], tuple[str, Any]] = {}
    problems = []
    for function, schema in schemas.items():
        for method, path, operation in operations(schema):
            operation_id = operation.get("operationId")
            where = f"{function}: {method} {path}"
            if operation_id in seen_ids:
                problems.append(f"operationId {operation_id!r} of {where} is also {seen_ids[operation_id]}")
            seen_ids[operation_id] = where
        for kind, components in (schema.get("components") or {}).items():
            for name, value in components.items():
                previous = seen_components.get((kind, name))
                if previous is not None and previous[1] != value:
                    problems.append(
                        f"components/{kind}/{name} differs between {previous[0]} and {function}: "
                        "give one of the models another name"
                    )
                seen_components.setdefault((kind, name), (function, value))
    if problems:
        raise BuildError("cannot merge:\n  " + "\n  ".join(problems))


def merge(schemas: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """The functions' schemas (name -> schema dict) as one document, with the additions above."""
    from aws_lambda_powertools.event_handler.openapi.exceptions import OpenAPIMergeError
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    _check_mergeable(schemas)
    merger = OpenAPIMerge(
        title=TITLE,
        version=_version(),
        description=DESCRIPTION,
        on_conflict="error",
    )
    for schema in schemas.values():
        merger.add_schema(copy.deepcopy(schema))
    try:
        merged = merger.get_openapi_schema()
    except OpenAPIMergeError as error:
        raise BuildError(str(error)) from error
    document = copy.deepcopy(merged)
    document["servers"] = copy.deepcopy(SERVERS)
    owners = {(m, p): function for function, schema in schemas.items() for m, p, _ in operations(schema)}
    _complete(document, owners)
    return document


def _complete(document: dict[str, Any], owners: Mapping[tuple[str, str], str]) -> None:
    keys = {f"{method} {path}" for method, path, _ in operations(document)}
    unknown_links = sorted(set(LINKS) - keys)
    if unknown_links:
        raise BuildError(f"LINKS in scripts/build_openapi.py names no operation: {unknown_links}")
    security = _security_from_policy()
    for table_name, table in (("SECURITY (agenda_core.policy.ROUTES)", security), ("PROBLEMS", PROBLEMS)):
        missing, extra = sorted(keys - set(table)), sorted(set(table) - keys)
        if missing or extra:
            raise BuildError(
                f"{table_name} in scripts/build_openapi.py must list exactly the documented operations: "
                f"missing {missing}, not an operation {extra}"
            )
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(copy.deepcopy(SECURITY_SCHEMES))
    schemas = components.setdefault("schemas", {})
    for name, schema in PROBLEM_SCHEMAS.items():
        if name in schemas and schemas[name] != schema:
            raise BuildError(f"components/schemas/{name} is defined by a function and by this script")
        schemas[name] = copy.deepcopy(schema)
    responses = components.setdefault("responses", {})
    for name, description, headers in ERROR_RESPONSES.values():
        responses[name] = {"description": description, "content": {PROBLEM_JSON: _problem_content()}}
        if headers:
            responses[name]["headers"] = copy.deepcopy(headers)

    declared = {f"{method} {path}": op.get("description") for method, path, op in operations(document)}
    try:
        ids, described = operation_ids(), descriptions(declared)
    except NamingError as error:
        raise BuildError(str(error)) from error
    for method, path, operation in operations(document):
        key = f"{method} {path}"
        operation.setdefault("tags", [owners[(method, path)]])
        operation["operationId"] = ids[key]
        operation["description"] = described[key]
        _apply_security(operation, security[key])
        _apply_problems(operation, PROBLEMS[key])
        _apply_links(operation, key, ids)

    unused = {name: schemas.pop(name) for name in POWERTOOLS_VALIDATION_SCHEMAS if name in schemas}
    for name, schema in unused.items():
        if f'"#/components/schemas/{name}"' in json.dumps(document):
            schemas[name] = schema  # still referenced (an app declared it itself): keep it
    document["tags"] = [{"name": name} for name in sorted(set(owners.values()))]


def _problem_content() -> dict[str, Any]:
    return {"schema": {"$ref": "#/components/schemas/Problem"}}


def _apply_security(operation: dict[str, Any], auth: Auth) -> None:
    if "security" in operation:
        return  # the app declared it: the app wins
    if auth == "required":
        operation["security"] = [{SCHEME: []}]
    elif auth == "optional":
        # The empty requirement: anonymous callers are served too (and see only public data).
        operation["security"] = [{}, {SCHEME: []}]


def _apply_problems(operation: dict[str, Any], statuses: tuple[int, ...]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if responses.get("422") == POWERTOOLS_422:
        del responses["422"]
    for code, response in responses.items():
        content = response.get("content")
        if code in _BODYLESS and content in _PLACEHOLDER_CONTENTS:
            response.pop("content", None)
        elif code[0] in "45" and content in _PLACEHOLDER_CONTENTS:
            response["content"] = {PROBLEM_JSON: _problem_content()}
            if int(code) in ERROR_RESPONSES and ERROR_RESPONSES[int(code)][2]:
                response.setdefault("headers", copy.deepcopy(ERROR_RESPONSES[int(code)][2]))
    for status in sorted(statuses):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"})
    operation["responses"] = dict(sorted(responses.items()))


def _apply_links(operation: dict[str, Any], key: str, ids: Mapping[str, str]) -> None:
    # By operationId, not operationRef: a JSON Pointer to a templated path keeps its `{}`, which a
    # URI reference may not hold (an error of Spectral's oas3-schema rule, issue 13).
    for status, links in LINKS.get(key, {}).items():
        response = operation["responses"].get(status)
        if response is None or "$ref" in response:
            raise BuildError(f"LINKS: {key} has no own {status} response to link from")
        for name, (target, parameters) in links.items():
            if target not in ids:
                raise BuildError(f"LINKS: {key} {status} {name} points at {target}, not an operation")
            response.setdefault("links", {})[name] = {
                "operationId": ids[target],
                "parameters": dict(parameters),
            }


def build_document(apps: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The merged document of every function's app (loaded from functions/ unless given)."""
    apps = load_apps() if apps is None else apps
    schemas = {}
    for name, app in apps.items():
        for route in [*app._static_routes, *app._dynamic_routes]:
            if route.operation_id != route._generate_operation_id():
                raise BuildError(
                    f"functions/{name}: {route.method} {route.openapi_path} passes operation_id=; "
                    "operationIds are named in scripts/openapi_operations.py"
                )
        # The JSON form of each app's document, exactly as Powertools would serve it.
        schemas[name] = json.loads(app.get_openapi_json_schema())
    return merge(schemas)


def render(document: Mapping[str, Any]) -> str:
    """Deterministic text: sorted keys, two-space indent, UTF-8 as is, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed document is stale")
    args = parser.parse_args(argv)
    prepare_environment()
    try:
        text = render(build_document())
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    relative = OUTPUT.relative_to(ROOT) if OUTPUT.is_relative_to(ROOT) else OUTPUT
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current == text:
            print(f"{relative} is up to date")
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            text.splitlines(keepends=True),
            f"{relative} (committed)",
            f"{relative} (from the code)",
            n=2,
        )
        sys.stderr.writelines(list(diff)[:80])
        print(f"\n{relative} is stale: run `make openapi` and commit it", file=sys.stderr)
        return 1
    OUTPUT.write_text(text, encoding="utf-8")
    count = sum(1 for _ in operations(json.loads(text)))
    print(f"wrote {relative} ({count} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
