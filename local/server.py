"""`python -m local.server`: the API on http://127.0.0.1:3000 with AWS emulated in memory.

Starts moto's server on a free port, creates the template's tables, buckets, queues and secrets
there, seeds a demo user and agenda through the API itself, and serves the GatewayApp with a
threading WSGI server. --aws-endpoint moves DynamoDB alone to an external emulator (DynamoDB
Local), the rest staying on moto; --aws-endpoint-all moves every service (LocalStack) and
starts no moto.

Beside the API, one local-only route: GET /_local/aws-requests, the AWS requests this process
has sent so far by service and operation (local/request_counter.py), which `make loadtest` reads.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from local.emulator import direct_dynamodb_answers, undo_log_transactions
from local.gateway import GatewayApp, apply_environment, local_aws_environment
from local.proxy import RAW_HEADERS_KEY
from local.request_counter import AwsRequestCounter
from local.resources import create_resources
from local.streams import BackgroundPump
from local.template import load_template, unemulated_events

REGION = "us-east-1"
# Outside /v1 and any stage: no API Gateway route can ever take this path.
COUNTERS_PATH = "/_local/aws-requests"
# What conference apps and calendars read of the demo agenda (API.md §5), shown at start.
EXPORTS = ("calendar.ics", "schedule.json", "schedule.xml")
DEMO_USER = {"email": "demo@example.com", "password": "demo-password-123", "name": "Demo Organiser"}
DEMO_AGENDA = {
    "name": "DemoCon 2026",
    "description": "A three-day demo conference, seeded by `make dev`.",
    "location": "Berlin",
    "start_at": "2026-12-01",
    "duration": 3,
    "timezone": "Europe/Berlin",
    "published": True,
}
# The demo agenda's content, by reference name; sessions name their track, venue and speakers.
# The agenda is published, and publishing needs a schedule without conflicts (API.md §4): no
# venue and no speaker is in two overlapping sessions.
DEMO_CONTENT: dict[str, dict[str, dict[str, Any]]] = {
    "tracks": {
        "platform": {"name": "Platform", "color": "#336699", "position": 0},
        "product": {"name": "Product", "color": "#cc6633", "position": 1},
    },
    "venues": {
        "hall": {"name": "Main Hall", "capacity": 400, "position": 0},
        "lab": {"name": "Workshop Room", "capacity": 40, "position": 1},
    },
    "speakers": {
        "ada": {"name": "Ada Lovelace", "organization": "Engines", "bio": "Writes programs first."},
        "grace": {"name": "Grace Hopper", "organization": "US Navy", "bio": "Debugs with a logbook."},
        "meg": {"name": "Margaret Hamilton", "organization": "MIT", "bio": "Plans for failure."},
    },
}
# (title, kind, local day, start, end, venue, track, speakers), all times on the agenda's days.
DEMO_SESSIONS: list[tuple[str, str, str, str, str, str, str | None, tuple[str, ...]]] = [
    ("Opening keynote", "keynote", "2026-12-01", "09:00", "09:45", "hall", None, ("ada",)),
    ("Serverless at scale", "talk", "2026-12-01", "10:00", "10:45", "hall", "platform", ("grace",)),
    ("Hands-on: an agenda API", "workshop", "2026-12-01", "10:00", "12:00", "lab", "product", ("meg",)),
    ("Designing for failure", "talk", "2026-12-02", "09:30", "10:15", "hall", "platform", ("ada", "meg")),
    ("Lunch", "break", "2026-12-02", "12:00", "13:00", "hall", None, ()),
    ("Closing panel", "panel", "2026-12-03", "15:00", "16:00", "hall", "product", ("ada", "grace", "meg")),
]


class Stop(BaseException):  # a signal, like KeyboardInterrupt: no `except Exception` may catch it
    """Raised in the main thread by SIGTERM, as KeyboardInterrupt is by SIGINT."""


def _stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM (`kill`, a supervisor, `make` passing on its own SIGTERM)
    both end `serve_forever` the same way, and the finally blocks stop the server and moto.

    SIGINT is handled even when this process inherited it ignored: a shell starts a background
    job (`make dev &`) with SIGINT ignored, and Python then leaves it ignored, so Ctrl-C and
    `kill -INT` did nothing and the server never stopped.
    """

    def stop(signum: int, frame: Any) -> None:
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # Ctrl-C must not wait for a client that keeps a connection open


