"""One delivery attempt of a webhook over HTTP (API.md §7, RELIABILITY.md "webhooks", "SSRF").

``post`` resolves the target and checks every address (webhook_targets.py), then connects to a
checked address itself, so the name is never resolved a second time; TLS verifies the
certificate against the URL's host name (SNI and hostname checking as usual). Redirects are never
followed (a 3xx is an answer like any other, and not a success). At most 64 KiB of the answer is
read. The whole attempt, connecting included, ends at its deadline (15 s): a watchdog closes the
socket then, so a receiver that drips bytes or never answers costs one deadline, never more.

The outcome is data for the delivery log, never an exception: a status, or an error class
("private_address", "dns", "timeout", "connect", "tls", "protocol"; "answer_too_large" beside
the status of an answer longer than the read limit, which is a failure), the first 1 KiB of the
answer, and a ``Retry-After`` the receiver asked for.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from agenda_core.integrations.webhook_targets import IPAddress, Target, TargetRefused, check_url, resolve

ANSWER_READ_LIMIT = 64 * 1024  # RELIABILITY.md: at most 64 KiB of an answer is read
LOGGED_ANSWER_BYTES = 1024  # the delivery log keeps the first 1 KiB
DEADLINE_SECONDS = 15.0


@dataclass(frozen=True)
class Attempt:
    status: int | None  # the HTTP status, None when there was no answer
    error: str | None  # the error class when there was no answer (or the target was refused)
    detail: str  # one line for the delivery log
    answer_head: bytes  # the first LOGGED_ANSWER_BYTES of the answer
    seconds: float
    retry_after: float | None = None  # seconds, when the receiver said when to come back

    @property
    def succeeded(self) -> bool:
        """A 2xx, read whole: an answer over the read limit is a failure whatever its status."""
        return self.error is None and self.status is not None and 200 <= self.status < 300


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class _Watchdog:
    """Shuts the socket down at the deadline, whatever the attempt is blocked on."""

    def __init__(self, seconds: float) -> None:
        self._sock: socket.socket | None = None
        self._fired = threading.Event()
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self._fired.is_set():
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self._fired.set()
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing to stop
                self._sock.shutdown(socket.SHUT_RDWR)

    @property
    def fired(self) -> bool:
        return self._fired.is_set()

    def cancel(self) -> None:
        self._timer.cancel()


class _PinnedConnection(http.client.HTTPSConnection):
    """An HTTP(S) connection to the URL's host name made at an address we checked. TLS is added
    in ``connect`` for https targets only: plain http is a loopback receiver under `make dev`."""

    def __init__(
        self,
        target: Target,
        addresses: list[IPAddress],
        deadline: float,
        watchdog: _Watchdog,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(
            target.host, target.port, timeout=max(0.01, deadline - time.monotonic()), context=context
        )
        self._target, self._addresses, self._deadline, self._watchdog = target, addresses, deadline, watchdog
        self._tls = context

    def connect(self) -> None:
        last: OSError | None = None
        for address in self._addresses:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                sock = socket.create_connection((str(address), self._target.port), timeout=remaining)
            except OSError as error:
                last = error
                continue
            self._watchdog.watch(sock)
            if self._target.scheme == "https":
                sock = self._tls.wrap_socket(sock, server_hostname=self._target.host)
                self._watchdog.watch(sock)
            self.sock = sock
            return
        raise last or TimeoutError("no address answered before the deadline")


def _classify(error: BaseException, timed_out: bool) -> str:
    if timed_out or isinstance(error, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return "tls"
    if isinstance(error, http.client.HTTPException):
        return "protocol"
    return "connect"


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    deadline_seconds: float | None = None,
    allow_loopback_http: bool = False,
    context: ssl.SSLContext | None = None,
) -> Attempt:
    """POSTs ``body`` with ``headers`` to ``url`` once, within ``deadline_seconds`` (default
    ``DEADLINE_SECONDS``). Never raises for what the receiver does."""
    deadline_seconds = DEADLINE_SECONDS if deadline_seconds is None else deadline_seconds
    started = time.monotonic()
    deadline = started + deadline_seconds
    try:
        target = check_url(url, allow_loopback_http=allow_loopback_http)
        addresses = resolve(target, allow_loopback_http=allow_loopback_http)
    except TargetRefused as refused:
        return Attempt(None, refused.reason, refused.detail, b"", time.monotonic() - started)
    watchdog = _Watchdog(deadline_seconds)
    connection = _PinnedConnection(
        target, addresses, deadline, watchdog, context or ssl.create_default_context()
    )
    try:
        connection.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", target.host_header)
        for name, value in {**headers, "Content-Length": str(len(body)), "Connection": "close"}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        answer = response.read(ANSWER_READ_LIMIT)
        retry_after = _retry_after(response.getheader("Retry-After"), time.time())
        # More than the limit is left unread: a receiver that answers megabytes is misbehaving,
        # and what it did with the event cannot be told from an answer we did not read.
        too_large = len(answer) >= ANSWER_READ_LIMIT and not response.isclosed()
        return Attempt(
            response.status,
            "answer_too_large" if too_large else None,
            f"HTTP {response.status}" + (f", more than {ANSWER_READ_LIMIT} bytes" if too_large else ""),
            answer[:LOGGED_ANSWER_BYTES],
            time.monotonic() - started,
            retry_after,
        )
    except (OSError, http.client.HTTPException, ValueError) as error:
        kind = _classify(error, watchdog.fired)
        detail = f"{kind}: {type(error).__name__}" + (f": {error}" if str(error) else "")
        return Attempt(None, kind, detail[:200], b"", time.monotonic() - started)
    finally:
        watchdog.cancel()
        connection.close()
