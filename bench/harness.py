"""The stack every benchmark runs against: moto's server, the template's resources, the gateway.

The gateway delivers the table's stream only when asked (`GatewayApp(streams="manual")`):
`build_snapshots` pumps it once a dataset is seeded, so the snapshot function rebuilds each agenda
once per batch instead of once per write, and checks that anonymous reads then answer from the
snapshot (docs/design.md "Public snapshots"). Snapshots are built for `BASE_URL`, the base the code
derives from the events the bench sends (Host: localhost), in the gateway and in every child.

moto runs as a real HTTP server (not `mock_aws`) because the measured handlers run in other
processes: they reach it through AWS_ENDPOINT_URL exactly as they would reach DynamoDB. It runs
in this process, so the server's own CPU never shows in a measured child's `process_time`.
Three patches keep it fast enough for a few hundred sessions (`local.emulator.undo_log_transactions`
and `direct_dynamodb_answers`, `replayed_reads`); none changes an answer.
"""

from __future__ import annotations

import io
import logging
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.emulator import direct_dynamodb_answers, undo_log_transactions
from local.gateway import RAW_HEADERS_KEY, GatewayApp, local_aws_environment
from local.resources import create_resources
from local.template import FunctionSpec, function_environment, functions, load_template

REGION = "us-east-1"
# What `base_url_of` derives from the bench's events (Host: localhost, X-Forwarded-Proto: http):
# snapshots must be built on it, or anonymous reads would render from the table (another host).
BASE_URL = "http://localhost"
ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
# Passed on to the measured children; everything else of this shell (AWS_CA_BUNDLE, profiles,
# PYTHONDONTWRITEBYTECODE, PYTHONPATH...) stays out, as it would on Lambda.
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


@dataclass
class Stack:
    """A running emulator with the template's resources, and a gateway over the real handlers."""

    endpoint: str
    refs: dict[str, str]
    template: Mapping[str, Any]
    gateway: GatewayApp
    functions: dict[str, FunctionSpec]

    def table_names(self) -> tuple[str, str]:
        """(main table, idempotency table) as the functions see them."""
        env = function_environment(self.template, next(iter(self.functions)), self.refs, region=REGION)
        return env["TABLE_NAME"], env["IDEMPOTENCY_TABLE_NAME"]


_READS = frozenset({"Query", "GetItem", "BatchGetItem", "TransactGetItems", "DescribeTable"})


@contextmanager
def replayed_reads() -> Iterator[None]:
    """moto answers a repeated read from memory until the next write to DynamoDB.

    moto serialises a response through its generic, model-driven serializer: a Query of a
    440-item partition costs it ~1 s, of which ~0.2 s is the query itself. The measured handlers
    read the same partition hundreds of times in a row with no write in between, and only their
    own CPU is measured (the emulator runs in this process), so this changes nothing they do or
    are charged for; it only keeps `make bench` within minutes. Any other DynamoDB action (a
    write) forgets every stored answer, and an answer computed while a write ran is not kept.
    """
    import json
    import threading

    from moto.dynamodb import responses

    lock = threading.Lock()
    answers: dict[str, Any] = {}
    generation = [0]
    original = responses.DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        target = str(self.headers.get("X-Amz-Target") or self.headers.get("x-amz-target") or "")
        action = target.rpartition(".")[2]
        if action not in _READS:
            with lock:
                generation[0] += 1
                answers.clear()
            try:
                return original(self)
            finally:
                with lock:
                    generation[0] += 1
                    answers.clear()
        key = action + json.dumps(getattr(self, "params", None), sort_keys=True, default=str)
        with lock:
            seen, started = answers.get(key), generation[0]
        if seen is not None:
            status, headers, body = seen
            return status, dict(headers), body
        status, headers, body = original(self)
        with lock:
            if status == 200 and generation[0] == started:
                answers[key] = (status, dict(headers), body)
        return status, headers, body

    responses.DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    try:
        yield
    finally:
        responses.DynamoHandler.call_action = original  # type: ignore[method-assign]


@contextmanager
def running_stack() -> Iterator[Stack]:
    """moto on 127.0.0.1 (a free port), the template's tables and secret, a GatewayApp on them."""
    from moto.server import ThreadedMotoServer

    # werkzeug logs every request moto serves; thousands of lines would bury the report.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # create_resources uses boto3's default credential chain: give it fake ones first.
        for name, value in local_aws_environment(endpoint, REGION).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        template = load_template(TEMPLATE)
        refs = create_resources(template, endpoint_url=endpoint, region=REGION)
        gateway = GatewayApp(
            TEMPLATE,
            aws_endpoint=endpoint,
            resources=refs,
            region=REGION,
            # The in-process handlers only seed and count requests: keep their INFO logs quiet.
            env_overrides={"POWERTOOLS_LOG_LEVEL": "WARNING", "SNAPSHOT_BASE_URL": BASE_URL},
            # Streams delivered by build_snapshots: after every write, the 300-session dataset
            # would rebuild its snapshot 450 times.
            streams="manual",
        )
        with undo_log_transactions(), direct_dynamodb_answers(), replayed_reads():
            yield Stack(endpoint, refs, template, gateway, functions(template))
    finally:
        server.stop()


