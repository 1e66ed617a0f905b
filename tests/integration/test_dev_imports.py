"""`make dev` runs imports in-process (issue 13 item 6): the README's three steps over HTTP against
the dev server (ask for a `schedule_import` upload, post the file with the presigned POST to the
embedded S3, start the import), then the import is read until it is done, as the stream would run
it in AWS (local/streams.py). Waits with generous bounds and never asserts a duration."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests

from tests.dev_server import REQUEST_SECONDS, dev_server, signed_up

PATIENCE_SECONDS = 60.0
DEMOCON = Path(__file__).resolve().parents[3] / "shared/fixtures/c3voc/examples/pretalx-democon.json"


def _until(read: Any, done: Any) -> dict[str, Any]:
    """Reads until ``done(answer)`` or the patience runs out; the last answer."""
    started = time.monotonic()
    answer = read()
    while not done(answer) and time.monotonic() - started < PATIENCE_SECONDS:
        time.sleep(0.05)
        answer = read()
    return dict(answer)


def test_a_schedule_file_imports_into_an_agenda_on_the_dev_server() -> None:
    schedule = DEMOCON.read_bytes()
    with dev_server() as dev:
        api = f"{dev.url}/v1"
        auth = signed_up(api, "imports@example.com", "imports-password-123", "Im")
        days = {"name": "DemoCon", "start_at": "2020-12-14", "duration": 3, "timezone": "UTC"}
        agenda = requests.post(f"{api}/agendas", json=days, headers=auth, timeout=REQUEST_SECONDS).json()
        # 1. Ask for the upload.
        asked = {
            "purpose": "schedule_import",
            "content_type": "application/json",
            "content_length": len(schedule),
        }
        created = requests.post(f"{api}/uploads", json=asked, headers=auth, timeout=REQUEST_SECONDS).json()
        # 2. Post the file with the form fields the answer gave.
        posted = requests.post(
            created["upload"]["url"],
            data=created["upload"]["fields"],
            files={"file": ("schedule.json", schedule, "application/json")},
            timeout=REQUEST_SECONDS,
        )
        assert posted.status_code in (200, 201, 204), posted.text
        upload = _until(
            lambda: requests.get(
                f"{api}/uploads/{created['id']}", headers=auth, timeout=REQUEST_SECONDS
            ).json(),
            lambda read: read["status"] != "pending",
        )
        # 3. Start the import.
        started = requests.post(
            f"{api}/agendas/{agenda['id']}/imports",
            json={"upload_id": created["id"]},
            headers=auth,
            timeout=REQUEST_SECONDS,
        )
        done = _until(
            lambda: requests.get(started.json()["url"], headers=auth, timeout=REQUEST_SECONDS).json(),
            lambda read: read["status"] in ("done", "failed"),
        )
        full = requests.get(f"{api}/agendas/{agenda['id']}", headers=auth, timeout=REQUEST_SECONDS).json()

    assert upload["status"] == "ready", upload
    assert started.status_code == 202, started.text
    assert done["status"] == "done", done
    assert done["report"]["created"] == {"venues": 2, "tracks": 2, "speakers": 27, "sessions": 36}
    assert len(full["sessions"]) == 36
