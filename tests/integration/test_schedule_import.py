"""Importing real c3voc schedules (shared/fixtures/c3voc) through the services, then reading each
agenda back whole through the API and checking it against the fixture. Every expectation here is
computed from the fixture by the test itself, never by the importer's helpers.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.builders import sign_up
from tests.conftest import BASE_URL

# The repository is cloned next to `shared` (here and in CI).
FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/c3voc/examples"
# What each fixture's event types should become (API.md §4 kinds).
KINDS = {
    "lecture": "talk",
    "performance": "other",
    "Talk": "talk",
    "Workshop": "workshop",
    "Talk 30 min + 10min Q&A": "talk",
    "Talk 60min + 20min Q&A": "talk",
    "Workshop 60 Min": "workshop",
    "Workshop 110min": "workshop",
    "LightningTalk 15min 10min Q&A": "talk",
    "Other": "other",
}


@pytest.fixture
def owner(api: Any) -> dict[str, Any]:
    return sign_up(api, name="Importing Organiser")


def load(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


def import_and_read(api: Any, owner: dict[str, Any], document: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    from agenda_core.schemas.auth import session_caller
    from agenda_core.services.schedule_import import import_schedule

    report = import_schedule(session_caller(owner["user"]["id"]), document, BASE_URL)
    response = api.request("GET", f"/v1/agendas/{report.agenda_id}", headers=owner["headers"])
    assert response.status == 200, response.body
    return report, response.json()


# --- the fixture, read independently ----------------------------------------------------------


def events(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for day in document["schedule"]["conference"]["days"]:
        for room, room_events in day["rooms"].items():
            for event in room_events:
                assert event["room"] == room
                yield event


def span(event: dict[str, Any]) -> tuple[datetime, datetime]:
    assert re.fullmatch(r"\d\d:\d\d", event["duration"]), event["duration"]  # all three fixtures
    hours, minutes = event["duration"].split(":")
    start = datetime.fromisoformat(event["date"])
    return start, start + timedelta(hours=int(hours), minutes=int(minutes))


def key(title: str, start: datetime) -> tuple[str, datetime]:
    return title, start  # aware datetimes compare as instants


def expected_sessions(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    sessions = []
    for event in events(document):
        start, end = span(event)
        names = tuple(person["public_name"].strip() for person in event["persons"])  # "Tobias Zillner "
        text = (event["description"] or "").strip() or (event["abstract"] or "").strip() or None
        track = event["track"] or None
        kind = KINDS[event["type"]]
        title = event["title"].strip()  # ' Fully Open, Fully Sovereign mobile devices'
        sessions.append((key(title, start), end, event["room"], names, track, kind, event["language"], text))
    return sorted(sessions)


def expected_conflicts(document: dict[str, Any]) -> set[tuple[Any, ...]]:
    """Every pair of events that overlap (half-open) in one room, or with a person in both."""
    found = set()
    for first, second in itertools.combinations(list(events(document)), 2):
        (start1, end1), (start2, end2) = span(first), span(second)
        if not (start1 < end2 and start2 < end1):
            continue
        pair = frozenset({key(first["title"].strip(), start1), key(second["title"].strip(), start2)})
        if first["room"] == second["room"]:
            found.add(("venue_overlap", pair, first["room"]))
        names = {person["id"]: person["public_name"].strip() for person in first["persons"]}
        for person in second["persons"]:
            if person["id"] in names:
                found.add(("speaker_overlap", pair, names[person["id"]]))
    return found


# --- the agenda as the API returns it ---------------------------------------------------------


def names_by_id(agenda: dict[str, Any]) -> dict[str, str]:
    return {
        item["id"]: item["name"] for plural in ("venues", "tracks", "speakers") for item in agenda[plural]
    }


def session_keys(agenda: dict[str, Any]) -> dict[str, tuple[str, datetime]]:
    return {s["id"]: key(s["title"], datetime.fromisoformat(s["start_at"])) for s in agenda["sessions"]}


def returned_sessions(agenda: dict[str, Any]) -> list[tuple[Any, ...]]:
    names = names_by_id(agenda)
    return sorted(
        (
            key(s["title"], datetime.fromisoformat(s["start_at"])),
            datetime.fromisoformat(s["end_at"]),
            names[s["venue_id"]],
            tuple(names[speaker_id] for speaker_id in s.get("speaker_ids", [])),
            names[s["track_id"]] if "track_id" in s else None,
            s["kind"],
            s.get("language"),
            s.get("description"),
        )
        for s in agenda["sessions"]
    )


def returned_conflicts(agenda: dict[str, Any]) -> set[tuple[Any, ...]]:
    names, keys = names_by_id(agenda), session_keys(agenda)
    return {
        (
            conflict["code"],
            frozenset(keys[session_id] for session_id in conflict["session_ids"]),
            names[conflict.get("venue_id") or conflict["speaker_id"]],
        )
        for conflict in agenda.get("conflicts", [])
    }


def assert_matches_fixture(agenda: dict[str, Any], document: dict[str, Any], offset: str) -> None:
    """Sessions (titles, instants, venue, speakers in order, track, kind, language, text), every
    returned time in the agenda's local offset, and conflicts as the test finds them."""
    assert len(set(session_keys(agenda).values())) == len(agenda["sessions"])  # keys identify sessions
    assert returned_sessions(agenda) == expected_sessions(document)
    assert {s["start_at"][19:] for s in agenda["sessions"]} == {offset}
    assert {s["end_at"][19:] for s in agenda["sessions"]} == {offset}
    assert returned_conflicts(agenda) == expected_conflicts(document)
    in_conflict = {session_id for c in agenda.get("conflicts", []) for session_id in c["session_ids"]}
    assert {s["id"] for s in agenda["sessions"] if s.get("conflicts")} == in_conflict


