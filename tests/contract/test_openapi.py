"""template.yaml, each function's resolver and the committed OpenAPI document describe one API.

Routes are compared as (METHOD, path) with OpenAPI's `{param}` form; the template's catch-all
`ANY` methods are compared separately (each path has one, on the function that serves the path).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from local.template import api_routes
from tests.contract.conftest import OPENAPI_FILE, ROOT, TEMPLATE, build_openapi

naming = importlib.import_module("openapi_operations")  # scripts/, beside build_openapi (on sys.path)

Route = tuple[str, str]
HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


def function_of(code_uri: str) -> str:
    """functions/agendas/ -> agendas"""
    path = Path(code_uri)
    assert path.parent == Path("functions"), f"CodeUri {code_uri} is not a functions/<name>/ directory"
    return path.name


def template_routes() -> dict[Route, str]:
    """(METHOD, path) -> function directory, for every specific method of template.yaml."""
    routes: dict[Route, str] = {}
    for route in api_routes(TEMPLATE):
        if route.method == "ANY":
            continue
        key = (route.method, route.path)
        assert key not in routes, f"{key} appears twice in template.yaml"
        routes[key] = function_of(route.code_uri)
    return routes


def resolver_routes(apps: dict[str, Any]) -> dict[Route, str]:
    """(METHOD, path) -> function, for every route each function's resolver registers."""
    routes: dict[Route, str] = {}
    for name, app in apps.items():
        for route in [*app._static_routes, *app._dynamic_routes]:
            key = (route.method.upper(), route.openapi_path)
            assert key not in routes, f"{key} is registered by {routes.get(key)} and {name}"
            routes[key] = name
    return routes


def document_operations(document: dict[str, Any]) -> dict[Route, dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def test_template_routes_are_the_resolvers_routes(function_apps: dict[str, Any]) -> None:
    # Same set of routes, and each one served by the function whose app registers it.
    assert template_routes() == resolver_routes(function_apps)


def test_every_function_with_an_app_is_in_the_template(function_apps: dict[str, Any]) -> None:
    in_template = {function_of(route.code_uri) for route in api_routes(TEMPLATE)}
    assert set(function_apps) == in_template


def test_every_path_has_an_any_method_on_its_own_function() -> None:
    # docs/design.md: a wrong method must reach our code (405 + Allow), not API Gateway's 403.
    functions_by_path: dict[str, set[str]] = defaultdict(set)
    any_paths: dict[str, str] = {}
    for route in api_routes(TEMPLATE):
        if route.method == "ANY":
            any_paths[route.path] = function_of(route.code_uri)
        else:
            functions_by_path[route.path].add(function_of(route.code_uri))
    assert {path: functions for path, functions in functions_by_path.items() if len(functions) != 1} == {}
    assert any_paths == {path: next(iter(functions)) for path, functions in functions_by_path.items()}


def test_documented_operations_are_the_resolvers_routes(
    function_apps: dict[str, Any], openapi_document: dict[str, Any]
) -> None:
    operations = document_operations(openapi_document)
    routes = resolver_routes(function_apps)
    assert set(operations) == set(routes)
    # The merge tags each operation with the function it came from.
    assert {key: operation["tags"] for key, operation in operations.items()} == {
        key: [function] for key, function in routes.items()
    }


def test_every_operation_has_a_unique_operation_id_and_a_description(
    openapi_document: dict[str, Any],
) -> None:
    operations = document_operations(openapi_document)
    ids = [operation.get("operationId") for operation in operations.values()]
    assert sorted(ids) == sorted(set(ids))
    assert [
        key
        for key, op in operations.items()
        if not naming.OPERATION_ID_PATTERN.match(op.get("operationId", ""))
    ] == []
    assert [key for key, op in operations.items() if not op.get("description", "").strip()] == []


def test_every_route_of_the_policy_is_named_and_described(openapi_document: dict[str, Any]) -> None:
    from agenda_core.policy import ROUTES

    operations = document_operations(openapi_document)
    ids = naming.operation_ids()
    assert set(ids) == set(ROUTES)
    assert {f"{method} {path}": op["operationId"] for (method, path), op in operations.items()} == ids
    # what a client's methods are called (issue 13), e.g. create_agenda.sync(...) in Python
    assert {route: ids[route] for route in ROUTE_NAMES} == ROUTE_NAMES
    assert set(naming.WHAT) == set(ROUTES) - {"PATCH /v1/users/me"}  # its app describes itself


# A sample of the names, as the document gives them.
ROUTE_NAMES = {
    "POST /v1/users": "createUser",
    "POST /v1/auth/token": "createToken",
    "GET /v1/users/me": "getMe",
    "POST /v1/users/me/tokens": "createApiToken",
    "GET /v1/agendas": "listAgendas",
    "POST /v1/agendas": "createAgenda",
    "GET /v1/agendas/{agenda_id}": "getAgenda",
    "PATCH /v1/agendas/{agenda_id}": "updateAgenda",
    "GET /v1/agendas/{agenda_id}/changes": "listChanges",
    "GET /v1/agendas/{agenda_id}/sessions": "listSessions",
    "POST /v1/agendas/{agenda_id}/sessions": "createSession",
    "GET /v1/agendas/{agenda_id}/sessions/{session_id}": "getSession",
    "PUT /v1/agendas/{agenda_id}/sessions/{session_id}": "replaceSession",
    "PATCH /v1/agendas/{agenda_id}/sessions/{session_id}": "updateSession",
    "DELETE /v1/agendas/{agenda_id}/sessions/{session_id}": "deleteSession",
    "GET /v1/agendas/{agenda_id}/categories": "listCategories",
    "POST /v1/agendas/{agenda_id}/categories": "createCategory",
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/rotate-secret": "rotateWebhookSecret",
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": (
        "redeliverWebhookDelivery"
    ),
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/ping": "pingWebhook",
    "POST /v1/uploads": "createUpload",
    "GET /v1/media/{upload_id}": "getMedia",
}


def test_a_new_route_without_a_name_or_a_description_fails_the_build() -> None:
    from agenda_core.policy import ROUTES

    # A route whose operation the rule can name, and one it cannot (a noun for a verb).
    new = {
        "POST /v1/badges": "badges.create",
        "GET /v1/agendas/{agenda_id}/poster.pdf": "agenda.poster",
    }
    with pytest.raises(naming.NamingError) as raised:
        naming.operation_ids({**ROUTES, **new})
    assert str(raised.value) == (
        "no operationId for GET /v1/agendas/{agenda_id}/poster.pdf (agenda.poster): add it to "
        "IRREGULAR_OPERATION_IDS in scripts/openapi_operations.py"
    )
    assert naming.derived_operation_id("badges.create") == "createBadge"
    with pytest.raises(naming.NamingError, match=r"POST /v1/badges has no description: add one to WHAT"):
        naming.descriptions({}, {**ROUTES, **new})
    with pytest.raises(naming.NamingError, match=r"GET /v1/health is described by its app and by WHAT"):
        naming.descriptions({"GET /v1/health": "Its own."})
    # Two routes, one name (docs.read serves three routes: each has its own).
    with pytest.raises(
        naming.NamingError, match=r"operationId 'getDoc' of GET /v1/docs/b is also GET /v1/docs/a's"
    ):
        naming.operation_ids({"GET /v1/docs/a": "docs.read", "GET /v1/docs/b": "docs.read"})


def test_an_app_naming_its_own_operation_fails_the_build() -> None:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    app = APIGatewayRestResolver(enable_validation=True)

    @app.get("/v1/health", operation_id="health")
    def handle_get_health() -> dict[str, str]:
        return {}

    with pytest.raises(
        build_openapi.BuildError, match=r"functions/health: GET /v1/health passes operation_id="
    ):
        build_openapi.build_document({"health": app})


def test_descriptions_say_who_may_call_from_the_policy(openapi_document: dict[str, Any]) -> None:
    operations = {op["operationId"]: op for op in document_operations(openapi_document).values()}
    assert operations["getAgenda"]["description"].endswith(
        " Anyone may call it on a published agenda, without credentials. On an unpublished one "
        "only a member of the agenda (owner, editor or viewer) may, with a bearer token with the "
        "`read` scope (an access token, or any API token); anyone else gets a 404."
    )
    assert operations["deleteMember"]["description"] == (
        "Removes a member from the agenda; the last owner cannot leave (409). Needs a bearer token "
        "with the `write` scope (an access token, or an API token with `write`); the caller must be "
        "an owner of the agenda, or the member themself (to leave the agenda)."
    )
    assert operations["createSession"]["description"] == (
        "Creates a session in the agenda. Needs a bearer token with the `write` scope (an access "
        "token, or an API token with `write`); the caller must be an owner or an editor of the agenda."
    )
    assert operations["createApiToken"]["description"].endswith(
        " Needs an access token from signing in (POST /v1/auth/token); API tokens are refused."
    )
    assert operations["createUser"]["description"].endswith(
        " Anyone may call it: no credentials are needed, and an `Authorization` header is ignored."
    )
    assert operations["listAgendas"]["description"].endswith(
        " Anyone may call it, without credentials; a bearer token, if sent, must be valid and carry "
        "the `read` scope."
    )


