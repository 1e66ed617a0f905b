"""The resolver factory and the Lambda entry point every function uses.

``create_app`` gives a validating ``APIGatewayRestResolver`` whose errors all answer in
problem+json. ``make_handler`` wraps it with what must hold for every response, errors included
(STYLE.md 5.3: middlewares do not see exception-handler responses, so this is done on the final
response dict): request checks that come before any database call (body size, media type,
credentials in the query string), ``X-Request-Id``, ``X-Content-Type-Options``, a default
``Cache-Control``, CORS for allow-listed origins, and OPTIONS.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from agenda_core.errors import (
    ApiError,
    BadRequest,
    FieldError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from agenda_core.http.auth import authenticate, forget_caller
from agenda_core.http.problems import PROBLEM_JSON, problem_body, problem_response
from agenda_core.http.request import request_id
from agenda_core.http.responses import PRIVATE_CACHE
from agenda_core.http.validation import validation_problem
from agenda_core.observability import logger, metrics
from agenda_core.policy import rule_for_route
from agenda_core.settings import get_settings

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON_TYPES = frozenset({"application/json"})
_MERGE_PATCH = "application/merge-patch+json"
_QUERY_CREDENTIALS = frozenset(
    {"access_token", "refresh_token", "token", "api_key", "apikey", "authorization", "password"}
)
_CORS_ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match"
_CORS_EXPOSE_HEADERS = "ETag, Location, Retry-After, X-Request-Id, Idempotent-Replayed, Changes-Cursor"

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def create_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)

    @app.exception_handler(ApiError)
    def _api_error(error: ApiError) -> Response[str]:
        return _problem(app, error)

    @app.exception_handler(RequestValidationError)
    def _invalid(error: RequestValidationError) -> Response[str]:
        return _problem(app, validation_problem(list(error.errors())))

    @app.exception_handler(NotFoundError)
    def _no_route(_error: NotFoundError) -> Response[str]:
        allowed = allowed_methods(app, app.current_event.path)
        if allowed:
            return _problem(app, MethodNotAllowed(allowed))
        return _problem(app, NotFound("No route for this path."))

    @app.exception_handler(Exception)
    def _bug(error: Exception) -> Response[str]:
        # Logged with its trace for us; the client learns nothing about internals.
        logger.exception("unhandled error", extra={"error_type": type(error).__name__})
        return _problem(app, ApiError())

    return app


def _problem(app: APIGatewayRestResolver, error: ApiError) -> Response[str]:
    event = app.current_event.raw_event
    return problem_response(error, instance=str(event.get("path") or "/"), request_id=request_id(event))


def allowed_methods(app: APIGatewayRestResolver, path: str) -> list[str]:
    methods = {
        route.method.upper()
        for route in [*app._static_routes, *app._dynamic_routes]
        if route.rule.match(path)
    }
    return sorted(methods)


def make_handler(app: APIGatewayRestResolver) -> LambdaHandler:
    """The ``lambda_handler`` of a function built on ``app``."""

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        rid = request_id(event)
        logger.append_keys(request_id=rid, path=event.get("path"), method=event.get("httpMethod"))
        early = _preflight(app, event, rid)
        try:
            response = early if early is not None else app.resolve(event, context)
        finally:
            forget_caller()
        _count(event, int(response.get("statusCode") or 0))
        return _finish(response, event, rid)

    return handler


# Powertools keeps the metric set in class-level state that no lock guards: Lambda runs one
# invocation at a time per process, but `make dev` and the tests host every function in one
# process and serve requests in threads, where two flushes at once failed ("dictionary changed
# size during iteration", a 502) or swapped each other's `route`. Uncontended, the lock is free.
_metrics_lock = threading.Lock()


def _count(event: dict[str, Any], status: int) -> None:
    """One EMF record per request: requests and errors by route, for dashboards and alarms."""
    from aws_lambda_powertools.metrics import MetricUnit

    with _metrics_lock:
        metrics.add_dimension(name="route", value=f"{event.get('httpMethod')} {event.get('resource') or '?'}")
        metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        if status >= 500:
            metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
        elif status >= 400:
            metrics.add_metric(name="ClientErrors", unit=MetricUnit.Count, value=1)
        metrics.flush_metrics()


def _preflight(app: APIGatewayRestResolver, event: dict[str, Any], rid: str) -> dict[str, Any] | None:
    """Answers that need no route: OPTIONS, and requests refused before any database call."""
    method = str(event.get("httpMethod") or "").upper()
    path = str(event.get("path") or "/")
    try:
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
            # No route has a control character, and Powertools' route patterns end in `$`, which
            # also matches before a trailing newline: `/v1/agendas/%0A` would reach the collection.
            raise NotFound("No route for this path.")
        if method == "OPTIONS":
            return _options(app, event, path)
        query = {k.lower() for k in (event.get("queryStringParameters") or {})}
        if query & _QUERY_CREDENTIALS:
            raise BadRequest(
                "Send credentials in the Authorization header, never in the query string.",
                code="credentials_in_query",
            )
        body = event.get("body")
        if body:
            raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
            if len(raw) > get_settings().max_body_bytes:
                raise PayloadTooLarge(f"The body may be at most {get_settings().max_body_bytes} bytes.")
            if method in _BODY_METHODS:
                _check_media_type(event, method)
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    # JSON text is UTF-8 (RFC 8259 §8.1); Powertools would raise decoding it (a 500).
                    raise BadRequest(
                        "The body is not valid JSON (not UTF-8).", code="malformed_json"
                    ) from None
                if text.lstrip(" \t\r\n").startswith("["):
                    # Every body is an object, and Powertools validates a list body by its first
                    # item (a rule meant for repeated query parameters): `[a, b]` would create `a`
                    # and silently drop `b`. Refused as a non-object body is, at the body itself.
                    try:
                        json.loads(text)
                    except ValueError:
                        raise BadRequest("The body is not valid JSON.", code="malformed_json") from None
                    raise ValidationFailed(
                        [FieldError("", "model_attributes_type", "the body: must be a JSON object")]
                    )
        _apply_policy(app, event, method, path)
    except ApiError as error:
        return _problem_dict(error, path, rid)
    return None


def _apply_policy(app: APIGatewayRestResolver, event: dict[str, Any], method: str, path: str) -> None:
    """Authentication and scope from the policy table, before validation and the route."""
    rule = rule_for_route(method, str(event.get("resource") or ""))
    if rule is not None:
        authenticate(event, rule)
    elif method in allowed_methods(app, path):
        # A route the policy table does not know: refuse rather than guess (fails closed).
        logger.error("route without a policy entry", extra={"resource": event.get("resource")})
        raise ApiError()


def _check_media_type(event: dict[str, Any], method: str) -> None:
    headers = event.get("headers") or {}
    raw = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    media_type = (raw or "").split(";")[0].strip().lower()
    if media_type in _JSON_TYPES:
        return
    if media_type == _MERGE_PATCH and method == "PATCH":
        # Powertools parses only application/json: a merge patch is JSON, so say so.
        for key in [k for k in headers if k.lower() == "content-type"]:
            del headers[key]
        headers["Content-Type"] = "application/json"
        for key in [k for k in (event.get("multiValueHeaders") or {}) if k.lower() == "content-type"]:
            event["multiValueHeaders"][key] = ["application/json"]
        return
    accepted = "application/json or application/merge-patch+json" if method == "PATCH" else "application/json"
    raise UnsupportedMediaType(f"Send the body as {accepted}.")


def _options(app: APIGatewayRestResolver, event: dict[str, Any], path: str) -> dict[str, Any]:
    allowed = allowed_methods(app, path)
    if not allowed:
        return _problem_dict(NotFound("No route for this path."), path, request_id(event))
    headers = {"Allow": ", ".join([*allowed, "OPTIONS"]), "Cache-Control": PRIVATE_CACHE}
    origin = _allowed_origin(event)
    if origin:
        headers.update(
            {
                "Access-Control-Allow-Methods": ", ".join([*allowed, "OPTIONS"]),
                "Access-Control-Allow-Headers": _CORS_ALLOW_HEADERS,
                "Access-Control-Max-Age": "600",
            }
        )
    return {"statusCode": 204, "headers": headers, "body": "", "isBase64Encoded": False}


def _problem_dict(error: ApiError, path: str, rid: str) -> dict[str, Any]:
    body = problem_body(
        status=error.status,
        title=error.title,
        code=error.error_code,
        detail=error.detail,
        instance=path,
        request_id=rid,
        errors=getattr(error, "errors", None),
    )
    return {
        "statusCode": error.status,
        "headers": {"Content-Type": PROBLEM_JSON, **error.headers},
        "body": json.dumps(body, ensure_ascii=False),
        "isBase64Encoded": False,
    }


def _allowed_origin(event: dict[str, Any]) -> str | None:
    headers = event.get("headers") or {}
    origin = next((v for k, v in headers.items() if k.lower() == "origin"), None)
    if origin and origin in get_settings().cors_allow_origins:
        return str(origin)
    return None


def _finish(response: dict[str, Any], event: dict[str, Any], rid: str) -> dict[str, Any]:
    """Headers every response carries, whichever path produced it."""
    single: dict[str, Any] = dict(response.get("headers") or {})
    multi: dict[str, list[str]] = dict(response.get("multiValueHeaders") or {})
    for name, values in list(multi.items()):
        # One value per header here: fold Powertools' multi-value form into plain headers.
        if len(values) == 1 and name not in single:
            single[name] = values[0]
            del multi[name]
    single["X-Request-Id"] = rid
    single["X-Content-Type-Options"] = "nosniff"
    single.setdefault("Cache-Control", PRIVATE_CACHE)
    # Every answer may depend on who asks (API.md §1): caches must key on Authorization (and on
    # what the route itself said it varies by, e.g. Accept-Encoding for stored gzip).
    vary = ["Authorization", *(v.strip() for v in str(single.get("Vary") or "").split(",") if v.strip())]
    vary = list(dict.fromkeys(vary))
    origin = _allowed_origin(event)
    if origin:
        single["Access-Control-Allow-Origin"] = origin
        single["Access-Control-Expose-Headers"] = _CORS_EXPOSE_HEADERS
        vary.append("Origin")
    single["Vary"] = ", ".join(vary)
    response["headers"] = single
    if multi:
        response["multiValueHeaders"] = multi
    else:
        response.pop("multiValueHeaders", None)
    return response
