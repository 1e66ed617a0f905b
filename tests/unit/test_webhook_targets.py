"""Webhook targets (integrations/webhook_targets.py, RELIABILITY.md "SSRF"): every target on the
list is refused with no socket opened, at subscription time where the URL alone tells, and at
every delivery attempt where only resolution tells."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from agenda_core.integrations import webhook_http, webhook_signing
from agenda_core.integrations.webhook_targets import TargetRefused, check_url, resolve

# RELIABILITY.md's list, in the order it gives, as URLs.
REFUSED_BY_FORM = [
    "http://example.com/hook",
    "https://user@example.com/hook",
    "https://user:pw@example.com/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://[fd00:ec2::254]/",
    "https://127.0.0.1/",
    "https://127.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0177.0.0.1/",
    "https://0/",
    "https://[::]/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[2002:a9fe:a9fe::1]/",
    "https://10.0.0.1/",
    "https://172.16.0.1/",
    "https://192.168.0.1/",
    "https://100.64.0.1/",
    "https://198.18.0.1/",
    "https://224.0.0.1/",
    "https://localhost/",
    "https://x.localhost/",
    "https://LOCALHOST./",
    "ftp://example.com/",
    "https:///nohost",
    "https://example.com:99999/",
    "https://exa mple.com/",
    "https://example.com/#fragment",
]


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket opened fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("url", REFUSED_BY_FORM)
def test_every_listed_target_is_refused_by_its_form_and_never_reached(url: str, no_sockets: None) -> None:
    with pytest.raises(TargetRefused):
        check_url(url)
    attempt = webhook_http.post(url, b"{}", {})
    assert attempt.status is None and attempt.error in {
        "not_https",
        "userinfo",
        "private_address",
        "malformed_url",
    }


def _resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "addresses",
    [
        ("10.1.2.3",),
        ("93.184.216.34", "127.0.0.1"),  # one public, one private: refused all the same
        ("2001:db8::1",),  # documentation range
        ("fe80::1%eth0",),
        ("::ffff:169.254.169.254",),
        ("64:ff9b::a00:1",),  # NAT64 of 10.0.0.1
    ],
)
def test_a_name_resolving_to_any_private_address_is_a_refused_attempt(
    addresses: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, no_sockets: None
) -> None:
    _resolving_to(monkeypatch, *addresses)
    target = check_url("https://hooks.example.com/in")  # a name passes the form check

    with pytest.raises(TargetRefused) as refused:
        resolve(target)
    attempt = webhook_http.post("https://hooks.example.com/in", b"{}", {})

    assert refused.value.reason == "private_address"
    assert attempt.error == "private_address" and attempt.status is None


def test_a_name_that_does_not_resolve_is_a_failed_attempt(
    monkeypatch: pytest.MonkeyPatch, no_sockets: None
) -> None:
    def getaddrinfo(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    assert webhook_http.post("https://nowhere.invalid/", b"{}", {}).error == "dns"


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/in?x=1", "https://93.184.216.34:8443/in", "https://[2606:4700::1111]/"],
)
def test_public_targets_pass_the_form_check(url: str) -> None:
    target = check_url(url)
    assert (target.scheme == "https" and target.path.startswith("/in")) or target.path == "/"


def test_loopback_http_passes_only_when_allowed() -> None:
    with pytest.raises(TargetRefused):
        check_url("http://127.0.0.1:8080/in")
    assert check_url("http://127.0.0.1:8080/in", allow_loopback_http=True).port == 8080
    for url in ("http://10.0.0.1/in", "http://example.com/in", "http://localhost:8080/in"):
        with pytest.raises(TargetRefused):
            check_url(url, allow_loopback_http=True)


def test_signatures_verify_with_the_reference_package_during_a_rotation_too() -> None:
    old, new = webhook_signing.new_secret(), webhook_signing.new_secret()
    body = '{"type":"session.updated","data":{"title":"é"}}'.encode()
    headers = webhook_signing.headers([new, old], "msg_1", int(time.time()), body)

    assert old.startswith("whsec_") and len(webhook_signing._key(old)) == 32
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers)["type"] == "session.updated"
    with pytest.raises(WebhookVerificationError, match="signature"):
        Webhook(webhook_signing.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError, match="signature"):
        Webhook(old).verify(body + b" ", headers)
