"""Public snapshots (API.md §5, services/snapshots.py): the anonymous full read of a published
agenda is computed when the agenda changes (from the table's stream, delivered here by
local/streams.py after each write) and served as stored, gzip when the client takes it."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from tests.builders import (
    PUBLIC_CACHE,
    create_agenda,
    create_session,
    create_speaker,
    create_venue,
    sign_up,
)


@pytest.fixture
def owner(api: Any) -> dict[str, Any]:
    return sign_up(api)


@pytest.fixture
def published(api: Any, owner: dict[str, Any]) -> dict[str, Any]:
    agenda = create_agenda(api, owner, published=True)
    venue = create_venue(api, owner, agenda["id"])
    speaker = create_speaker(api, owner, agenda["id"], email="private@example.com")
    for hour in (10, 10):  # two sessions in one room at once: a conflict, saved and reported
        create_session(
            api,
            owner,
            agenda["id"],
            venue_id=venue["id"],
            speaker_ids=[speaker["id"]],
            start_at=f"2027-03-10T{hour}:00:00+01:00",
            end_at=f"2027-03-10T{hour}:30:00+01:00",
        )
    return agenda


def _rendered(api: Any, owner: dict[str, Any], agenda_id: str) -> dict[str, Any]:
    """What the table says the public sees: the render the snapshot replaces."""
    from agenda_core.schemas.auth import ANONYMOUS
    from agenda_core.services.full_agenda import read_full_agenda

    return dict(read_full_agenda(ANONYMOUS, agenda_id, "http://testserver").body)


def test_an_anonymous_read_is_the_snapshot_with_no_dynamodb_request(api, owner, published, aws_calls):
    expected = _rendered(api, owner, published["id"])
    aws_calls.clear()

    response = api.request("GET", f"/v1/agendas/{published['id']}")

    assert response.status == 200
    assert response.json() == expected
    assert aws_calls == ["s3:GetObject"]
    assert response.header("Cache-Control") == PUBLIC_CACHE
    assert response.header("Changes-Cursor") == expected["changes_cursor"]
    assert response.header("ETag").startswith(f'"{expected["version"]}.')
    assert "Accept-Encoding" in response.header("Vary") and "Authorization" in response.header("Vary")


def test_the_snapshot_holds_nothing_only_members_see(api, owner, published):
    text = api.request("GET", f"/v1/agendas/{published['id']}").body.decode()
    member = api.request("GET", f"/v1/agendas/{published['id']}", headers=owner["headers"]).json()

    assert member["conflicts"] and member["speakers"][0]["email"] == "private@example.com"
    assert "private@example.com" not in text and "conflicts" not in text and "email" not in text


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip", True),
        ("br, gzip;q=0.5", True),
        ("*", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("gzip;q=junk", False),
        (";;,,", False),
        ("", False),
    ],
)
def test_gzip_bytes_as_stored_when_the_client_takes_them(api, published, accept_encoding, gzipped):
    plain = api.request("GET", f"/v1/agendas/{published['id']}")

    response = api.request(
        "GET", f"/v1/agendas/{published['id']}", headers={"Accept-Encoding": accept_encoding}
    )

    assert response.status == 200
    assert (response.header("Content-Encoding") == "gzip") is gzipped
    body = gzip.decompress(response.body) if gzipped else response.body
    assert json.loads(body) == plain.json()
    # Another content coding is another representation: another strong ETag (RFC 9110 §8.8.3).
    expected = plain.header("ETag")[:-1] + '-gzip"' if gzipped else plain.header("ETag")
    assert response.header("ETag") == expected
    revalidated = api.request(
        "GET",
        f"/v1/agendas/{published['id']}",
        headers={"Accept-Encoding": accept_encoding, "If-None-Match": response.header("ETag")},
    )
    assert revalidated.status == 304 and revalidated.header("ETag") == expected


def test_an_acknowledged_change_is_in_the_next_anonymous_read(api, owner, published):
    before = api.request("GET", f"/v1/agendas/{published['id']}")
    changed = api.request(
        "PATCH", f"/v1/agendas/{published['id']}", json_body={"name": "Renamed"}, headers=owner["headers"]
    )

    after = api.request("GET", f"/v1/agendas/{published['id']}")
    revalidated = api.request(
        "GET", f"/v1/agendas/{published['id']}", headers={"If-None-Match": before.header("ETag")}
    )

    assert changed.status == 200
    assert after.json()["name"] == "Renamed" and after.json()["version"] == changed.json()["version"]
    assert after.header("ETag") != before.header("ETag")
    assert revalidated.status == 200 and revalidated.header("ETag") == after.header("ETag")


def test_revalidation_is_one_small_read(api, published, aws_calls):
    first = api.request("GET", f"/v1/agendas/{published['id']}")
    aws_calls.clear()

    again = api.request(
        "GET", f"/v1/agendas/{published['id']}", headers={"If-None-Match": first.header("ETag")}
    )

    assert again.status == 304 and again.body == b""
    assert aws_calls == ["dynamodb:GetItem"]


def test_unpublishing_or_deleting_removes_the_snapshot(api, owner):
    aid = create_agenda(api, owner, published=True)["id"]
    create_speaker(api, owner, aid)
    unpublished = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"published": False}, headers=owner["headers"]
    )
    hidden = api.request("GET", f"/v1/agendas/{aid}")
    api.request("PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"])
    shown = api.request("GET", f"/v1/agendas/{aid}")
    deleted = api.request("DELETE", f"/v1/agendas/{aid}", headers=owner["headers"])
    gone = api.request("GET", f"/v1/agendas/{aid}")

    assert unpublished.status == 200 and hidden.status == 404
    assert shown.status == 200 and shown.json()["published"] is True
    assert deleted.status == 204 and gone.status == 404


def test_a_read_without_a_snapshot_for_it_is_rendered_from_the_table(api, owner, published, monkeypatch):
    from agenda_core.integrations import snapshot_store

    monkeypatch.setattr(snapshot_store, "get", lambda _agenda_id: None)  # not built yet

    response = api.request("GET", f"/v1/agendas/{published['slug']}")

    assert response.status == 200
    assert response.json() == _rendered(api, owner, published["id"])


def test_with_dynamodb_down_the_public_schedule_is_still_served(api, published, monkeypatch):
    from agenda_core.errors import ServiceUnavailable
    from agenda_core.integrations import snapshot_store
    from agenda_core.services import agenda_partition

    served = api.request("GET", f"/v1/agendas/{published['id']}")  # a warm container holds it
    broken = ServiceUnavailable(1)

    def unavailable(*_args: Any, **_kwargs: Any) -> Any:
        raise broken

    monkeypatch.setattr(agenda_partition, "_content_values", unavailable)
    monkeypatch.setattr(agenda_partition, "get_or_none", unavailable)
    by_id = api.request("GET", f"/v1/agendas/{published['id']}")
    conditional = api.request(
        "GET", f"/v1/agendas/{published['id']}", headers={"If-None-Match": served.header("ETag")}
    )
    monkeypatch.setattr(snapshot_store, "get", unavailable)  # the store too: the held copy answers
    held = api.request("GET", f"/v1/agendas/{published['id']}")
    other = api.request("GET", "/v1/agendas/agd_01JQ0000000000000000000000")

    assert by_id.status == 200 and by_id.json() == served.json()
    assert conditional.status == 304
    assert held.status == 200 and held.json() == served.json()
    assert held.header("Cache-Control") == PUBLIC_CACHE
    assert other.status == 503 and other.header("Retry-After") == "1"
