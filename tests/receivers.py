"""Webhook receivers on loopback for the tests (API.md §7): each records what it was sent and
answers with a status of the test's choosing; and the delivery queue read as Lambda's SQS event
source would hand it to the delivering function."""

from __future__ import annotations

import http.server
import socketserver
import ssl
import threading
import time
from typing import Any


class Receiver(http.server.ThreadingHTTPServer):
    """An HTTP receiver on 127.0.0.1 answering ``status``; ``received`` holds (monotonic time,
    lower-cased headers, body) of every POST."""

    daemon_threads = True

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.received: list[tuple[float, dict[str, str], bytes]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def bodies(self) -> list[tuple[dict[str, str], bytes]]:
        return [(headers, body) for _, headers, body in self.received]

    def start(self) -> Receiver:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.received.append((time.monotonic(), headers, body))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class RawReceiver(socketserver.ThreadingTCPServer):
    """A receiver written on raw sockets, to misbehave as HTTP servers do not: ``behaviour`` is
    "ok" (204), "error" (500 with Retry-After and 2000 bytes), "redirect" (302), "huge" (a 200 of
    10 MB), "hang" (reads the request, answers nothing until ``release`` is set) or "hang-up"
    (closes the connection at once). ``requests`` holds each request's bytes as received."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, behaviour: str, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour, self.tls = behaviour, tls
        self.requests: list[bytes] = []
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), _RawHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


class _RawHandler(socketserver.BaseRequestHandler):
    server: RawReceiver

    def handle(self) -> None:
        sock: Any = self.request
        if self.server.tls is not None:
            try:
                sock = self.server.tls.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                return
        behaviour = self.server.behaviour
        if behaviour == "hang-up":
            sock.close()
            return
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            0,
        )
        while len(body) < length:
            body += sock.recv(65536)
        self.server.requests.append(head + b"\r\n\r\n" + body)
        if behaviour == "hang":
            self.server.release.wait(30)
            return
        answers = {
            "ok": b"HTTP/1.1 204 No Content\r\n\r\n",
            "error": b"HTTP/1.1 500 Internal Server Error\r\nRetry-After: 120\r\nContent-Length: 2000\r\n\r\n"
            + b"e" * 2000,
            "redirect": b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\n\r\n",
        }
        if behaviour == "huge":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 10485760\r\n\r\n")
            try:
                for _ in range(160):
                    sock.sendall(b"0123456789abcdef" * 4096)  # not "xxx...": a canary value is
            except OSError:
                pass  # the client stopped reading, as it should
            return
        sock.sendall(answers[behaviour])


def queued(queue_url: str) -> list[dict[str, Any]]:
    """Every message waiting on the queue (taken off it), as SQS hands them to Lambda."""
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    taken: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return taken
        for message in got:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            taken.append({"messageId": message["MessageId"], "body": message["Body"]})
