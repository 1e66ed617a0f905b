"""A WSGI app that mirrors API Gateway's REST proxy integration over the template's functions.

It matches the request against the template's `Api` events, builds the version 1.0 proxy event,
calls the real handler in-process and serves the proxy response, with API Gateway's own
answers where it would give them (no route, payload too large, a failed invocation).
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from local import lambda_runtime
from local.event_sources import EventSources
from local.proxy import (
    RAW_HEADERS_KEY,
    HttpAnswer,
    build_event,
    gateway_answer,
    proxy_answer,
    request_path,
)
from local.routing import RouteTable
from local.template import (
    FunctionSpec,
    api_routes,
    binary_media_types,
    default_refs,
    function_environment,
    functions,
    gateway_responses,
    load_template,
    stage_name,
)

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "RAW_HEADERS_KEY",
    "GatewayApp",
    "LocalResponse",
    "apply_environment",
    "local_aws_environment",
]

log = logging.getLogger("local")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's request payload quota

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def local_aws_environment(
    aws_endpoint: str | None, region: str, *, dynamodb_endpoint: str | None = None
) -> dict[str, str | None]:
    """AWS settings for a local run: fake credentials, the region, the emulators (None = unset).

    Fake credentials so nothing local can ever reach a real account; profiles and inherited
    per-service endpoints are unset, so `aws_endpoint` (or moto's in-process mock) answers every
    call except DynamoDB's when `dynamodb_endpoint` is given (an emulator of DynamoDB alone, such
    as DynamoDB Local, which also serves the streams of its tables).
    """
    environment: dict[str, str | None] = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": None,
        "AWS_ENDPOINT_URL": aws_endpoint,
    }
    for name in os.environ:
        if name.startswith("AWS_ENDPOINT_URL_"):
            environment[name] = None
    if dynamodb_endpoint:
        # botocore's service-specific endpoints (AWS_ENDPOINT_URL_<SERVICE ID>) beat AWS_ENDPOINT_URL.
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
        environment["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = dynamodb_endpoint
    return environment


def apply_environment(environment: Mapping[str, str | None]) -> None:
    """Set (or, for None, unset) each variable in os.environ."""
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@dataclass(frozen=True)
class LocalResponse:
    """An answer from `GatewayApp.request`."""

    status: int
    headers: list[tuple[str, str]]  # in order, names repeated as sent (Set-Cookie)
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header, whatever the case of its name."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)


class _Function:
    """One function's "container": its spec, its handler once imported, and a lock."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        self.loaded: lambda_runtime.LoadedHandler | None = None
        # One container per function serves one invocation at a time.
        self.lock = threading.Lock()


