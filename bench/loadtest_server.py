"""The local server `make loadtest` runs against, and the HTTP it speaks to it (bench/loadtest.py).

`python -m local.server --port 0 --no-seed` in a process of its own, as tests/dev_server.py
starts it: its output drained by a thread (it logs every request), its banner read for the URLs.
It delivers the table's stream to the snapshot function in a background thread (every 0.25 s,
local/streams.py), as Lambda's event source mapping would.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
COUNTERS_PATH = "/_local/aws-requests"  # local/server.py
API_LINE = re.compile(r"^\s+API\s+(http://\S+)/v1\s*$")
MOTO_LINE = re.compile(r"^\s+AWS\s+moto at (http://\S+)")
READY_LINE = "Ctrl-C to stop."
START_SECONDS = 60.0
STOP_SECONDS = 20.0
REQUEST_SECONDS = 30.0


class Server:
    """`python -m local.server --port 0 --no-seed <extra>`, started at once; `wait_ready()` reads
    its banner for the API's and moto's URLs, `stop()` sends SIGINT and waits."""

    def __init__(self, name: str, extra: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.server", "--port", "0", "--no-seed", *extra],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )
        self.tail: deque[str] = deque(maxlen=60)  # the last lines, for a failure's message
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._banner_done = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""
        self.moto = ""

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.tail.append(line)
            if not self._banner_done.is_set():
                self._lines.put(line)
                if READY_LINE in line:
                    self._banner_done.set()
        self._lines.put(None)

    def wait_ready(self, seconds: float = START_SECONDS) -> Server:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            if match := API_LINE.match(line):
                self.url = match.group(1)
            if match := MOTO_LINE.match(line):
                self.moto = match.group(1)
            if READY_LINE in line and self.url:
                return self
        raise RuntimeError(
            f"{self.name} server not ready (exit {self.process.poll()}):\n{''.join(self.tail)}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_SECONDS)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    base: str, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
) -> Answer:
    """One request on a new connection (the local server speaks HTTP/1.0: one request each)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=REQUEST_SECONDS
    )
    try:
        sent = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection.request(method, parts.path + path, body=data, headers=sent)
        response = connection.getresponse()
        payload = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, payload)
    finally:
        connection.close()


def aws_requests(base: str) -> dict[str, dict[str, int]] | None:
    """The server's AWS request totals by service and operation (local/request_counter.py), or
    None if it has no counter."""
    try:
        answer = call(base, "GET", COUNTERS_PATH)
    except OSError:
        return None
    if answer.status != 200:
        return None
    try:
        counts = answer.json()["aws_requests"]
    except (ValueError, KeyError, TypeError):
        return None
    return counts if isinstance(counts, dict) else None


def delta(before: dict[str, Any] | None, after: dict[str, Any] | None, service: str) -> Counter[str] | None:
    """What one service's counters moved by between two readings (None: not counted)."""
    if before is None or after is None:
        return None
    old, new = before.get(service, {}), after.get(service, {})
    return Counter({op: n - old.get(op, 0) for op, n in new.items() if n - old.get(op, 0)})
