"""Export, import, export (issue 13 item 5): an agenda's `schedule.json` imported into a new agenda
with the same days gives back the same schedule (titles, times, rooms, persons, tracks), and so
does its `schedule.xml`. Only what names our objects differs: ids, guids and URLs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.builders import create_agenda, create_session, sign_up
from tests.integration.test_imports import democon, full, run_import

DAYS = {"start_at": "2020-12-14", "duration": 3, "timezone": "Europe/Berlin"}


def schedule(api: Any, who: dict[str, Any], agenda_id: str, name: str) -> bytes:
    exported = api.request("GET", f"/v1/agendas/{agenda_id}/{name}", headers=who["headers"])
    assert exported.status == 200, exported.body
    return bytes(exported.body)


def what_it_says(document: bytes) -> dict[str, Any]:
    """The schedule without the names of our objects, read from schedule.json."""
    conference = json.loads(document)["schedule"]["conference"]
    events = [
        (
            event["title"],
            event["date"],
            event["duration"],
            event["room"],
            event["track"],
            event["type"],
            event["description"],
            sorted(person["public_name"] for person in event["persons"]),
        )
        for day in conference["days"]
        for events in day["rooms"].values()
        for event in events
    ]
    return {
        "days": [(day["date"], sorted(day["rooms"])) for day in conference["days"]],
        "rooms": [room["name"] for room in conference["rooms"]],
        "tracks": [(track["name"], track.get("color")) for track in conference["tracks"]],
        "time_zone_name": conference.get("time_zone_name"),
        "events": sorted(events),
    }


@pytest.mark.parametrize("name", ["schedule.json", "schedule.xml"])
def test_an_exported_schedule_imports_into_a_new_agenda_and_exports_the_same(api, aws, name):
    owner = sign_up(api, name="Round Tripper")
    first = create_agenda(api, owner, name="DemoCon", **DAYS)
    assert run_import(api, aws, owner, first["id"], democon())["status"] == "done"
    # Something the fixture does not have: no room, no track, unicode and markup in the title.
    create_session(
        api, owner, first["id"], title="Ünïcode & <markup> « talk »",
        start_at="2020-12-16T23:30:00+01:00", end_at="2020-12-17T00:00:00+01:00",
    )  # fmt: skip
    exported = schedule(api, owner, first["id"], name)
    second = create_agenda(api, owner, name="DemoCon", **DAYS)

    imported = run_import(
        api, aws, owner, second["id"], exported if name.endswith(".xml") else json.loads(exported)
    )

    assert imported["status"] == "done", imported
    assert imported["report"]["created"]["sessions"] == 37
    again = what_it_says(schedule(api, owner, second["id"], "schedule.json"))
    assert again == what_it_says(schedule(api, owner, first["id"], "schedule.json"))
    assert len(again["events"]) == 37
    assert len(full(api, owner, second["id"])["speakers"]) == len(full(api, owner, first["id"])["speakers"])