class GatewayApp(EventSources):
    """API Gateway (REST, proxy integration) in front of the template's functions, as WSGI.

    Constructing it reads the template only: no server, no network, no handler import. At the
    first request, os.environ gets the functions' environment and the local AWS settings, then
    each handler is imported on its first invocation.

    `resources` maps logical ids to physical names (what `create_resources` returns; default:
    `default_refs`). `base_url` (an origin without /v1, e.g. "http://127.0.0.1:3000") becomes
    PUBLIC_BASE_URL and the Host of `request()`; without it, the code derives URLs per request.
    `aws_endpoint` becomes AWS_ENDPOINT_URL (None: unset, for moto's in-process `mock_aws`);
    `dynamodb_endpoint`, if given, AWS_ENDPOINT_URL_DYNAMODB (DynamoDB alone goes there).
    `env_overrides` win over everything else. `streams` says how the template's DynamoDB stream
    events reach their functions (local/streams.py): "after_writes" (after every request that may
    write, before answering it: what tests want), or "manual" (the owner calls `pump_streams`, e.g.
    from a background thread).
    """

    def __init__(
        self,
        template_path: str | Path = "template.yaml",
        *,
        env_overrides: Mapping[str, str] | None = None,
        base_url: str | None = None,
        aws_endpoint: str | None = None,
        dynamodb_endpoint: str | None = None,
        resources: Mapping[str, str] | None = None,
        parameters: Mapping[str, Any] | None = None,
        region: str = "us-east-1",
        stage: str | None = None,
        streams: str = "after_writes",
    ) -> None:
        self.template_path = Path(template_path).resolve()
        self.template = load_template(self.template_path)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.aws_endpoint = aws_endpoint
        self.dynamodb_endpoint = dynamodb_endpoint
        self.region = region
        self.resources = dict(resources) if resources is not None else default_refs(self.template, region)
        self.parameters = dict(parameters or {})
        self.env_overrides = dict(env_overrides or {})
        self.stage = stage or stage_name(self.template, parameters) or "local"
        self.routes = RouteTable(api_routes(self.template, parameters))
        self.responses = gateway_responses(self.template, parameters)
        self.binary_types = binary_media_types(self.template)
        self._functions = {
            logical_id: _Function(spec) for logical_id, spec in functions(self.template, parameters).items()
        }
        self._environment_applied = False
        self._environment_lock = threading.Lock()
        self.streams = streams
        self._pumps: dict[str, Any] = {}  # event source kind -> its pump (local/streams.py ...)
        self._pump_lock = threading.Lock()

    # -- environment ---------------------------------------------------------------------------

    def environment(self) -> dict[str, str | None]:
        """What the first request puts in os.environ (None: removed)."""
        merged: dict[str, str] = {}
        for logical_id in self._functions:
            own = function_environment(
                self.template, logical_id, self.resources, self.parameters, self.region
            )
            for name, value in own.items():
                if name in merged and merged[name] != value:
                    # One process hosts every function, so one value must serve them all.
                    log.warning(
                        "%s=%r for %s conflicts with %r: keeping the first",
                        name,
                        value,
                        logical_id,
                        merged[name],
                    )
                    continue
                merged[name] = value
        environment: dict[str, str | None] = dict(merged)
        if self.base_url:
            environment["PUBLIC_BASE_URL"] = self.base_url
        environment.update(
            local_aws_environment(self.aws_endpoint, self.region, dynamodb_endpoint=self.dynamodb_endpoint)
        )
        environment.update(self.env_overrides)
        return environment

    def _ensure_environment(self) -> None:
        with self._environment_lock:
            if not self._environment_applied:
                apply_environment(self.environment())
                self._environment_applied = True

    def close(self) -> None:
        """Retire every container: their handler modules are forgotten, the next request imports
        them again (a cold start). Tests make a gateway per test and close it after."""
        for function in self._functions.values():
            with function.lock:
                if function.loaded is not None:
                    function.loaded.unload()
                    function.loaded = None

    # -- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        status, headers, body = self.handle(environ)
        if environ.get("REQUEST_METHOD", "").upper() == "HEAD":
            body = b""
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        start_response(f"{status} {reason}", headers)
        return [body]

    def handle(self, environ: Mapping[str, Any]) -> HttpAnswer:
        """Answer one WSGI request: (status, headers, body)."""
        request_id = str(uuid.uuid4())
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_PAYLOAD_BYTES:
            return gateway_answer("REQUEST_TOO_LARGE", self.responses, request_id, environ, self.stage)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        match = self.routes.match(str(environ.get("REQUEST_METHOD", "GET")), request_path(environ))
        if match is None:
            return gateway_answer(
                "MISSING_AUTHENTICATION_TOKEN", self.responses, request_id, environ, self.stage
            )
        event = build_event(environ, match, body, request_id, self.stage, self.binary_types)
        answer = self._invoke(self._functions[match.route.function_id], event, request_id, environ)
        # A refused request wrote nothing (API.md: bad input changes nothing); were that ever
        # broken, its records would still go out with the next pump.
        refused = answer[0] >= 400
        if (
            self.streams == "after_writes"
            and event["httpMethod"] not in ("GET", "HEAD", "OPTIONS")
            and not refused
        ):
            try:
                self.pump_streams()
            except Exception:
                log.exception("delivering stream records failed")
        return answer

    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        """Invokes a function as Lambda would (its container, its lock): the handler's result."""
        self._ensure_environment()
        function = self._functions[function_id]
        with function.lock:
            if function.loaded is None:
                function.loaded = lambda_runtime.load_handler(function.spec, self.template_path.parent)
            context = lambda_runtime.new_context(function.spec, self.region)
            return function.loaded.handler(event, context)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        remote_addr: str = "127.0.0.1",
    ) -> LocalResponse:
        """Call the API in-process (no socket): for the seed and for tests.

        `path` may carry a query string; `headers` may repeat a name when given as pairs;
        `remote_addr` is the client address API Gateway reports (`requestContext.identity.sourceIp`).
        """
        given = list(headers.items() if isinstance(headers, Mapping) else headers or [])
        names = {name.lower() for name, _ in given}
        origin = urlsplit(self.base_url or "http://localhost")
        raw_headers = [] if "host" in names else [("Host", origin.netloc)]
        if json_body is not None:
            body = json.dumps(json_body)
            if "content-type" not in names:
                raw_headers.append(("Content-Type", "application/json"))
        data = body.encode() if isinstance(body, str) else (body or b"")
        raw_headers += given
        path_only, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": method.upper(),
            "PATH_INFO": unquote(path_only).encode().decode("latin-1"),  # as a WSGI server passes it
            "QUERY_STRING": query,
            "CONTENT_LENGTH": str(len(data)),
            "SERVER_NAME": origin.hostname or "localhost",
            "SERVER_PORT": str(origin.port or (443 if origin.scheme == "https" else 80)),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": remote_addr,
            "wsgi.url_scheme": origin.scheme,
            "wsgi.input": io.BytesIO(data),
            RAW_HEADERS_KEY: raw_headers,
        }
        return LocalResponse(*self.handle(environ))

    # -- the event -----------------------------------------------------------------------------

    # -- invoking ------------------------------------------------------------------------------

    def _invoke(
        self, function: _Function, event: dict[str, Any], request_id: str, environ: Mapping[str, Any]
    ) -> HttpAnswer:
        self._ensure_environment()
        spec = function.spec
        with function.lock:
            try:
                if function.loaded is None:
                    started = time.perf_counter()
                    function.loaded = lambda_runtime.load_handler(spec, self.template_path.parent)
                    log.info(
                        "%s: imported in %.0f ms", spec.logical_id, (time.perf_counter() - started) * 1000
                    )
                context = lambda_runtime.new_context(spec, self.region)
                started = time.perf_counter()
                result = lambda_runtime.marshal(function.loaded.handler(event, context))
                elapsed = time.perf_counter() - started
                if elapsed > spec.timeout_s:
                    log.warning(
                        "%s: took %.1f s, over its %.0f s timeout", spec.logical_id, elapsed, spec.timeout_s
                    )
                return proxy_answer(result, request_id)
            except Exception:  # noqa: BLE001 - whatever the handler raises, API Gateway answers 502
                # API Gateway hides the failure from the client; the developer gets the traceback.
                traceback.print_exc()
                return gateway_answer("INTEGRATION_FAILURE", self.responses, request_id, environ, self.stage)

    # -- API Gateway's own answers -------------------------------------------------------------
