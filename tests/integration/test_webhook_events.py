"""The webhook event of each committed change (services/webhook_events.py, API.md §7): built from
the change record alone, the object as the public reads it at that change, a deletion carrying
its id, the event types only the writer knows (created or updated, published or unpublished)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import create_agenda, create_session, create_speaker, create_track, sign_up


@pytest.fixture
def owner(api: Any) -> dict[str, Any]:
    return sign_up(api)


def _events(agenda_id: str, zone: str, base_url: str) -> list[dict[str, Any]]:
    """Every change record of the agenda, read raw as the table's stream carries them, as events."""
    from agenda_core.db import keys
    from agenda_core.db.base import TableItem
    from agenda_core.db.raw import decode_item
    from agenda_core.services.webhook_events import event_of

    items = TableItem._get_connection().query(keys.changes_pk(agenda_id), consistent_read=True)["Items"]
    built = [event_of(decode_item(item), zone, base_url) for item in items]
    return [event for event in built if event is not None]


def _base_url(response: Any) -> str:
    url = str(response.json()["url"])
    return url[: url.index("/v1/")]


def test_each_change_is_one_event_showing_the_public_object_as_that_change_left_it(api, owner):
    agenda = create_agenda(api, owner)
    aid, headers = agenda["id"], owner["headers"]
    speaker = create_speaker(api, owner, aid, email="private@example.com")
    session = create_session(api, owner, aid, speaker_ids=[speaker["id"]])
    track = create_track(api, owner, aid, name="First name")
    renamed = api.request(
        "PATCH", f"/v1/agendas/{aid}/tracks/{track['id']}", json_body={"name": "Second"}, headers=headers
    )
    published = api.request("PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=headers)
    public_session = api.request("GET", f"/v1/agendas/{aid}/sessions/{session['id']}")
    public_speaker = api.request("GET", f"/v1/agendas/{aid}/speakers/{speaker['id']}")
    api.request(
        "PATCH", f"/v1/agendas/{aid}/tracks/{track['id']}", json_body={"name": "Third"}, headers=headers
    )
    api.request("DELETE", f"/v1/agendas/{aid}/tracks/{track['id']}", headers=headers)

    events = _events(aid, agenda["timezone"], _base_url(published))
    by_type = {event["type"]: event for event in events}

    assert [e["type"] for e in events] == [
        "speaker.created",
        "session.created",
        "track.created",
        "track.updated",
        "agenda.published",
        "track.updated",
        "track.deleted",
    ]
    assert [e["data"]["version"] for e in events] == list(range(2, 9))  # version 1: agenda.created
    assert all(e["data"]["agenda_id"] == aid for e in events)
    assert by_type["speaker.created"]["data"]["object"] == public_speaker.json()
    assert "email" not in by_type["speaker.created"]["data"]["object"]
    assert by_type["session.created"]["data"]["object"] == public_session.json()
    assert events[3]["data"]["object"] == renamed.json()  # as that change left it, not as now
    assert by_type["agenda.published"]["data"]["object"] == published.json()
    assert by_type["track.deleted"]["data"]["object"] == {"id": track["id"]}
    assert by_type["track.deleted"]["timestamp"] >= by_type["agenda.published"]["timestamp"]


@pytest.mark.parametrize(
    ("events", "event_type", "wanted"),
    [
        (["*"], "session.deleted", True),
        (["session.created"], "session.created", True),
        (["agenda.updated"], "agenda.published", False),
    ],
)
def test_a_subscription_takes_the_events_it_names_or_all(events, event_type, wanted):
    from agenda_core.services.webhook_events import subscribed

    assert subscribed(events, event_type) is wanted
