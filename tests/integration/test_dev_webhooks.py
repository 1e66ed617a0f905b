"""`make dev` delivers webhooks (issue 11): the dev server runs the change log's stream and the
delivery queue as Lambda's event sources would (local/streams.py, local/queues.py), so a receiver
on loopback, allowed with `--allow-loopback-webhooks`, gets each change signed. How soon is
printed and recorded; the test waits with a generous bound and never asserts a duration."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from standardwebhooks.webhooks import Webhook

from tests.dev_server import REQUEST_SECONDS, dev_server
from tests.receivers import Receiver

PATIENCE_SECONDS = 60.0


def _call(url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_SECONDS) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def test_a_loopback_receiver_gets_each_change_signed(record_property) -> None:
    receiver = Receiver().start()
    try:
        with dev_server("--allow-loopback-webhooks") as dev:
            api = f"{dev.url}/v1"
            credentials = {"email": "hooks@example.com", "password": "hooks-password-123"}
            assert _call(f"{api}/users", {**credentials, "name": "Hooks"})[0] == 201
            token = _call(f"{api}/auth/token", credentials)[1]["access_token"]
            days = {"name": "Hooked", "start_at": "2027-05-01", "duration": 1, "timezone": "UTC"}
            agenda = _call(f"{api}/agendas", days, token)[1]
            target = receiver.url
            status, hook = _call(
                f"{api}/agendas/{agenda['id']}/webhooks", {"url": target, "events": ["*"]}, token
            )
            assert status == 201, hook
            status, track = _call(f"{api}/agendas/{agenda['id']}/tracks", {"name": "Main"}, token)
            acknowledged = time.monotonic()
            assert status == 201, track
            while not receiver.received and time.monotonic() - acknowledged < PATIENCE_SECONDS:
                time.sleep(0.05)
    finally:
        receiver.stop()

    assert receiver.received, f"no delivery within {PATIENCE_SECONDS} s"
    at, headers, body = receiver.received[0]
    event = Webhook(hook["secret"]).verify(body, headers)
    assert event["type"] == "track.created" and event["data"]["object"]["id"] == track["id"]
    record_property("webhook_lag_seconds", round(at - acknowledged, 3))
    print(f"\nthe receiver got the signed event {at - acknowledged:.3f} s after the write was acknowledged")
