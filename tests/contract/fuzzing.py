"""What the Schemathesis tests share: the schema, its settings, and what the document cannot say.

The committed document (functions/docs/openapi.json) drives the generation; every request goes
through the in-process API Gateway (`GatewayApp`, WSGI, the test module's `gateway` fixture) to
the real handlers over moto. Every built-in check of Schemathesis 4 runs on every response (its
default: all enabled). Bounded and repeatable: a fixed seed, derandomized Hypothesis, no deadline.

Two users (RELIABILITY.md: "two users configured so the object-level-authorization check runs"),
described by a Web Fuzzing Commons auth document (wfc-auth.json) and named as peers, users that
must not see each other's objects. Schemathesis logs them in itself (POST /v1/auth/token, through
the same in-process gateway) and sends every generated request as the first, `alice`. When `alice`
reads an object that the step before made (a stateful chain: the pytest integration has no pool
of earlier responses for single operations), `object_level_authorization` replays the read as
`bob`, once per operation and run, and fails when he gets the same object while an anonymous
caller does not and no list shows it to him. `API.start` signs the users up through the API
before a module's first request; `CheckLog` records which checks ran, as whom, and what was sent.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import itertools
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import hypothesis
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.auths import AuthContext, CachingAuthProvider, set_on_case
from schemathesis.wfc.escalation import escalating_provider

from agenda_core import content_names
from agenda_core.schemas.common import TIME_ZONE_FORMAT, TIME_ZONES
from tests.contract.conftest import ItemKey, committed_document, item_keys

# Per operation and phase. 40 until issue 13 took the document from 64 to 73 operations (and the
# suite near its 6-minute budget): 32 keeps every phase and operation, at 80 % of the cases.
MAX_EXAMPLES = 32
WFC_FILE = Path(__file__).with_name("wfc-auth.json")
PEERS = ("alice", "bob")


@dataclass(frozen=True)
class Credentials:
    name: str
    email: str
    password: str


def _wfc_users() -> dict[str, Credentials]:
    """name -> what the WFC document logs in with (the document is the one source)."""
    document = json.loads(WFC_FILE.read_text(encoding="utf-8"))
    users = {}
    for entry in document["auth"]:
        login = entry["loginEndpointAuth"]["payloadUserPwd"]
        users[entry["name"]] = Credentials(entry["name"], login["username"], login["password"])
    return users


USERS = _wfc_users()
# Whom a positive `POST .../members` adds (API.md §3: the email must be a signed-up user's, which
# the document cannot say). Never one of the peers: a peer made a member may read the agenda, and
# object_level_authorization would rightly call that a leak. Signed up with the peers.
MEMBER = Credentials("carol", "carol@peers.example.com", "carol-canary-password-1")
USER_PKS = ("USER#", "EMAIL#")

# A time zone is documented by its shape and a format of our own, not as an enum of ~600 names
# (agenda_core/schemas/common.py): generated zones are real ones of the database the server takes.
schemathesis.openapi.format(TIME_ZONE_FORMAT, st.sampled_from(TIME_ZONES))

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260601,
        "generation": {"max-examples": MAX_EXAMPLES},
        "auth": {"wfc": {"path": str(WFC_FILE), "peers": list(PEERS)}},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True},
        },
        # Schemathesis 4.32's default expected statuses plus 413, nothing else: API.md §1 limits a
        # body to 64 KiB (413) whatever it holds, and a schema-valid body can be that big (10 000
        # characters sent as \uXXXX escapes).
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [
                    "400",
                    "401",
                    "403",
                    "404",
                    "405",
                    "406",
                    "409",
                    "413",
                    "415",
                    "422",
                    "428",
                    "429",
                    "5xx",
                ]
            },
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "413", "429", "5xx"]
            },
        },
    }
)
SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)

# Values only the API itself can issue, so no generated value is "valid" in the sense that
# matters: a cursor is opaque and tamper-proof (API.md §1: a forged one is a 400), an upload id
# must name a ready upload of the caller (API.md §6: otherwise 422), an If-Match must be an ETag
# of the current version (API.md §1: otherwise 412). Positive cases leave them out (a positive
# case stays positive without an optional parameter); negative cases still send them.
SERVER_ISSUED_HEADERS = ("if-match",)
SERVER_ISSUED_QUERY: dict[str, tuple[str, ...]] = {
    "GET /v1/agendas": ("cursor",),
    "GET /v1/agendas/{agenda_id}/members": ("cursor",),
    "GET /v1/users/me/agendas": ("cursor",),
    "GET /v1/users/me/tokens": ("cursor",),
    "GET /v1/agendas/{agenda_id}/webhooks": ("cursor",),
    "GET /v1/agendas/{agenda_id}/imports": ("cursor",),
    "GET /v1/agendas/{agenda_id}/changes": ("since",),
}
SERVER_ISSUED_BODY: dict[str, tuple[str, ...]] = {
    "POST /v1/agendas": ("icon",),
    "PUT /v1/agendas/{agenda_id}": ("icon",),
    "PATCH /v1/agendas/{agenda_id}": ("icon",),
}
# Agenda content (API.md §4): plural -> the item id's path parameter.
CONTENT = {kind.plural: kind.id_param for kind in content_names.CONTENT}
for _plural, _item_id in CONTENT.items():
    SERVER_ISSUED_QUERY[f"GET /v1/agendas/{{agenda_id}}/{_plural}"] = ("cursor",)
# A speaker's photo is an upload id (API.md §6), like an agenda's icon.
SPEAKER_WRITES = (
    "POST /v1/agendas/{agenda_id}/speakers",
    "PUT /v1/agendas/{agenda_id}/speakers/{speaker_id}",
    "PATCH /v1/agendas/{agenda_id}/speakers/{speaker_id}",
)
SERVER_ISSUED_BODY.update({label: ("photo",) for label in SPEAKER_WRITES})
SESSION_WRITES = (
    "POST /v1/agendas/{agenda_id}/sessions",
    "PUT /v1/agendas/{agenda_id}/sessions/{session_id}",
    "PATCH /v1/agendas/{agenda_id}/sessions/{session_id}",
)
AGENDA_WRITES = ("PUT /v1/agendas/{agenda_id}", "PATCH /v1/agendas/{agenda_id}")
# A session's references, and the agenda's list each must name an item of (API.md §4: else 422).
SESSION_REFERENCES = {
    "track_id": "tracks",
    "venue_id": "venues",
    "speaker_ids": "speakers",
    "category_ids": "categories",
}
_KEYS = itertools.count()
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{1,255}$")  # API.md §1


IMPORT_CREATE = "POST /v1/agendas/{agenda_id}/imports"
# The smallest schedule file (a conference, no events): what a positive import case imports.
SCHEDULE_FILE = json.dumps(
    {"schedule": {"conference": {"acronym": "fuzz", "title": "Fuzz", "days": []}}}
).encode()
WEBHOOK_WRITES = frozenset(
    {"POST /v1/agendas/{agenda_id}/webhooks", "PATCH /v1/agendas/{agenda_id}/webhooks/{webhook_id}"}
)


def prepare(case: schemathesis.Case) -> None:
    """Adjust a positive case for what the document cannot say (see above)."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    label = case.operation.label
    for name in SERVER_ISSUED_QUERY.get(label, ()):
        if case.query:
            case.query.pop(name, None)
    for name in SERVER_ISSUED_BODY.get(label, ()):
        if isinstance(case.body, dict):
            case.body.pop(name, None)
    for name in list(case.headers or {}):
        if name.lower() in SERVER_ISSUED_HEADERS:
            del case.headers[name]
    # An API token's expiry must lie within the coming year (API.md §2), which JSON Schema cannot
    # say: a generated date-time is moved there (a positive case stays positive, and the expiry
    # path still runs); null is left as it is.
    if label == "POST /v1/users/me/tokens" and isinstance(case.body, dict) and case.body.get("expires_at"):
        case.body["expires_at"] = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    # A member is added by the email of a signed-up user (API.md §3: else a 422): MEMBER's.
    if label == "POST /v1/agendas/{agenda_id}/members" and isinstance(case.body, dict):
        case.body["email"] = MEMBER.email
    # A webhook receiver must be a public https host (API.md §7: else 422), which a schema
    # cannot say: positive cases get one of example.com's addresses.
    if label in WEBHOOK_WRITES and isinstance(case.body, dict) and "url" in case.body:
        case.body["url"] = f"https://example.com/hooks/{next(_KEYS)}"
    # A password change needs the account's current password (API.md §2), a secret no schema can
    # give: a generated one is wrong (a 422 by contract, and a failed login counted against the
    # user), so positive cases leave the change out; negative cases still send it.
    if label == "PATCH /v1/users/me" and isinstance(case.body, dict):
        case.body.pop("password", None)
        case.body.pop("current_password", None)
    if label in SESSION_WRITES and isinstance(case.body, dict):
        _fit_session(case.body, _agenda_of(case))
    # Sessions stay inside their agenda's days (API.md §4: else 422 sessions_outside_days): an
    # agenda with sessions keeps its days and zone; one without may get any.
    if label in AGENDA_WRITES and isinstance(case.body, dict):
        agenda = _agenda_of(case)
        if agenda is not None and agenda.get("sessions"):
            for name in ("start_at", "duration", "timezone"):
                if label.startswith("PUT "):
                    case.body[name] = agenda.get(name, "UTC")
                else:
                    case.body.pop(name, None)
    # An import names a ready schedule upload of the caller's (API.md §8: else 422 unknown_upload),
    # which only the API issues: positive cases get one of their caller's, made once per world.
    if label == IMPORT_CREATE and isinstance(case.body, dict):
        owner = API.caller_of(case.headers)
        if owner is not None:
            case.body["upload_id"] = API.schedule_upload(owner, dict(case.headers or {}))
    # An Idempotency-Key replays its first request: reused with another body it is a 422 by
    # contract (API.md §1). Generation repeats keys, so each valid key is made unique (and stays
    # valid); an invalid one is left as generated.
    for name in list(case.headers or {}):
        value = case.headers[name]
        if name.lower() == "idempotency-key" and isinstance(value, str) and _IDEMPOTENCY_KEY.match(value):
            case.headers[name] = f"{value[:240]}-{next(_KEYS)}"


# What the content routes' positive cases act on in the single-operation tests (see use_seed).
SEED_AGENDA = {"name": "Seed", "start_at": "2026-06-01", "duration": 3, "timezone": "America/New_York"}
SEED_CONTENT: dict[str, dict[str, Any]] = {
    "sessions": {
        "title": "Seed",
        "start_at": "2026-06-01T09:00:00-04:00",
        "end_at": "2026-06-01T10:00:00-04:00",
    },
    "speakers": {"name": "Seed"},
    "tracks": {"name": "Seed"},
    "venues": {"name": "Seed"},
    "categories": {"name": "Seed"},
}


@dataclass
class Seed:
    """The seeded agenda of one operation (its id, first day and zone), one item of each kind
    that sessions may reference and no case changes, and the item an item route acts on (a new
    one after each DELETE case)."""

    label: str
    agenda: dict[str, Any]
    referenced: dict[str, str]
    targets: dict[str, str | None]

    def as_read(self) -> dict[str, Any]:
        """What `_fit_session` needs of the agenda, as a full-agenda read would say it."""
        return {**self.agenda, **{plural: [{"id": item}] for plural, item in self.referenced.items()}}


def use_seed(case: schemathesis.Case) -> None:
    """Send a positive case of a content route (API.md §4) to an agenda of the first WFC user's,
    and an item route to an item of it: with generated ids every one of them would be a 404, and
    no body would get past the agenda. Everything is made through the API, once per world (the
    item an item route acts on again when a DELETE case removed it). For the single-operation
    tests; the stateful ones follow the document's links instead. Each operation gets an agenda
    of its own, so what the cases of one made (sixty sessions) does not slow down the next."""
    if case.meta is None or not case.meta.generation.mode.is_positive or case.path_parameters is None:
        return
    parts = case.operation.path.split("/")
    plural = parts[4] if len(parts) > 4 else None
    if plural not in CONTENT:
        return
    label = case.operation.label
    if API.seed is None or API.seed.label != label:
        if API.seed is not None:
            # moto copies the whole table into every transaction: keep it small.
            gone = API.target.request("DELETE", f"/v1/agendas/{API.seed.agenda['id']}", headers=API.reader)
            assert gone.status == 204, gone.body
        agenda = _made("/v1/agendas", SEED_AGENDA)
        base = f"/v1/agendas/{agenda['id']}"
        API.seed = Seed(
            label=label,
            agenda={key: agenda[key] for key in ("id", "start_at", "timezone")},
            referenced={kind: _made(f"{base}/{kind}", body)["id"] for kind, body in SEED_CONTENT.items()},
            targets={},
        )
    agenda_id = API.seed.agenda["id"]
    case.path_parameters["agenda_id"] = agenda_id
    item_id = CONTENT[plural]
    if item_id in case.path_parameters:
        target = API.seed.targets.get(plural)
        if target is None:
            target = _made(f"/v1/agendas/{agenda_id}/{plural}", SEED_CONTENT[plural])["id"]
        # After a DELETE the item may be gone: the next case gets a new one.
        API.seed.targets[plural] = target if case.method.upper() != "DELETE" else None
        case.path_parameters[item_id] = target


