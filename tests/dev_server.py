"""`python -m local.server` (what `make dev` runs) in a process of its own, for the tests that
need a real socket: the browser test, the server's own start and stop, an external DynamoDB.

Nothing here depends on timing or on how the suite was launched:

- the server picks its own port (`--port 0`) and the tests read it from its banner, so two
  test processes (pytest-xdist workers) never race for one;
- readiness is the banner's last line, waited for with a generous bound; a server that exits
  early fails at once with its output;
- the child's SIGINT disposition is set explicitly (`sigint`), never inherited: a suite started
  from a job that ignores SIGINT passed that on, and the server then ignored Ctrl-C;
- stopping sends a signal and waits, generously, then kills whatever is left.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_LINE = "Ctrl-C to stop."
API_LINE = re.compile(r"^\s+API\s+(http://\S+)/v1\s*$")
# Bounds for a busy 2-core machine, far above the 1-2 s these take when it is quiet.
START_SECONDS = 120.0
STOP_SECONDS = 60.0
REQUEST_SECONDS = 120.0  # one answer from a server on this machine


@dataclass
class Lines:
    """A process's output, read line by line in a thread (never blocks the test)."""

    process: subprocess.Popen[str]
    seen: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line)
        self._queue.put(None)

    def _lines_until(self, deadline: float) -> Iterator[str]:
        """Each line read from now on (also kept in `seen`), until the output ends or the deadline."""
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                return
            if line is None:
                self._queue.put(None)  # the end stays the end for the next reader
                return
            self.seen.append(line)
            yield line

    def wait_for(self, marker: str | re.Pattern[str], seconds: float = START_SECONDS) -> str:
        """The first line (from here on) containing `marker`; fails with the output so far when
        the process ends or the bound passes first."""
        for line in self._lines_until(time.monotonic() + seconds):
            if marker.search(line) if isinstance(marker, re.Pattern) else marker in line:
                return line
        raise AssertionError(
            f"no {marker!r} within {seconds:.0f} s (exit {self.process.poll()}):\n{self.text}"
        )

    def rest(self, seconds: float = STOP_SECONDS) -> str:
        """All the output, once the process has closed it (or the bound has passed)."""
        for _ in self._lines_until(time.monotonic() + seconds):
            pass
        return self.text

    @property
    def text(self) -> str:
        return "".join(self.seen)


def start_process(args: Sequence[str], *, sigint: signal.Handlers = signal.SIG_DFL) -> subprocess.Popen[str]:
    """`args` run with the repository as working directory, unbuffered, output merged, and SIGINT
    set to `sigint` in the child before it starts (SIG_IGN is what a background job inherits)."""

    def set_sigint() -> None:
        signal.signal(signal.SIGINT, sigint)

    return subprocess.Popen(
        list(args),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=set_sigint,  # only sets one signal disposition (async-signal-safe enough)
    )


@dataclass
class DevServer:
    process: subprocess.Popen[str]
    output: Lines
    url: str  # http://127.0.0.1:PORT, without /v1

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, str]:
        """Send `signum` and wait for the process to end: its exit code and all its output."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_SECONDS)
            raise AssertionError(
                f"did not stop on {signal.Signals(signum).name}:\n{self.output.rest(1)}"
            ) from None
        return code, self.output.rest()


@contextlib.contextmanager
def dev_server(*extra: str, sigint: signal.Handlers = signal.SIG_DFL) -> Iterator[DevServer]:
    """A running `python -m local.server --port 0 --no-seed <extra>`, ready; killed on exit if
    the test did not stop it."""
    process = start_process(
        [sys.executable, "-m", "local.server", "--port", "0", "--no-seed", *extra], sigint=sigint
    )
    try:
        output = Lines(process)
        match = API_LINE.match(output.wait_for(API_LINE))
        assert match is not None
        output.wait_for(READY_LINE)
        yield DevServer(process, output, match.group(1))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


def signed_up(api: str, email: str, password: str, name: str) -> dict[str, str]:
    """Signs a new user up on a running server (``api``: its ``/v1`` URL) and signs them in: the
    ``Authorization`` header of their session."""
    import requests

    credentials = {"email": email, "password": password}
    created = requests.post(f"{api}/users", json={**credentials, "name": name}, timeout=REQUEST_SECONDS)
    assert created.ok, created.text
    login = requests.post(f"{api}/auth/token", json=credentials, timeout=REQUEST_SECONDS)
    assert login.ok, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}
