"""API Gateway's side of a REST API Lambda proxy integration, as plain functions.

The event it sends (payload format 1.0), how it serves the function's answer, and the answers
it gives itself (gateway responses), customised by the template or not.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl
from wsgiref.util import is_hop_by_hop

from local.intrinsics import ACCOUNT_ID
from local.routing import Match
from local.template import GatewayResponseSpec

RAW_HEADERS_KEY = "local.raw_headers"  # environ key: [(name, value)] as sent, set by local.server
API_ID = "local"

HttpAnswer = tuple[int, list[tuple[str, str]], bytes]

NO_ROUTE_BODY = {
    "type": "about:blank",
    "title": "Not Found",
    "status": 404,
    "code": "not_found",
    "detail": "No route for this path.",
}
# API Gateway's defaults for the answers it gives itself, when the template does not customise them.
BUILTIN: dict[str, tuple[int, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "Missing Authentication Token"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "INTEGRATION_FAILURE": (502, "Internal server error"),
}


def is_binary(content_type: str | None, binary_types: tuple[str, ...]) -> bool:
    """API Gateway's rule for a request body: binary (base64 to the function) when its
    Content-Type matches one of the API's binary media types (`*/*` matches all)."""
    media = (content_type or "").split(";")[0].strip().lower()
    for pattern in binary_types:
        kind, _, sub = pattern.lower().partition("/")
        if pattern == "*/*" or (sub == "*" and media.startswith(kind + "/")) or media == pattern.lower():
            return True
    return False


