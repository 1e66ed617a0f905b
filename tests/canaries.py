"""Canary secrets: a run of the whole suite finds none of them in any log line or response
(RELIABILITY.md, "Figures every release reports"). A pytest plugin, registered by tests/conftest.py.

What it reads, for the whole session:

- every response of the in-process API Gateway (`local.gateway.GatewayApp.handle`, which both the
  WSGI entry and `.request()` go through): status, headers and body;
- every line any `logging.StreamHandler` writes, as written (Powertools' Logger is one, and so is
  pytest's own log capture), and each test's captured stdout and stderr (where Powertools' metrics
  and a failed invocation's traceback go).

What it looks for (the canaries):

- passwords: `tests.builders.PASSWORD`, those the events/**.json bodies and the WFC document of the
  contract tests send, and every password a test sends through `GatewayApp.request` (the fields in
  PASSWORD_FIELDS): the values the tests' builders and fixtures choose, whoever wrote them;
- the signing key material: each `key` read from the Secrets Manager secret
  (`agenda_core.integrations.secrets.parse_secret`) and every key derived from one
  (`SigningKey.derive`), raw and in hex, base64 and base64url;
- Argon2 password hashes (`$argon2`), and Python tracebacks in responses;
- the tokens the API issues (access tokens, refresh tokens `rt_…`, API tokens `agt_…`, webhook
  secrets `whsec_…`): never in a log, and in a response only in the field of the one response that
  issued it (ISSUERS, ISSUER_PATTERNS). Two
  repeats are that same response, not a leak: an idempotent replay of it (`Idempotent-Replayed:
  true`, the same body: functions/users/app.py), and the refresh grace window handing the same
  successor to a parallel refresh (RELIABILITY.md).

While the handlers run, the service's logger is set to DEBUG (`--canary-log-level`), so that lines
the suite's own level (WARNING) would drop are read too. What was recorded during a test is judged
when the test's phase ends; any finding fails the session at its end (exit status 1), with a
report naming the test, where the canary was seen and which one (redacted). `watching()` (and the
`canary_watch` fixture) diverts the records to a detector of their own, for tests that leak on
purpose. Not covered: responses of handlers a test invokes directly (tests/contract/test_events.py);
their log lines are.

Under pytest-xdist each worker watches its own tests; at its end it hands its tally and findings
to the controller (`workeroutput`), which reports them all and fails the run on any finding.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = ROOT / "events"
WFC_FILE = ROOT / "tests" / "contract" / "wfc-auth.json"

PASSWORD_FIELDS = frozenset({"password", "current_password", "new_password"})
# A value shorter, or with fewer distinct characters, would turn up by chance ("short", "x" * 300).
MIN_CANARY_LENGTH = 8
MIN_DISTINCT_CHARACTERS = 5
MIN_KEY_LENGTH = 32

ALWAYS = {"$argon2": "an Argon2 password hash"}
IN_RESPONSES = {"Traceback (most recent call last)": "a Python traceback"}

TOKEN = re.compile(
    r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"  # a JWT (access token)
    r"|rt_[0-9A-HJKMNP-TV-Z]{26}\.[A-Za-z0-9_-]{43}"  # a refresh token (refresh_token_format.py)
    r"|agt_[0-9A-Za-z]{72}"  # an API token (token_format.py)
    r"|whsec_[A-Za-z0-9+/]{43}="  # a webhook signing secret (integrations/webhook_signing.py)
)
KEYISH = re.compile(rf"[A-Za-z0-9+/=_-]{{{MIN_KEY_LENGTH},}}")

# (method, path) -> {status: the body fields that carry the secrets it issues}.
ISSUERS: dict[tuple[str, str], dict[int, tuple[str, ...]]] = {
    ("POST", "/v1/auth/token"): {200: ("access_token", "refresh_token")},
    ("POST", "/v1/auth/refresh"): {200: ("access_token", "refresh_token")},
    ("POST", "/v1/users/me/tokens"): {201: ("token",)},
}
# Issuers whose path carries ids: (method, path pattern) -> as ISSUERS.
ISSUER_PATTERNS: dict[tuple[str, re.Pattern[str]], dict[int, tuple[str, ...]]] = {
    ("POST", re.compile(r"/v1/agendas/[^/]+/webhooks")): {201: ("secret",)},
    ("POST", re.compile(r"/v1/agendas/[^/]+/webhooks/[^/]+/rotate-secret")): {200: ("secret",)},
}


def _issued_fields(method: str, path: str, status: int) -> tuple[str, ...]:
    exact = ISSUERS.get((method, path))
    if exact is not None:
        return exact.get(status, ())
    for (issuer_method, pattern), fields in ISSUER_PATTERNS.items():
        if method == issuer_method and pattern.fullmatch(path):
            return fields.get(status, ())
    return ()


# A refresh inside the grace window recomputes the very successor a parallel one was given.
REISSUERS = frozenset({("POST", "/v1/auth/refresh")})
REPLAYED_HEADER = "idempotent-replayed"


@dataclass(frozen=True)
class Finding:
    test: str
    where: str  # "response POST /v1/users -> 201", "log agenda-api", "captured stdout call"
    canary: str  # what was found, never its value
    excerpt: str  # the surroundings, the canary itself replaced by its label

    def __str__(self) -> str:
        return f"{self.test}: {self.canary} in {self.where}: {self.excerpt}"


@dataclass
class _Response:
    method: str
    path: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    text: str = ""

    @property
    def where(self) -> str:
        return f"response {self.method} {self.path} -> {self.status}"


@dataclass
class _Issued:
    where: str
    body: bytes
    reissuable: bool


@dataclass
class Detector:
    """Canaries, the records to look for them in, and what was found."""

    literals: dict[str, str] = field(default_factory=dict)  # value -> label
    keys: dict[str, str] = field(default_factory=dict)  # high-entropy value -> label
    findings: list[Finding] = field(default_factory=list)
    responses_read: int = 0
    lines_read: int = 0
    _key_lengths: set[int] = field(default_factory=set)
    _issued: dict[str, _Issued] = field(default_factory=dict)
    _pending: list[_Response | tuple[str, str]] = field(default_factory=list)
    _seen: set[tuple[str, str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- canaries ------------------------------------------------------------------------------

    def add(self, value: str, label: str) -> None:
        """A secret that must never be seen (a password, say), with what to call it."""
        if len(value) < MIN_CANARY_LENGTH or len(set(value)) < MIN_DISTINCT_CHARACTERS:
            return
        with self._lock:
            for form in {value, json.dumps(value)[1:-1]}:
                self.literals.setdefault(form, label)

    def add_key(self, secret: bytes | str, label: str) -> None:
        """Key material: the value, and its bytes in hex, base64 and base64url."""
        raw = secret.encode() if isinstance(secret, str) else secret
        forms = {
            raw.hex(),
            base64.b64encode(raw).decode(),
            base64.urlsafe_b64encode(raw).decode(),
            base64.urlsafe_b64encode(raw).decode().rstrip("="),
        }
        if isinstance(secret, str):
            forms.add(secret)
        with self._lock:
            for form in forms:
                if len(form) >= MIN_KEY_LENGTH and KEYISH.fullmatch(form):
                    self.keys.setdefault(form, label)
                    self._key_lengths.add(len(form))
                elif len(form) >= MIN_CANARY_LENGTH:
                    self.literals.setdefault(form, label)

    def copy_canaries(self, other: Detector) -> None:
        with other._lock:
            literals, keys = dict(other.literals), dict(other.keys)
        with self._lock:
            self.literals.update(literals)
            self.keys.update(keys)
            self._key_lengths.update(len(key) for key in keys)

    # -- records -------------------------------------------------------------------------------

    def response(
        self, method: str, path: str, status: int, headers: Iterable[tuple[str, str]], body: bytes
    ) -> None:
        with self._lock:
            self._pending.append(_Response(method.upper(), path, int(status), list(headers), bytes(body)))

    def text(self, where: str, text: str) -> None:
        """A log line, or captured output."""
        if text:
            with self._lock:
                self._pending.append((where, text))

    def flush(self, test: str) -> list[Finding]:
        """Judge what was recorded since the last flush, as happening in `test`; the new findings."""
        with self._lock:  # canaries may be added meanwhile, by a request still running elsewhere
            pending, self._pending = self._pending, []
            canaries = _Canaries(list(self.literals.items()), dict(self.keys), sorted(self._key_lengths))
        before = len(self.findings)
        responses = [record for record in pending if isinstance(record, _Response)]
        # Issuers first: a handler may log a token before the response that issues it exists.
        allowed = {id(record): self._register(test, record, canaries) for record in responses}
        for record in pending:
            if isinstance(record, _Response):
                self.responses_read += 1
                self._judge(test, record.where, record.text, allowed[id(record)], canaries, response=True)
            else:
                self.lines_read += 1
                self._judge(test, record[0], record[1], {}, canaries, response=False)
        return self.findings[before:]

    def _register(self, test: str, record: _Response, canaries: _Canaries) -> dict[str, int]:
        """The tokens `record` issues (token -> how often it may show them), registered."""
        header_text = "\n".join(f"{name}: {value}" for name, value in record.headers)
        record.text = f"{record.status}\n{header_text}\n\n{record.body.decode('utf-8', 'replace')}"
        fields = _issued_fields(record.method, record.path, record.status)
        if not fields:
            return {}
        try:
            body = json.loads(record.body)
        except ValueError:
            return {}
        if not isinstance(body, dict):
            return {}
        replayed = any(
            name.lower() == REPLAYED_HEADER and value.strip().lower() == "true"
            for name, value in record.headers
        )
        allowed: dict[str, int] = {}
        for name in fields:
            token = body.get(name)
            if not isinstance(token, str) or not token:
                continue
            issued = self._issued.get(token)
            if issued is None:
                reissuable = (record.method, record.path) in REISSUERS
                self._issued[token] = _Issued(record.where, record.body, reissuable)
            elif not (issued.reissuable and (record.method, record.path) in REISSUERS) and not (
                replayed and issued.body == record.body
            ):
                self._find(
                    test, record.where, "a token issued before, issued again", record.text, token, canaries
                )
            allowed[token] = allowed.get(token, 0) + 1
        return allowed

    def _judge(
        self,
        test: str,
        where: str,
        text: str,
        allowed: Mapping[str, int],
        canaries: _Canaries,
        *,
        response: bool,
    ) -> None:
        plain = {**ALWAYS, **IN_RESPONSES} if response else ALWAYS
        for value, label in [*plain.items(), *canaries.literals]:
            if value in text:
                self._find(test, where, label, text, value, canaries)
        for run in KEYISH.findall(text):
            for value in canaries.keys_in(run):
                self._find(test, where, canaries.keys[value], text, value, canaries)
        shown = dict(allowed)
        for token in TOKEN.findall(text):
            if shown.get(token, 0) > 0:
                shown[token] -= 1
                continue
            issued = self._issued.get(token)
            label = f"a token issued by {issued.where}" if issued else "a token"
            self._find(test, where, label if response else f"{label}, logged", text, token, canaries)

    def _find(self, test: str, where: str, label: str, text: str, value: str, canaries: _Canaries) -> None:
        seen = (test, where, label)
        if seen in self._seen:
            return
        self._seen.add(seen)
        at = text.find(value)
        excerpt = text[max(0, at - 60) : at + len(value) + 60].replace(value, f"<{label}>")
        self.findings.append(Finding(test, where, label, canaries.redact(" ".join(excerpt.split()))[:300]))


@dataclass(frozen=True)
class _Canaries:
    """What a flush looks for (a snapshot)."""

    literals: list[tuple[str, str]]
    keys: dict[str, str]
    key_lengths: list[int]

    def keys_in(self, run: str) -> Iterator[str]:
        if run in self.keys:
            yield run
            return
        for length in self.key_lengths:
            for start in range(len(run) - length + 1):
                if run[start : start + length] in self.keys:
                    yield run[start : start + length]

    def redact(self, excerpt: str) -> str:
        """The excerpt without any other canary in it either (a report must not leak them)."""
        for value, label in self.literals:
            excerpt = excerpt.replace(value, f"<{label}>")
        for run in KEYISH.findall(excerpt):
            for value in self.keys_in(run):
                excerpt = excerpt.replace(value, f"<{self.keys[value]}>")
        return TOKEN.sub("<a token>", excerpt)


# -- where the records come from ---------------------------------------------------------------


class _State:
    def __init__(self) -> None:
        self.session = Detector()
        self.watches: list[Detector] = []
        self.watched_tests: set[str] = set()
        self.test = "(outside any test)"
        self.log_level: int | None = logging.DEBUG
        self.undo: list[Callable[[], None]] = []
        self.active = False

    def sink(self) -> Detector:
        return self.watches[-1] if self.watches else self.session

    def detectors(self) -> list[Detector]:
        return [self.session, *self.watches]

    def add(self, value: str, label: str) -> None:
        for detector in self.detectors():
            detector.add(value, label)

    def add_key(self, secret: bytes | str, label: str) -> None:
        for detector in self.detectors():
            detector.add_key(secret, label)


_state = _State()


def current() -> Detector:
    """The detector records go to now (the session's, or the innermost `watching()`)."""
    return _state.sink()


def session_detector() -> Detector:
    return _state.session


def is_active() -> bool:
    return _state.active


@contextlib.contextmanager
def watching() -> Iterator[Detector]:
    """Send what is recorded inside the block to a detector of its own (with the session's canaries
    and every canary found meanwhile), so that a test may leak on purpose without failing the run."""
    detector = Detector()
    detector.copy_canaries(_state.session)
    _state.watches.append(detector)
    try:
        yield detector
    finally:
        _state.watches.remove(detector)


@pytest.fixture
def canary_watch(request: pytest.FixtureRequest) -> Iterator[Detector]:
    """`watching()` for the whole test; its captured output is left out of the session's reading."""
    _state.watched_tests.add(request.node.nodeid)
    with watching() as detector:
        yield detector


class _Tee:
    """A stream that also hands what is written to `sink`."""

    def __init__(self, stream: Any, sink: Callable[[str], None]) -> None:
        self._stream = stream
        self._sink = sink

    def write(self, text: str) -> Any:
        self._sink(text)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _patch(owner: Any, name: str, replacement: Any) -> None:
    original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
    setattr(owner, name, replacement)
    _state.undo.append(lambda: setattr(owner, name, original))


def _watch_logging() -> None:
    emit = logging.StreamHandler.emit

    def recording_emit(self: logging.StreamHandler[Any], record: logging.LogRecord) -> None:
        stream = self.stream
        where = f"log {record.name}"
        self.stream = _Tee(stream, lambda text: _state.sink().text(where, text))
        try:
            emit(self, record)
        finally:
            self.stream = stream

    _patch(logging.StreamHandler, "emit", recording_emit)


def _service_logger() -> logging.Logger | None:
    observability = sys.modules.get("agenda_core.observability")
    powertools = getattr(observability, "logger", None)
    name = getattr(powertools, "name", None)
    return logging.getLogger(name) if isinstance(name, str) else None


def _watch_gateway() -> None:
    try:
        from local.gateway import GatewayApp
        from local.proxy import request_path
    except ImportError:  # not this project's tree (the plugin's own tests run it elsewhere)
        return
    handle = GatewayApp.handle
    request = GatewayApp.request

    def recording_handle(self: Any, environ: Mapping[str, Any]) -> Any:
        level = _state.log_level
        if level is not None:
            logger = _service_logger()
            if logger is not None and logger.getEffectiveLevel() > level:
                logger.setLevel(level)
        answer = handle(self, environ)
        status, headers, body = answer
        method = str(environ.get("REQUEST_METHOD", "GET"))
        _state.sink().response(method, request_path(environ), status, headers, body)
        return answer

    def harvesting_request(self: Any, *args: Any, **kwargs: Any) -> Any:
        for value in _passwords_in(kwargs.get("json_body"), kwargs.get("body")):
            _state.add(value, "a password a test sent")
        return request(self, *args, **kwargs)

    _patch(GatewayApp, "handle", recording_handle)
    _patch(GatewayApp, "request", harvesting_request)


def _watch_signing_keys() -> None:
    """Every key the code reads from the secret, or derives from one, becomes a canary."""
    try:
        from agenda_core.integrations import secrets
    except ImportError:
        return
    derive = getattr(getattr(secrets, "SigningKey", None), "derive", None)
    parse_secret = getattr(secrets, "parse_secret", None)
    known: set[bytes] = set()

    def register(value: bytes | str, label: str) -> None:
        raw = value.encode() if isinstance(value, str) else value
        if raw not in known:
            known.add(raw)
            _state.add_key(value, label)

    if derive is not None:

        def registering_derive(self: Any, purpose: str) -> bytes:
            derived: bytes = derive(self, purpose)
            register(self.secret.decode(errors="replace"), "the signing key (the secret's `key`)")
            register(derived, f"a key derived from the signing key ({purpose!r})")
            return derived

        _patch(secrets.SigningKey, "derive", registering_derive)
    if parse_secret is not None:

        def registering_parse_secret(raw: str, *args: Any, **kwargs: Any) -> Any:
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                data = json.loads(raw)
                for key in (data.get("key"), (data.get("previous") or {}).get("key")):
                    if isinstance(key, str):
                        register(key, "the signing key (the secret's `key`)")
            return parse_secret(raw, *args, **kwargs)

        _patch(secrets, "parse_secret", registering_parse_secret)


def _watch_cursor_keys() -> None:
    """Every agenda's own cursor key (services/cursor_keys.py), as stored and as derived, becomes
    a canary when the code uses it."""
    try:
        from agenda_core.services import cursor_keys
    except ImportError:
        return
    own_key, derive = cursor_keys._own_key, cursor_keys._derive

    def registering_own_key(stored: str) -> bytes:
        _state.add_key(stored, "an agenda's cursor key (as stored)")
        return own_key(stored)

    def registering_derive(own: bytes, purpose: str) -> bytes:
        derived = derive(own, purpose)
        _state.add_key(derived, f"a key derived from an agenda's cursor key ({purpose!r})")
        return derived

    _patch(cursor_keys, "_own_key", registering_own_key)
    _patch(cursor_keys, "_derive", registering_derive)


def _passwords_in(*bodies: Any) -> Iterator[str]:
    for body in bodies:
        if isinstance(body, bytes | str):
            try:
                body = json.loads(body)
            except ValueError:
                continue
        if isinstance(body, dict):
            for name, value in body.items():
                if name in PASSWORD_FIELDS and isinstance(value, str):
                    yield value


def _static_canaries() -> Iterator[tuple[str, str]]:
    try:
        from tests import builders
    except ImportError:
        pass
    else:
        yield builders.PASSWORD, "tests.builders.PASSWORD"
    for path in sorted(EVENTS_DIR.glob("**/*.json")):
        try:
            event = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for value in _passwords_in(event.get("body") if isinstance(event, dict) else None):
            yield value, f"the password of {path.relative_to(ROOT)}"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        document = json.loads(WFC_FILE.read_text(encoding="utf-8"))
        for entry in document["auth"]:
            login = entry.get("loginEndpointAuth", {}).get("payloadUserPwd")
            if login:
                yield login["password"], f"the password of WFC user {entry['name']}"


# -- hooks -------------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--canary-log-level",
        default="DEBUG",
        help="level of the service's logger while handlers run under the canary watch "
        "(DEBUG, INFO, ...; 'keep' leaves the suite's own); default DEBUG",
    )


def pytest_configure(config: pytest.Config) -> None:
    level = str(config.getoption("--canary-log-level")).upper()
    _state.log_level = None if level == "KEEP" else logging.getLevelName(level)
    if not isinstance(_state.log_level, int | None):
        raise pytest.UsageError(f"--canary-log-level: unknown level {level!r}")


def pytest_sessionstart(session: pytest.Session) -> None:
    for value, label in _static_canaries():
        _state.session.add(value, label)
    _watch_logging()
    _watch_gateway()
    _watch_signing_keys()
    _watch_cursor_keys()
    _state.active = True


def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    _state.test = nodeid


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if getattr(report, "node", None) is not None:
        return  # pytest-xdist's controller, handed a worker's report: that worker has read it
    if report.nodeid not in _state.watched_tests:
        for title, content in report.sections:
            # Each phase's report repeats the sections of the phases before it.
            if title.startswith("Captured") and title.endswith(f" {report.when}"):
                _state.session.text(title.lower(), content)
    _state.session.flush(report.nodeid)


def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    _state.test = "(outside any test)"


@dataclass
class _Tally:
    """What the detectors read and found: this process's, plus every pytest-xdist worker's."""

    findings: list[Finding] = field(default_factory=list)
    responses: int = 0
    lines: int = 0
    values: int = 0
    kinds: set[str] = field(default_factory=set)
    issued: int = 0
    workers: int = 0

    @classmethod
    def of(cls, detector: Detector) -> _Tally:
        return cls(
            findings=list(detector.findings),
            responses=detector.responses_read,
            lines=detector.lines_read,
            values=len(detector.literals) + len(detector.keys),
            kinds={*detector.literals.values(), *detector.keys.values()},
            issued=len(detector._issued),
        )

    def as_output(self) -> dict[str, Any]:
        """Plain data, for a worker's `workeroutput` (sent to the controller)."""
        return {
            "findings": [vars(finding) for finding in self.findings],
            "responses": self.responses,
            "lines": self.lines,
            "values": self.values,
            "kinds": sorted(self.kinds),
            "issued": self.issued,
        }

    def add_output(self, output: Mapping[str, Any]) -> None:
        self.findings += [Finding(**finding) for finding in output["findings"]]
        self.responses += output["responses"]
        self.lines += output["lines"]
        self.values = max(self.values, output["values"])
        self.kinds.update(output["kinds"])
        self.issued += output["issued"]
        self.workers += 1


_workers = _Tally()  # filled on pytest-xdist's controller as its workers finish


def _tally() -> _Tally:
    tally = _Tally.of(_state.session)
    if _workers.workers:
        # The controller runs no test: the workers' numbers are the run's.
        own = tally.findings
        tally = _Tally(**{**vars(_workers), "findings": [*own, *_workers.findings]})
    return tally


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown without it
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist's controller: a worker is done; take its canary tally."""
    output = getattr(node, "workeroutput", {}).get("canaries")
    if output is not None:
        _workers.add_output(output)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _state.session.flush(_state.test)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller judges and reports
        workeroutput["canaries"] = _Tally.of(_state.session).as_output()
    if _tally().findings and session.exitstatus in (
        pytest.ExitCode.OK,
        pytest.ExitCode.NO_TESTS_COLLECTED,
    ):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    tally = _tally()
    summary = (
        f"{tally.responses} responses and {tally.lines} log lines or outputs read; "
        f"{tally.values} canary values ({len(tally.kinds)} kinds), {tally.issued} issued tokens"
        + (f"; {tally.workers} workers" if tally.workers else "")
    )
    if not tally.findings:
        terminalreporter.write_line(f"canary secrets: none found ({summary})")
        return
    terminalreporter.section("canary secrets found", sep="=", red=True, bold=True)
    for finding in tally.findings:
        terminalreporter.write_line(str(finding))
    terminalreporter.write_line(f"{len(tally.findings)} findings ({summary})")


def pytest_unconfigure(config: pytest.Config) -> None:
    while _state.undo:
        _state.undo.pop()()
    _state.active = False


__all__ = [
    "Detector",
    "Finding",
    "canary_watch",
    "current",
    "is_active",
    "session_detector",
    "watching",
]
