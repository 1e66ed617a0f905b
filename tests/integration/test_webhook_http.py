"""One webhook delivery attempt (integrations/webhook_http.py) against real receivers on loopback:
what is sent is exactly what is signed, only 2xx succeeds, redirects are answers (never followed),
at most 64 KiB of an answer is read, a receiver that hangs or hangs up is a recorded failure
bounded by the attempt's deadline, and TLS is checked against the URL's name while the socket
goes to the address that was checked."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agenda_core.integrations import webhook_http
from tests.receivers import RawReceiver


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[RawReceiver]:
    server = RawReceiver(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def _post(server: RawReceiver, **kwargs: Any) -> webhook_http.Attempt:
    return webhook_http.post(
        f"http://127.0.0.1:{server.port}/in?x=1",
        b'{"type":"ping"}',
        {"webhook-id": "msg_1", "Content-Type": "application/json"},
        allow_loopback_http=True,
        **kwargs,
    )


@pytest.mark.parametrize("receiver", ["ok"], indirect=True)
def test_a_2xx_is_success_and_the_bytes_sent_are_the_body_given(receiver: RawReceiver) -> None:
    attempt = _post(receiver)

    assert attempt.succeeded and attempt.status == 204 and attempt.error is None
    (sent,) = receiver.requests
    assert sent.startswith(b"POST /in?x=1 HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{receiver.port}\r\n".encode() in sent and b"webhook-id: msg_1\r\n" in sent
    assert sent.endswith(b'\r\n\r\n{"type":"ping"}')


@pytest.mark.parametrize("receiver", ["error"], indirect=True)
def test_a_500_is_a_failure_with_the_first_kib_logged_and_retry_after_kept(receiver: RawReceiver) -> None:
    attempt = _post(receiver)

    assert not attempt.succeeded and attempt.status == 500
    assert attempt.answer_head == b"e" * 1024 and attempt.retry_after == 120


@pytest.mark.parametrize("receiver", ["redirect"], indirect=True)
def test_a_redirect_is_an_answer_never_followed(receiver: RawReceiver) -> None:
    attempt = _post(receiver)

    assert attempt.status == 302 and not attempt.succeeded
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("receiver", ["huge"], indirect=True)
def test_a_10_mb_answer_is_read_only_up_to_64_kib_and_is_a_failure(
    receiver: RawReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[int] = []
    original = webhook_http.http.client.HTTPResponse.read

    def counting(self: Any, amt: int | None = None) -> bytes:
        data = original(self, amt)
        read.append(len(data))
        return data

    monkeypatch.setattr(webhook_http.http.client.HTTPResponse, "read", counting)
    attempt = _post(receiver)

    assert attempt.status == 200 and sum(read) == webhook_http.ANSWER_READ_LIMIT
    assert len(attempt.answer_head) == webhook_http.LOGGED_ANSWER_BYTES
    assert attempt.error == "answer_too_large" and not attempt.succeeded  # a 200, but not a success


@pytest.mark.parametrize("receiver", ["hang"], indirect=True)
def test_a_receiver_that_never_answers_is_a_timeout_at_the_deadline(receiver: RawReceiver) -> None:
    attempt = _post(receiver, deadline_seconds=1.0)

    assert attempt.status is None and attempt.error == "timeout"
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("receiver", ["hang-up"], indirect=True)
def test_a_receiver_that_hangs_up_is_a_recorded_failure(receiver: RawReceiver) -> None:
    attempt = _post(receiver)

    assert attempt.status is None and attempt.error in {"connect", "protocol"}


# -- TLS: the name is checked, the address connected to is the one resolved and checked -----------


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def test_https_connects_to_the_checked_address_and_verifies_the_urls_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert_file, key_file = _certificate(tmp_path, "hooks.test")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert_file, key_file)
    server = RawReceiver("ok", tls=server_tls)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    resolved: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host != "127.0.0.1":  # connecting to the checked address needs no name lookup
            resolved.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    client_tls = ssl.create_default_context(cafile=str(cert_file))
    try:
        good = webhook_http.post(
            f"https://hooks.test:{server.port}/in", b"{}", {}, allow_loopback_http=True, context=client_tls
        )
        wrong_name = webhook_http.post(
            f"https://other.test:{server.port}/in", b"{}", {}, allow_loopback_http=True, context=client_tls
        )
        untrusted = webhook_http.post(
            f"https://hooks.test:{server.port}/in", b"{}", {}, allow_loopback_http=True
        )
    finally:
        server.shutdown()
        server.server_close()

    assert good.status == 204, good.detail
    assert wrong_name.error == untrusted.error == "tls"
    assert resolved == ["hooks.test", "other.test", "hooks.test"]  # once per attempt, never again
