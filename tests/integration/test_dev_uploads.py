"""`make dev` takes uploads end to end (issue 12): a client posts the file with the presigned POST
to the embedded S3 on loopback, the dev server runs the upload processor on the new object (as
S3's Object Created event would run it, local/buckets.py), and the icon URL of an agenda made
with it then serves the image's bytes. The test waits with a generous bound and never asserts a duration."""

from __future__ import annotations

import time

import requests

from tests.dev_server import REQUEST_SECONDS, dev_server, signed_up
from tests.images import png

PATIENCE_SECONDS = 60.0


def test_a_presigned_post_to_the_dev_server_becomes_a_served_image(record_property) -> None:
    image = png(8, 6)
    with dev_server() as dev:
        api = f"{dev.url}/v1"
        auth = signed_up(api, "uploads@example.com", "uploads-password-123", "Up")
        asked = {"purpose": "agenda_icon", "content_type": "image/png", "content_length": len(image)}
        created = requests.post(f"{api}/uploads", json=asked, headers=auth, timeout=REQUEST_SECONDS)
        assert created.status_code == 201, created.text
        upload = created.json()["upload"]

        posted = requests.post(
            upload["url"],
            data=upload["fields"],
            files={"file": ("icon.png", image, "image/png")},
            timeout=REQUEST_SECONDS,
        )
        stored = time.monotonic()
        assert posted.status_code in (200, 201, 204), posted.text
        read: dict = {}
        while time.monotonic() - stored < PATIENCE_SECONDS:
            read = requests.get(
                f"{api}/uploads/{created.json()['id']}", headers=auth, timeout=REQUEST_SECONDS
            ).json()
            if read["status"] != "pending":
                break
            time.sleep(0.05)
        checked = time.monotonic()
        days = {"name": "Iconic", "start_at": "2027-05-01", "duration": 1, "timezone": "UTC"}
        agenda = requests.post(
            f"{api}/agendas",
            json={**days, "icon": created.json()["id"]},
            headers=auth,
            timeout=REQUEST_SECONDS,
        ).json()
        served = requests.get(agenda.get("icon", ""), timeout=REQUEST_SECONDS) if agenda.get("icon") else None

    assert read["status"] == "ready", read
    assert (read["width"], read["height"]) == (8, 6)
    assert agenda["icon"] == read["url"]  # the agenda's icon is the upload's URL...
    assert served is not None and served.status_code == 200 and served.content == image  # ...serving it
    assert served.headers["Content-Type"] == "image/png"
    record_property("upload_check_seconds", round(checked - stored, 3))
    print(f"\nthe upload was ready {checked - stored:.3f} s after the file was stored")