class RequestHandler(WSGIRequestHandler):
    """Keeps the client's header names (WSGI upper-cases them) and logs one short line a request."""

    def handle(self) -> None:
        self._started = time.perf_counter()
        super().handle()

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ[RAW_HEADERS_KEY] = list(self.headers.items())
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        elapsed = (time.perf_counter() - getattr(self, "_started", time.perf_counter())) * 1000
        print(
            f"{time.strftime('%H:%M:%S')} {self.command} {self.path} -> {code} ({elapsed:.0f} ms)", flush=True
        )

    def log_message(self, format: str, *args: Any) -> None:
        print(f"{time.strftime('%H:%M:%S')} {format % args}", file=sys.stderr, flush=True)


def with_local_routes(app: WSGIApplication, counter: AwsRequestCounter) -> WSGIApplication:
    """`app`, except GET COUNTERS_PATH: the counter's totals as JSON (local only, never deployed)."""

    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        if environ.get("PATH_INFO") != COUNTERS_PATH:
            return app(environ, start_response)
        if environ.get("REQUEST_METHOD", "GET").upper() not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Length", "0")])
            return [b""]
        body = json.dumps({"aws_requests": counter.snapshot()}).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
            ("Content-Length", str(len(body))),
        ]
        start_response("200 OK", headers)
        return [b"" if environ.get("REQUEST_METHOD", "GET").upper() == "HEAD" else body]

    return serve


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3000, help="port to serve the API on (default 3000)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo user and agenda")
    parser.add_argument(
        "--aws-endpoint",
        metavar="URL",
        help="DynamoDB at URL, an emulator of DynamoDB alone (e.g. DynamoDB Local at"
        " http://localhost:8000): the tables are created and kept there, while Secrets Manager, S3"
        " and SQS stay on the embedded moto",
    )
    parser.add_argument(
        "--aws-endpoint-all",
        metavar="URL",
        help="every AWS service at URL, an emulator of them all (e.g. LocalStack at"
        " http://localhost:4566), and no embedded moto; with --aws-endpoint too, DynamoDB goes there",
    )
    parser.add_argument(
        "--allow-loopback-webhooks",
        action="store_true",
        help="let webhook subscriptions name http:// receivers on a loopback address (e.g."
        " http://127.0.0.1:8080/hook); the deployed stack never does",
    )
    parser.add_argument("--template", default="template.yaml", help="SAM template (default template.yaml)")
    return parser.parse_args(argv)


def aws_endpoints(args: argparse.Namespace, moto_endpoint: str | None) -> tuple[str, str | None]:
    """(AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB or None) for the parsed options.

    `moto_endpoint` is the embedded moto's URL: None when --aws-endpoint-all stands in for it.
    """
    everything = args.aws_endpoint_all.rstrip("/") if args.aws_endpoint_all else moto_endpoint
    if not everything:
        raise ValueError("no endpoint for the services other than DynamoDB")
    dynamodb = args.aws_endpoint.rstrip("/") if args.aws_endpoint else None
    return everything, (dynamodb if dynamodb != everything else None)