@contextmanager
def quiet() -> Iterator[None]:
    """Swallow what in-process handlers print (Powertools Metrics writes EMF lines to stdout)."""
    with redirect_stdout(io.StringIO()):
        yield


@dataclass(frozen=True)
class Snapshot:
    """A published agenda's public snapshot, as an anonymous reader gets it."""

    agenda_id: str
    gzip_bytes: int  # what S3 stores, and what a client accepting gzip receives
    json_bytes: int  # the same answer decompressed
    version: int


def build_snapshots(stack: Stack, agenda_ids: list[str]) -> dict[str, Snapshot]:
    """Delivers the table's stream (the snapshot function rebuilds every agenda written since the
    last delivery, once per batch), then checks that each agenda's anonymous read is its snapshot:
    gzip bytes as stored to a client accepting gzip, the same text decompressed to one that does
    not, one S3 GetObject and no DynamoDB request for either. Raises RuntimeError otherwise."""
    import gzip

    from bench.ddb_requests import recording  # imports this module: not at the top

    with quiet():
        stack.gateway.pump_streams()
    found = {}
    for agenda_id in agenda_ids:
        path = f"/v1/agendas/{agenda_id}"
        with quiet(), recording() as calls:
            packed = stack.gateway.request("GET", path, headers={"Accept-Encoding": "gzip"})
            plain = stack.gateway.request("GET", path)
        problems = []
        if packed.status != 200 or plain.status != 200:
            problems.append(f"HTTP {packed.status} / {plain.status}")
        elif packed.header("Content-Encoding") != "gzip":
            problems.append(
                f"Content-Encoding {packed.header('Content-Encoding')!r} to a client accepting gzip"
            )
        elif gzip.decompress(packed.body) != plain.body:
            problems.append("the gzip answer is not the plain answer compressed")
        operations = [f"{c.service}.{c.operation}" for c in calls]
        if operations != ["s3.GetObject", "s3.GetObject"]:
            problems.append(f"sent {operations or 'nothing'}, not one S3 GetObject each")
        if problems:
            raise RuntimeError(
                f"the anonymous read of {agenda_id} is not its snapshot: {'; '.join(problems)}"
            )
        found[agenda_id] = Snapshot(
            agenda_id, len(packed.body), len(plain.body), int(plain.json()["version"])
        )
    return found


def api_event(
    gateway: GatewayApp,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    json_body: Any = None,
) -> tuple[str, dict[str, Any]]:
    """(function logical id, the proxy event API Gateway would send) for one request.

    Built by the gateway itself (route matching and `build_event`), so the measured children get
    the same events the in-process handlers get.
    """
    import json

    raw_headers = [("Host", "localhost")]
    body = b""
    if json_body is not None:
        body = json.dumps(json_body).encode()
        raw_headers.append(("Content-Type", "application/json"))
    raw_headers += list((headers or {}).items())
    path_only, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method.upper(),
        "PATH_INFO": path_only,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        RAW_HEADERS_KEY: raw_headers,
    }
    match = gateway.routes.match(method.upper(), path_only)
    if match is None:
        raise LookupError(f"no route in the template for {method} {path_only}")
    return match.route.function_id, _build_event(gateway, environ, match, body)


def _build_event(gateway: GatewayApp, environ: dict[str, Any], match: Any, body: bytes) -> dict[str, Any]:
    from local.proxy import build_event

    binary_types = tuple(getattr(gateway, "binary_types", ()))  # the API's BinaryMediaTypes
    return build_event(environ, match, body, str(uuid.uuid4()), gateway.stage, binary_types)


def child_environment(stack: Stack, function_id: str, pycache_prefix: Path) -> dict[str, str]:
    """A function's environment as Lambda would set it, pointed at the emulator, with fake credentials.

    PYTHONPYCACHEPREFIX keeps bytecode out of the source tree while still letting every child after
    the first import from .pyc (STYLE.md 5.14: the deployed artefacts carry .pyc).
    """
    environment = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
    environment.update(function_environment(stack.template, function_id, stack.refs, region=REGION))
    if "SNAPSHOT_BASE_URL" in environment:  # the snapshot function: build what the reads ask for
        environment["SNAPSHOT_BASE_URL"] = BASE_URL
    for name, value in local_aws_environment(stack.endpoint, REGION).items():
        if value is not None:
            environment[name] = value
    environment["PYTHONPYCACHEPREFIX"] = str(pycache_prefix)
    return environment


def layer_paths(spec: FunctionSpec) -> list[str]:
    """The function's layers as sys.path entries (what Lambda mounts at /opt/python)."""
    paths = []
    for layer in spec.layer_dirs:
        layer_dir = (ROOT / layer).resolve()
        # A prebuilt layer keeps its packages under python/; a BuildMethod layer is the package root.
        if (layer_dir / "python").is_dir() and not any(layer_dir.glob("*/__init__.py")):
            layer_dir = layer_dir / "python"
        paths.append(str(layer_dir))
    return paths