def _made(path: str, body: dict[str, Any]) -> dict[str, Any]:
    created = API.target.request("POST", path, json_body=body, headers=API.reader)
    assert created.status == 201, created.body
    return created.json()  # type: ignore[no-any-return]


def _agenda_of(case: schemathesis.Case) -> dict[str, Any] | None:
    """The full agenda the case's path names, as its owner (the first WFC user) reads it; None
    when there is none (the case is then answered 404 whatever its body)."""
    agenda_id = (case.path_parameters or {}).get("agenda_id")
    if not isinstance(agenda_id, str) or API.target is None or not API.reader:
        return None
    if API.seed is not None and agenda_id == API.seed.agenda["id"]:
        return API.seed.as_read()
    response = API.target.request("GET", f"/v1/agendas/{agenda_id}", headers=API.reader)
    return response.json() if response.status == 200 else None  # type: ignore[no-any-return]


def _fit_session(body: dict[str, Any], agenda: dict[str, Any] | None) -> None:
    """What a positive session body must be beyond its schema (API.md §4): end after start, both
    inside the agenda's days, and references to items of the same agenda. The generated start's
    time of day is kept (on the agenda's first day, one hour long), so sessions still vary; a
    generated reference becomes an item of the agenda where it has one, else it is left out."""
    if "start_at" in body or "end_at" in body:
        try:
            moment = datetime.fromisoformat(str(body.get("start_at", "")).upper()).time()
        except ValueError:
            moment = time(9)
        clock = time(min(moment.hour, 22), moment.minute, moment.second)
        first_day = date.fromisoformat(agenda["start_at"]) if agenda else date(2026, 6, 1)
        start = datetime.combine(
            first_day, clock, ZoneInfo(agenda.get("timezone", "UTC") if agenda else "UTC")
        )
        # Sent in UTC: a zone's offset in its early years has seconds (LMT), which RFC 3339 cannot
        # write (an hh:mm offset is part of the contract, and the answer shows the agenda's own).
        body["start_at"] = start.astimezone(UTC).isoformat()
        body["end_at"] = (start + timedelta(hours=1)).astimezone(UTC).isoformat()
    for name, plural in SESSION_REFERENCES.items():
        if name not in body or body[name] is None:
            continue
        ids = [item["id"] for item in (agenda or {}).get(plural, [])]
        if isinstance(body[name], list):
            body[name] = ids[: len(body[name])]
        elif ids:
            body[name] = ids[0]
        else:
            del body[name]


@dataclass(frozen=True)
class Exchange:
    """One request Schemathesis sent (its logins and probes too), and who sent it."""

    method: str
    path: str
    caller: str | None  # a name of USERS, "anonymous", or None for a token of nobody known
    status: int


class ApiUnderTest:
    """The WSGI app Schemathesis calls (its logins and probes too): the gateway of this module's
    fixture. It keeps what was sent by whom, so a test can show which identities were used."""

    def __init__(self) -> None:
        self.target: Any = None
        self.exchanges: list[Exchange] = []
        self.user_ids: dict[str, str] = {}  # usr_ id -> name in USERS
        self.user_items: set[ItemKey] = set()  # the users' profiles and credentials
        self.reader: dict[str, str] = {}  # headers of the first WFC user, for what `prepare` reads
        self.seed: Seed | None = None  # what use_seed sends content cases to
        self.uploads: dict[str, str] = {}  # WFC user -> a ready schedule upload of theirs
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.target is None and _is_login(environ):
            # Collection: Schemathesis builds the explicit examples of `@schema.parametrize()`
            # then, credentials included, before any world exists. What it gets here is only ever
            # cached until `start` (forget_logins); `authenticate` puts the real token on a case.
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"access_token": NO_WORLD_TOKEN}).encode()]
        assert self.target is not None, "the gateway fixture is not active"
        assert NO_WORLD_TOKEN not in str(environ.get("HTTP_AUTHORIZATION")), "sent without `authenticate`"
        statuses: list[int] = []
        started: list[tuple[str, list[tuple[str, str]], tuple[Any, ...]]] = []

        def recording_start_response(status: str, headers: Any, *args: Any) -> Any:
            statuses.append(int(status.split()[0]))
            started.append((status, list(headers), args))
            return lambda _data: None  # the gateway returns its body; it never writes

        body = b"".join(self.target(environ, recording_start_response))
        status, headers, args = started[0]
        if any(name.lower() == "content-encoding" and value == "gzip" for name, value in headers):
            # An HTTP client decodes a content coding before anyone reads the body (requests, as
            # Schemathesis uses it over a network, does); its WSGI transport does not. Decoded here
            # as a client would, so the checks read what a client reads.
            body = gzip.decompress(body)
            headers = [(n, v) for n, v in headers if n.lower() not in ("content-encoding", "content-length")]
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers, *args)
        exchange = Exchange(
            str(environ.get("REQUEST_METHOD", "")),
            str(environ.get("PATH_INFO", "")),
            self._caller(environ.get("HTTP_AUTHORIZATION")),
            statuses[0] if statuses else 0,
        )
        with self._lock:
            self.exchanges.append(exchange)
        return [body]

    def caller_of(self, headers: Any) -> str | None:
        """The WFC user whose token a case carries, if any."""
        found = next((v for k, v in (headers or {}).items() if k.lower() == "authorization"), None)
        return self._caller(found) if found else None

    def schedule_upload(self, user: str, headers: dict[str, str]) -> str:
        """A ready schedule upload of ``user``'s (made with the case's own credentials, once per
        world): asked for, stored as the presigned POST would store it, and checked."""
        if user not in self.uploads:
            import boto3

            auth = {k: v for k, v in headers.items() if k.lower() == "authorization"}
            asked = {
                "purpose": "schedule_import",
                "content_type": "application/json",
                "content_length": len(SCHEDULE_FILE),
            }
            created = self.target.request("POST", "/v1/uploads", json_body=asked, headers=auth)
            assert created.status == 201, created.body
            boto3.client("s3", region_name="us-east-1").put_object(
                Bucket=self.target.resources["UploadBucket"],
                Key=created.json()["upload"]["fields"]["key"],
                Body=SCHEDULE_FILE,
                ContentType="application/json",
            )
            self.target.pump_buckets()
            self.uploads[user] = str(created.json()["id"])
        return self.uploads[user]

    def _caller(self, authorization: str | None) -> str | None:
        if not authorization:
            return "anonymous"
        # Whose access token (its `sub`, read without verifying: the gateway verified it).
        _, _, token = authorization.partition(" ")
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (ValueError, binascii.Error):
            return None
        subject = claims.get("sub") if isinstance(claims, dict) else None
        return self.user_ids.get(subject) if isinstance(subject, str) else None

    def start(self, gateway: Any) -> None:
        """Serve `gateway` (a fresh world): sign the users up (USERS and MEMBER), and forget the
        logins Schemathesis cached in an older world."""
        self.target = gateway
        self.user_ids = {}
        self.uploads = {}
        for user in (*USERS.values(), MEMBER):
            self.user_ids[_sign_up(gateway, user)] = user.name
        # What `empty_tables(keep=...)` keeps between stateful scenarios, so that the cached logins
        # stay good and nobody pays for Argon2 again (docs/design.md: profile USER#, credential EMAIL#).
        self.user_items = {key for key in item_keys() if json.loads(key[1])["pk"]["S"].startswith(USER_PKS)}
        first = next(iter(USERS.values()))
        login = gateway.request(
            "POST", "/v1/auth/token", json_body={"email": first.email, "password": first.password}
        )
        assert login.status == 200, login.body
        self.reader = {"Authorization": f"Bearer {login.json()['access_token']}"}
        self.seed = None
        forget_logins()

    def stop(self) -> None:
        self.target = None
        self.reader = {}
        self.seed = None


NO_WORLD_TOKEN = "no-world-yet"


def _is_login(environ: dict[str, Any]) -> bool:
    return environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == "/v1/auth/token"


def authenticate(case: schemathesis.Case) -> None:
    """Put the credentials of the case's WFC user on it again, now: Schemathesis put them on when
    it generated the case, which for explicit examples was at collection, before any world."""
    if case.auth_identity is None:
        return  # sent without credentials on purpose (a negative case of the security scheme)
    set_on_case(case, AuthContext(operation=case.operation, app=case.operation.app), None)


def _sign_up(gateway: Any, user: Credentials) -> str:
    created = gateway.request(
        "POST",
        "/v1/users",
        json_body={"email": user.email, "password": user.password, "name": user.name.title()},
    )
    assert created.status == 201, created.body
    return str(created.json()["id"])


def forget_logins() -> None:
    """Drop the tokens Schemathesis cached: they name users of an older world, who are gone."""
    provider = escalating_provider(schema)
    assert provider is not None, "the WFC users are not configured"
    for entry in provider.providers:
        if isinstance(entry, CachingAuthProvider):
            entry.invalidate()
    forget_probes()


def forget_probes() -> None:
    """Let object_level_authorization replay reads again. It replays one read per operation and
    peer in a run (its provider remembers which); a new world, or a stateful scenario starting
    from emptied tables, is a new run."""
    provider = escalating_provider(schema)
    assert provider is not None, "the WFC users are not configured"
    provider._probed.clear()  # no public way: Schemathesis' own runs make one provider per run