def seed(app: GatewayApp) -> tuple[str | None, str | None]:
    """Create the demo user, agenda and its content through the API: (the agenda's id, a warning
    if any of that failed)."""
    steps = []
    user = app.request("POST", "/v1/users", json_body=DEMO_USER)
    steps.append(("POST /v1/users", user))
    credentials = {"email": DEMO_USER["email"], "password": DEMO_USER["password"]}
    token = app.request("POST", "/v1/auth/token", json_body=credentials)
    steps.append(("POST /v1/auth/token", token))
    agenda_id = None
    if token.status == 200:
        headers = {"Authorization": f"Bearer {token.json().get('access_token', '')}"}
        agenda = app.request("POST", "/v1/agendas", json_body=DEMO_AGENDA, headers=headers)
        steps.append(("POST /v1/agendas", agenda))
        if agenda.status == 201:
            agenda_id = agenda.json().get("id")
            steps.extend(_seed_content(app, f"/v1/agendas/{agenda_id}", headers))
    # A 409 for the user means it exists already (a persistent --aws-endpoint): fine.
    failed = [
        f"{name} -> {answer.status} {answer.body[:200].decode(errors='replace')}"
        for name, answer in steps
        if not (200 <= answer.status < 300 or (name == "POST /v1/users" and answer.status == 409))
    ]
    if len(steps) < 3 and not failed:
        failed.append("POST /v1/agendas not attempted")
    return agenda_id, "; ".join(failed) or None


def _seed_content(app: GatewayApp, agenda_path: str, headers: dict[str, str]) -> list[tuple[str, Any]]:
    """The demo agenda's tracks, venues, speakers and sessions: the (step, answer) of each POST."""
    steps: list[tuple[str, Any]] = []
    ids: dict[str, str] = {}
    for plural, items in DEMO_CONTENT.items():
        for name, body in items.items():
            answer = app.request("POST", f"{agenda_path}/{plural}", json_body=body, headers=headers)
            steps.append((f"POST {plural} {body['name']!r}", answer))
            if answer.status == 201:
                ids[name] = answer.json()["id"]
    for title, kind, day, start, end, venue, track, speakers in DEMO_SESSIONS:
        body = {
            "title": title,
            "kind": kind,
            "start_at": f"{day}T{start}:00+01:00",  # Europe/Berlin in December
            "end_at": f"{day}T{end}:00+01:00",
            "venue_id": ids.get(venue),
            "track_id": ids.get(track or ""),
            "speaker_ids": [ids[name] for name in speakers if name in ids],
        }
        answer = app.request("POST", f"{agenda_path}/sessions", json_body=body, headers=headers)
        steps.append((f"POST sessions {title!r}", answer))
    return steps