def test_links_name_their_target_by_operation_id(openapi_document: dict[str, Any]) -> None:
    ids = {op["operationId"] for op in document_operations(openapi_document).values()}
    links = [
        link
        for operation in document_operations(openapi_document).values()
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert len(links) > 50
    assert [
        link for link in links if set(link) != {"operationId", "parameters"} or link["operationId"] not in ids
    ] == []


def test_committed_document_is_current(function_apps: dict[str, Any]) -> None:
    # What `make openapi` would write now, byte for byte.
    assert OPENAPI_FILE.read_text(encoding="utf-8") == build_openapi.render(
        build_openapi.build_document(function_apps)
    ), "functions/docs/openapi.json is stale: run `make openapi`"


def test_check_mode_exit_codes(
    function_apps: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_openapi, "prepare_environment", lambda: None)  # this process has its own
    monkeypatch.setattr(build_openapi, "load_apps", lambda: function_apps)
    copy = tmp_path / "openapi.json"
    monkeypatch.setattr(build_openapi, "OUTPUT", copy)

    assert build_openapi.main(["--check"]) == 1  # missing
    assert build_openapi.main([]) == 0
    assert copy.read_text(encoding="utf-8") == OPENAPI_FILE.read_text(encoding="utf-8")
    assert build_openapi.main(["--check"]) == 0
    copy.write_text(copy.read_text(encoding="utf-8").replace('"Agenda API"', '"Agenda API (old)"'))
    assert build_openapi.main(["--check"]) == 1


def test_check_mode_from_the_command_line() -> None:
    # The real entry point, in its own process: `make openapi` run with --check.
    result = subprocess.run(
        [sys.executable, "scripts/build_openapi.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "functions/docs/openapi.json is up to date\n"), (
        result.stderr
    )


def test_merge_refuses_conflicting_components_and_operation_ids() -> None:
    def schema(operation_id: str, model: dict[str, Any]) -> dict[str, Any]:
        return {
            "openapi": "3.1.0",
            "info": {"title": "x", "version": "1"},
            "paths": {f"/v1/{operation_id}": {"get": {"operationId": operation_id, "responses": {}}}},
            "components": {"schemas": {"Thing": model}},
        }

    with pytest.raises(build_openapi.BuildError, match=r"components/schemas/Thing differs between a and b"):
        build_openapi.merge({"a": schema("one", {"type": "object"}), "b": schema("two", {"type": "string"})})
    clash = schema("one", {"type": "object"})
    with pytest.raises(build_openapi.BuildError, match=r"operationId 'one' of b: GET /v1/one is also a: GET"):
        build_openapi.merge({"a": clash, "b": clash})


def test_document_header(openapi_document: dict[str, Any]) -> None:
    assert {key: openapi_document[key] for key in ("openapi", "servers")} == {
        "openapi": "3.1.0",
        "servers": build_openapi.SERVERS,
    }
    assert openapi_document["info"]["title"] == "Agenda API"
    assert openapi_document["components"]["securitySchemes"] == {
        "bearerAuth": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from POST /v1/auth/token, or an API token (`agt_…`) from "
            "POST /v1/users/me/tokens.",
        }
    }


def test_security_declared_per_operation(openapi_document: dict[str, Any]) -> None:
    from agenda_core.policy import OPERATIONS, ROUTES

    required = [{"bearerAuth": []}]
    optional = [{}, {"bearerAuth": []}]
    declared = {
        f"{method} {path}": operation.get("security")
        for (method, path), operation in document_operations(openapi_document).items()
    }
    by_policy = {"none": None, "optional": optional, "required": required}
    assert declared == {route: by_policy[OPERATIONS[op].auth] for route, op in ROUTES.items()}
    # and the policy says what API.md says
    assert (declared["POST /v1/users"], declared["GET /v1/users/me"]) == (None, required)
    assert (declared["GET /v1/agendas/{agenda_id}"], declared["DELETE /v1/agendas/{agenda_id}"]) == (
        optional,
        required,
    )


def test_every_error_is_a_problem(openapi_document: dict[str, Any]) -> None:
    # API.md §1: every error is application/problem+json; Powertools' own 422 shape is gone.
    components = openapi_document["components"]
    for (method, path), operation in document_operations(openapi_document).items():
        for status, response in operation["responses"].items():
            if "$ref" in response:
                response = components["responses"][response["$ref"].rsplit("/", 1)[1]]
            if status.startswith(("4", "5")):
                assert response["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, f"{method} {path} {status}"
            if status in ("204", "304"):
                assert "content" not in response, f"{method} {path} {status}"
    assert "HTTPValidationError" not in json.dumps(openapi_document)


def test_document_is_valid_openapi(openapi_document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(openapi_document)


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_json_success_bodies_are_described(openapi_document: dict[str, Any]) -> None:
    # A response schema without properties lets any body pass Schemathesis' schema check.
    generic = {"GET /v1/openapi.json"}  # the document itself: any JSON object, on purpose
    undescribed = []
    for (method, path), operation in document_operations(openapi_document).items():
        if f"{method} {path}" in generic:
            continue
        for status, response in operation["responses"].items():
            media = _resolve(openapi_document, response).get("content", {}).get("application/json")
            if status.startswith("2") and media is not None:
                schema = _resolve(openapi_document, media["schema"])
                if not schema.get("properties"):
                    undescribed.append(f"{method} {path} {status}")
    assert undescribed == []