API = ApiUnderTest()
schema = schemathesis.openapi.from_dict(committed_document(), config=CONFIG)
schema.app = API


@dataclass(frozen=True)
class CheckRun:
    operation: str  # e.g. "GET /v1/agendas/{agenda_id}"
    identity: str | None  # the WFC user the case was sent as
    check: str
    failed: bool


class CheckLog:
    """What Schemathesis checked while the block ran (each check on each response, and as whom),
    and what it sent meanwhile (API.exchanges): the evidence that a check really ran."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.runs: list[CheckRun] = []
        self._first_exchange = 0

    def __enter__(self) -> CheckLog:
        self._first_exchange = len(API.exchanges)
        self.schema.hooks.register_hook_with_name(self.after_validate, "after_validate")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.schema.hooks.unregister(self.after_validate)

    def after_validate(self, context: Any, case: Any, response: Any, results: list[Any]) -> None:
        for result in results:
            self.runs.append(
                CheckRun(case.operation.label, case.auth_identity, result.name, result.failure is not None)
            )

    @property
    def exchanges(self) -> list[Exchange]:
        return API.exchanges[self._first_exchange :]

    def ran(self, check: str, operation: str, *, as_user: str) -> bool:
        return any(
            run.check == check and run.operation == operation and run.identity == as_user for run in self.runs
        )


def documented_operations() -> set[str]:
    return {
        f"{method.upper()} {path}"
        for path, item in committed_document()["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