def _banner(
    url: str, aws: list[str], seeded: bool, agenda_id: str | None, warning: str | None, seconds: float
) -> str:
    login = json.dumps({"email": DEMO_USER["email"], "password": DEMO_USER["password"]})
    lines = [
        "",
        f"Agenda API (local) ready in {seconds:.1f} s",
        f"  API        {url}/v1",
        f"  docs       {url}/v1/docs",
        *aws,
        f"  counters   {url}{COUNTERS_PATH} (AWS requests sent, for make loadtest)",
    ]
    if seeded:
        lines.append(f"  demo user  {DEMO_USER['email']} / {DEMO_USER['password']}")
    if agenda_id:
        lines.append(f"  demo       {url}/v1/agendas/{agenda_id}")
        for index, name in enumerate(EXPORTS):
            lines.append(f"  {'exports' if index == 0 else '':<10} {url}/v1/agendas/{agenda_id}/{name}")
    lines.append(f"  try        curl -s {url}/v1/agendas")
    if seeded:
        lines.append(
            f"             curl -s {url}/v1/auth/token -H 'Content-Type: application/json' -d '{login}'"
        )
    if warning:
        lines.append(f"  WARNING    seeding failed (routes not implemented yet?): {warning}")
    lines.append("  Ctrl-C to stop.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    args = _parse(argv)
    _stop_on_signals()
    # Before any botocore session exists: each new session picks the hook up (request_counter.py).
    counter = AwsRequestCounter()
    counter.install()
    # Our own notes (imports, timeouts) at INFO; libraries (botocore, moto's werkzeug) only warn.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("local").setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every call at INFO
    template_path = Path(args.template)
    if not template_path.is_file():
        print(
            f"error: {template_path} not found (run from the repository root or pass --template)",
            file=sys.stderr,
        )
        return 2
    template = load_template(template_path)

    moto_server = None
    moto_endpoint = None
    tuning = contextlib.ExitStack()
    if not args.aws_endpoint_all:
        from moto.server import ThreadedMotoServer  # imported here: --aws-endpoint-all runs without it

        # moto serves from a thread of this process: its transactions can be tuned here.
        tuning.enter_context(undo_log_transactions())
        tuning.enter_context(direct_dynamodb_answers())
        moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto_server.start()
        host, port = moto_server.get_host_and_port()
        moto_endpoint = f"http://{host}:{port}"
    try:
        endpoint, dynamodb_endpoint = aws_endpoints(args, moto_endpoint)
        if moto_server is not None:
            aws = [f"  AWS        moto at {endpoint} (in memory: gone when this stops)"]
        else:
            aws = [f"  AWS        {endpoint} (external emulator)"]
        if dynamodb_endpoint:
            aws.append(f"  DynamoDB   {dynamodb_endpoint} (external emulator)")
        # Fake credentials and the emulators' endpoints before the first boto3 client exists.
        apply_environment(local_aws_environment(endpoint, REGION, dynamodb_endpoint=dynamodb_endpoint))
        try:
            resources = create_resources(
                template, endpoint_url=endpoint, region=REGION, dynamodb_endpoint_url=dynamodb_endpoint
            )
        except Exception as error:  # noqa: BLE001 - any failure here means the emulator is unusable
            where = f"{endpoint} and {dynamodb_endpoint}" if dynamodb_endpoint else endpoint
            print(f"error: creating the template's resources at {where} failed: {error}", file=sys.stderr)
            return 1

        try:
            server = ThreadingWSGIServer((args.host, args.port), RequestHandler)
        except OSError as error:
            print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
            return 1
        shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        url = f"http://{shown_host}:{server.server_port}"
        # No base_url: like a deployed stack without a custom domain, URLs in answers come from the
        # Host each request was sent to (right for localhost, 127.0.0.1 and a LAN address alike).
        app = GatewayApp(
            template_path,
            aws_endpoint=endpoint,
            dynamodb_endpoint=dynamodb_endpoint,
            resources=resources,
            region=REGION,
            # Stream events run as Lambda's event source mapping would: a few times a second.
            streams="manual",
            # Public snapshots are built for one base URL (services/snapshots.py); reads sent to
            # another host (localhost vs 127.0.0.1) are rendered from the table instead.
            env_overrides={
                "SNAPSHOT_BASE_URL": url,
                "ALLOW_LOOPBACK_WEBHOOKS": "true" if args.allow_loopback_webhooks else "false",
            },
        )
        server.set_app(with_local_routes(app, counter))

        agenda_id, warning = (None, None) if args.no_seed else seed(app)
        # The table's stream and the queues, as Lambda's event source mappings run them.
        stream_pump = BackgroundPump(lambda: app.pump_streams() + app.pump_queues() + app.pump_buckets())
        stream_pump.start()
        for event in unemulated_events(template):
            print(f"note: not run locally: {event} trigger")
        seconds = time.perf_counter() - started
        print(_banner(url, aws, not args.no_seed, agenda_id, warning, seconds))
        sys.stdout.flush()
        try:
            server.serve_forever()
        except (KeyboardInterrupt, Stop):
            print("\nstopping", flush=True)
        finally:
            stream_pump.stop()
            server.server_close()
    finally:
        if moto_server is not None:
            moto_server.stop()
        tuning.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C during startup: the finally blocks have cleaned up
        sys.exit(128 + signal.SIGINT)
    except Stop:  # SIGTERM during startup, likewise
        sys.exit(128 + signal.SIGTERM)