def first_seen(values: Iterator[Any]) -> list[Any]:
    return list(dict.fromkeys(value for value in values if value))


def persons(document: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {person["id"]: person for event in events(document) for person in event["persons"]}


# --- the tests --------------------------------------------------------------------------------


def test_frab_camp2019_imports_whole_and_reads_back_as_in_the_fixture(
    api: Any, owner: dict[str, Any]
) -> None:
    document = load("frab-camp2019.json")

    report, agenda = import_and_read(api, owner, document)

    assert report.agenda_id == agenda["id"]
    assert report.counts == {"venues": 2, "tracks": 7, "speakers": 90, "sessions": 79}
    # The last event ends 2019-08-25 18:30 local: the five declared days hold every event, though
    # frab's days run to 04:00 the next morning and `end` says 2019-08-26.
    assert max(span(event)[1] for event in events(document)).isoformat() == "2019-08-25T18:30:00+02:00"
    assert {
        name: agenda[name] for name in ("name", "slug", "timezone", "start_at", "end_at", "duration")
    } == {
        "name": "Chaos Communication Camp 2019",
        "slug": "camp2019",
        "timezone": "Europe/Berlin",
        "start_at": "2019-08-21",
        "end_at": "2019-08-25",
        "duration": 5,
    }
    assert [venue["name"] for venue in agenda["venues"]] == ["Curie", "Meitner"]
    assert [track["name"] for track in agenda["tracks"]] == first_seen(e["track"] for e in events(document))
    assert sorted(s["name"] for s in agenda["speakers"]) == sorted(
        p["public_name"].strip() for p in persons(document).values()
    )
    assert_matches_fixture(agenda, document, "+02:00")
    assert expected_conflicts(document) == set()
    assert "conflicts" not in agenda
    assert report.notes == [
        "conference end 2019-08-26 ignored: no event runs into it (frab days may end after midnight)",
        "acronym 'Camp2019' made into the slug 'camp2019'",
        "type 'lecture' read as 'talk'",
        "abstract left out (description kept): 66 times, e.g. 'card10 Badge'",
        "subtitle left out (title kept): 63 times, e.g. 'Hacking Containers and Kubernetes'",
        "type 'performance' read as 'other'",
    ]


def test_an_event_after_midnight_extends_the_days(api: Any, owner: dict[str, Any]) -> None:
    # Given camp2019's last day alone, plus a night event frab files under that day (01:00 the
    # next morning, inside the day's day_end of 04:00).
    document = load("frab-camp2019.json")
    conference = document["schedule"]["conference"]
    last_day = conference["days"][-1]
    conference["days"] = [last_day]
    last_day["rooms"] = {"Meitner": last_day["rooms"]["Meitner"]}
    night = {
        **last_day["rooms"]["Meitner"][-1],
        "guid": "6f1c6d0e-0000-4000-8000-000000000001",  # its own event: imports match by guid
        "title": "Night Owls",
        "date": "2019-08-26T01:00:00+02:00",
    }
    last_day["rooms"]["Meitner"].append(night)

    report, agenda = import_and_read(api, owner, document)

    assert (agenda["start_at"], agenda["duration"], agenda["end_at"]) == ("2019-08-21", 6, "2019-08-26")
    assert "duration extended from daysCount 5 to 6 days: events run until 2019-08-26 01:45:00+02:00" in (
        report.notes
    )
    assert not any(note.startswith("conference end") for note in report.notes)
    assert report.counts["sessions"] == 4
    assert_matches_fixture(agenda, document, "+02:00")


def test_pretalx_democon_imports_whole_with_its_speaker_conflict(api: Any, owner: dict[str, Any]) -> None:
    document = load("pretalx-democon.json")

    report, agenda = import_and_read(api, owner, document)

    assert report.counts == {"venues": 2, "tracks": 2, "speakers": 27, "sessions": 36}
    assert {
        name: agenda[name] for name in ("name", "slug", "timezone", "start_at", "end_at", "duration")
    } == {
        "name": "DemoCon",
        "slug": "democon",
        "timezone": "UTC",
        "start_at": "2020-12-14",
        "end_at": "2020-12-16",
        "duration": 3,
    }
    # Both rooms carry the same guid in the export: they are told apart by name.
    assert [venue["name"] for venue in agenda["venues"]] == ["Gray Room", "Tan Room"]
    assert [track["name"] for track in agenda["tracks"]] == first_seen(e["track"] for e in events(document))
    bios = {p["public_name"]: (p["biography"] or "").strip() or None for p in persons(document).values()}
    assert {s["name"]: s.get("bio") for s in agenda["speakers"]} == bios
    # Times were exported with +01:00 although the zone is UTC: the instants are kept, shown in UTC.
    assert_matches_fixture(agenda, document, "+00:00")
    assert len(expected_conflicts(document)) == 1  # one speaker in two overlapping talks
    assert [c["code"] for c in agenda["conflicts"]] == ["speaker_overlap"]
    assert report.notes == [
        "event offsets are not UTC's: kept the instants: 36 times, e.g. 2020-12-14T09:00:00+01:00",
        "abstract left out (description kept): 36 times, e.g. 'Focused 5thgeneration hardware'",
    ]


def test_pretalx_rc3_without_a_time_zone_imports_in_utc(api: Any, owner: dict[str, Any]) -> None:
    document = load("pretalx-rc3.json")
    assert "time_zone_name" not in document["schedule"]["conference"]

    report, agenda = import_and_read(api, owner, document)

    assert report.counts == {"venues": 5, "tracks": 5, "speakers": 56, "sessions": 48}
    assert (agenda["timezone"], agenda["slug"], agenda["start_at"], agenda["duration"]) == (
        "UTC",
        "rc3-channels-2020",
        "2020-12-27",
        4,
    )
    assert [venue["name"] for venue in agenda["venues"]] == first_seen(e["room"] for e in events(document))
    assert_matches_fixture(agenda, document, "+00:00")
    assert report.notes[:2] == [
        "no time_zone_name: used UTC",
        "event offsets are not UTC's: kept the instants: 48 times, e.g. 2020-12-27T11:30:00+01:00",
    ]


def test_a_taken_slug_and_odd_values_are_fixed_and_reported(api: Any, owner: dict[str, Any]) -> None:
    # Given a small schedule with what real exports get wrong, imported twice (the slug is taken).
    event = {
        "guid": "e1",
        "date": "2030-01-01T10:00:00+01:00",
        "duration": "1:00:30",  # D:HH:MM
        "room": "Hall",
        "title": "T" * 250,
        "subtitle": "",
        "track": "",
        "type": "Podiumsdiskussion",
        "language": "English",
        "abstract": "Short.",
        "description": None,
        "persons": [{"name": "Ada"}, {"name": "Ada"}, {"code": "X1", "public_name": "Grace"}],
    }
    conference = {
        "acronym": "odd_con",
        "title": "Odd Con",
        "start": "2030-01-01",
        "daysCount": 1,
        "time_zone_name": "Mars/Olympus",
        "tracks": [{"name": "Red", "color": "F00"}, {"name": "Blue", "color": "blue"}],
        "days": [{"date": "2030-01-01", "rooms": {"Hall": [event]}}],
    }
    document = {"schedule": {"conference": conference}}
    import_and_read(api, owner, document)

    report, agenda = import_and_read(api, owner, document)

    label = repr("T" * 59 + "…")  # how notes name an event with a long title
    assert agenda["slug"].startswith("odd-con-") and agenda["slug"] != "odd-con"
    assert (agenda["timezone"], agenda["duration"]) == ("UTC", 2)
    assert [(t["name"], t.get("color")) for t in agenda["tracks"]] == [("Red", "#ff0000"), ("Blue", None)]
    [session] = agenda["sessions"]
    assert (session["title"], session["kind"], session["start_at"], session["end_at"]) == (
        "T" * 199 + "…",
        "panel",
        "2030-01-01T09:00:00+00:00",
        "2030-01-02T09:30:00+00:00",
    )
    assert "language" not in session and "track_id" not in session
    assert [names_by_id(agenda)[i] for i in session["speaker_ids"]] == ["Ada", "Grace"]
    assert report.notes == [
        "time_zone_name 'Mars/Olympus' is not an IANA zone: used UTC",
        "event offsets are not UTC's: kept the instants: 2030-01-01T10:00:00+01:00",
        "duration extended from daysCount 1 to 2 days: events run until 2030-01-02 10:30:00+01:00",
        "acronym 'odd_con' made into the slug 'odd-con'",
        "track colour not #rrggbb: left out: Blue 'blue'",
        f"language 'English' is not a BCP 47 tag: left out: {label}",
        "event title shortened to 200 characters: " + repr("T" * 40),
        "type 'Podiumsdiskussion' read as 'panel'",
        f"person listed twice on an event: kept once: {label}",
        # Read first, written after: the slug is found taken when the agenda is created.
        "slug 'odd-con' is taken: generated one from the name",
    ]


def test_the_demo_seed_is_a_real_conflict_free_agenda(api: Any) -> None:
    """local/server.py's seed (`make dev`): a published agenda with content, without conflicts."""
    from local import server

    agenda_id, warning = server.seed(api)

    assert warning is None
    login = api.request(
        "POST", "/v1/auth/token", json_body={k: server.DEMO_USER[k] for k in ("email", "password")}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    agenda = api.request("GET", f"/v1/agendas/{agenda_id}", headers=headers).json()
    counts = {plural: len(agenda[plural]) for plural in ("tracks", "venues", "speakers", "sessions")}
    assert counts == {"tracks": 2, "venues": 2, "speakers": 3, "sessions": 6}
    assert agenda["published"] is True
    assert "conflicts" not in agenda
    public = api.request("GET", f"/v1/agendas/{agenda_id}").json()
    assert len(public["sessions"]) == 6