def build_event(
    environ: Mapping[str, Any],
    match: Match,
    body: bytes,
    request_id: str,
    stage: str,
    binary_types: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The REST API proxy event (payload format 1.0) for this request."""
    method = str(environ.get("REQUEST_METHOD", "GET")).upper()
    path = request_path(environ)
    sent = raw_headers(environ)
    # API Gateway adds these before calling the integration.
    remote = str(environ.get("REMOTE_ADDR") or "127.0.0.1")
    forwarded = next((v for k, v in sent if k.lower() == "x-forwarded-for"), None)
    sent = [(k, v) for k, v in sent if k.lower() != "x-forwarded-for"]
    sent.append(("X-Forwarded-For", f"{forwarded}, {remote}" if forwarded else remote))
    present = {k.lower() for k, _ in sent}
    if "x-forwarded-port" not in present:
        sent.append(("X-Forwarded-Port", str(environ.get("SERVER_PORT") or "80")))
    if "x-forwarded-proto" not in present:
        sent.append(("X-Forwarded-Proto", str(environ.get("wsgi.url_scheme") or "http")))
    headers, multi_headers = _group(sent, case_insensitive=True)
    query, multi_query = _group(parse_qsl(str(environ.get("QUERY_STRING") or ""), keep_blank_values=True))
    host = next((v for k, v in sent if k.lower() == "host"), str(environ.get("SERVER_NAME") or ""))
    now = time.time()
    route = match.route
    content_type = next((v for k, v in sent if k.lower() == "content-type"), None)
    if body and is_binary(content_type, binary_types):
        event_body, is_base64 = base64.b64encode(body).decode("ascii"), True
    elif body:
        try:
            event_body, is_base64 = body.decode("utf-8"), False
        except UnicodeDecodeError:
            event_body, is_base64 = base64.b64encode(body).decode("ascii"), True
    else:
        event_body, is_base64 = None, False
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "resourceId": hashlib.sha256(route.path.encode()).hexdigest()[:6],
            "resourcePath": route.path,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "protocol": str(environ.get("SERVER_PROTOCOL") or "HTTP/1.1"),
            "domainName": host,
            "identity": {
                "sourceIp": remote,
                "userAgent": next((v for k, v in headers.items() if k.lower() == "user-agent"), None),
            },
        },
        "body": event_body,
        "isBase64Encoded": is_base64,
    }


def gateway_answer(
    kind: str,
    responses: Mapping[str, GatewayResponseSpec],
    request_id: str,
    environ: Mapping[str, Any],
    stage: str,
) -> HttpAnswer:
    """API Gateway's own answer of type `kind`: the template's if customised, else the default."""
    method, path = str(environ.get("REQUEST_METHOD", "GET")).upper(), request_path(environ)
    status, message = BUILTIN[kind]
    family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
    spec = responses.get(kind) or responses.get(family)
    if spec is None:
        if kind == "MISSING_AUTHENTICATION_TOKEN":
            # API Gateway's own default is a 403 "Missing Authentication Token"; this project's
            # template always turns it into this 404 (docs/design.md), so that is the fallback.
            body = json.dumps({**NO_ROUTE_BODY, "request_id": request_id})
            return _answer(404, [("Content-Type", "application/problem+json")], body, request_id)
        body = json.dumps({"message": message})
        return _answer(status, [("Content-Type", "application/json")], body, request_id)
    context = {
        "context.requestId": request_id,
        "context.extendedRequestId": request_id,
        "context.error.messageString": json.dumps(message),
        "context.error.message": message,
        "context.error.responseType": kind,
        "context.httpMethod": method,
        "context.path": f"/{stage}{path}",
        "context.stage": stage,
        "context.apiId": API_ID,
        "context.accountId": ACCOUNT_ID,
    }
    return _render(spec, status, context, raw_headers(environ), request_id)


def _render(
    spec: GatewayResponseSpec,
    status: int,
    context: Mapping[str, str],
    request_headers: list[tuple[str, str]],
    request_id: str,
) -> HttpAnswer:
    """A customised gateway response. Templates get `$context.*` substituted, nothing more: that
    is all API Gateway does for gateway responses (no VTL)."""
    content_type, body = next(
        iter(spec.templates.items()), ("application/json", '{"message":$context.error.messageString}')
    )
    # Longest names first, so $context.error.messageString is not eaten by $context.error.message.
    for name in sorted(context, key=len, reverse=True):
        body = body.replace("${" + name + "}", context[name]).replace("$" + name, context[name])
    headers = [("Content-Type", content_type)]
    for name, expression in spec.headers.items():
        value = _mapping_value(expression, context, request_headers)
        if value is not None:
            headers = [(k, v) for k, v in headers if k.lower() != name.lower()] + [(name, value)]
    return _answer(spec.status or status, headers, body, request_id)


def _mapping_value(
    expression: str, context: Mapping[str, str], request_headers: list[tuple[str, str]]
) -> str | None:
    """Evaluate a gateway response header mapping: 'literal', context.x, method.request.header.X."""
    if len(expression) >= 2 and expression[0] == expression[-1] == "'":
        return expression[1:-1]
    if expression in context:
        return context[expression]
    prefix = "method.request.header."
    if expression.startswith(prefix):
        wanted = expression.removeprefix(prefix).lower()
        return next((v for k, v in reversed(request_headers) if k.lower() == wanted), None)
    return None


def _answer(status: int, headers: list[tuple[str, str]], body: str | bytes, request_id: str) -> HttpAnswer:
    data = body.encode() if isinstance(body, str) else body
    pairs = [(k, v) for k, v in headers if k.lower() != "content-length"]
    pairs += [("x-amzn-RequestId", request_id), ("Content-Length", str(len(data)))]
    return status, pairs, data


def proxy_answer(result: Any, request_id: str) -> HttpAnswer:
    """Serve a Lambda proxy response dict; a malformed one is a 502, as in API Gateway."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError(f"Malformed Lambda proxy response: {str(result)[:200]}")
    status = result["statusCode"]
    if not 100 <= status <= 599:
        raise ValueError(f"Malformed Lambda proxy response: statusCode {status}")
    single = {} if result.get("headers") is None else result["headers"]
    multi = {} if result.get("multiValueHeaders") is None else result["multiValueHeaders"]
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise ValueError("Malformed Lambda proxy response: headers must be objects")
    if not all(isinstance(values, list) for values in multi.values()):
        raise ValueError("Malformed Lambda proxy response: multiValueHeaders values must be lists")
    # Both maps are merged; for a name in both, multiValueHeaders wins (API Gateway's rule).
    multi_names = {name.lower() for name in multi}
    pairs = [(str(k), _header_value(v)) for k, v in single.items() if k.lower() not in multi_names]
    pairs += [(str(k), _header_value(v)) for k, values in multi.items() for v in values]
    pairs = [(k, v) for k, v in pairs if not is_hop_by_hop(k) and k.lower() != "content-length"]
    if not any(k.lower() == "content-type" for k, _ in pairs):
        pairs.append(("Content-Type", "application/json"))  # API Gateway's default for proxy answers
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(str(body))
    else:
        data = str(body).encode()
    pairs += [("x-amzn-RequestId", request_id), ("Content-Length", str(len(data)))]
    return status, pairs, data


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def request_path(environ: Mapping[str, Any]) -> str:
    # WSGI decodes the path as latin-1; the client sent UTF-8.
    raw = str(environ.get("PATH_INFO") or "/")
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def raw_headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The request headers with the client's casing when the server kept them, else rebuilt."""
    if RAW_HEADERS_KEY in environ:
        return [(str(k), str(v)) for k, v in environ[RAW_HEADERS_KEY]]
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key
        else:
            continue
        headers.append(("-".join(part.capitalize() for part in name.split("_")), str(value)))
    return headers


def _group(
    pairs: Iterable[tuple[str, str]], case_insensitive: bool = False
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(last value per name, all values per name), as API Gateway fills the two event maps."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in pairs:
        key = names.setdefault(name.lower() if case_insensitive else name, name)
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi
