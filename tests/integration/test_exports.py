"""Exports (API.md §5): ``calendar.ics`` read back with the ``icalendar`` package, ``schedule.json``
validated with ``jsonschema`` against c3voc's schema.json, ``schedule.xml`` with lxml against its
XSD (shared/fixtures/c3voc), for the demo agenda, real imported schedules and an agenda of edge
cases; and the full read's visibility, ETags, caching, gzip and request budget on each."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from jsonschema import Draft6Validator
from lxml import etree

from tests.builders import (
    PRIVATE_CACHE,
    PUBLIC_CACHE,
    add_member,
    content_path,
    create_agenda,
    create_session,
    create_speaker,
    create_track,
    create_venue,
    sign_up,
)
from tests.conftest import BASE_URL

C3VOC = Path(__file__).resolve().parents[3] / "shared/fixtures/c3voc"
EXPORTS = ("calendar.ics", "schedule.json", "schedule.xml")
MEDIA_TYPES = {
    "calendar.ics": "text/calendar; charset=utf-8",
    "schedule.json": "application/json",
    "schedule.xml": "application/xml",
}
BERLIN = ZoneInfo("Europe/Berlin")
ONE_HUNDRED_AND_ONE = [f"ses_01JQ{n:022d}" for n in range(101)]


@pytest.fixture(scope="module")
def json_schema() -> Draft6Validator:
    schema = json.loads((C3VOC / "schema.json").read_text(encoding="utf-8"))
    return Draft6Validator(schema, format_checker=Draft6Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def xsd() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(C3VOC / "schedule.xml.xsd")))


@pytest.fixture
def owner(api: Any) -> dict[str, Any]:
    return sign_up(api, name="Exporting Organiser")


@pytest.fixture
def berlin(api: Any, owner: dict[str, Any]) -> dict[str, Any]:
    """A published agenda across the end of summer time in Berlin (2026-10-25, 03:00 -> 02:00):
    a session at 10:00 on the first day (+02:00) and one at 10:00 on the last (+01:00), a track, a
    venue, two speakers, and a cancelled session. Returns the agenda with its content's ids."""
    agenda = create_agenda(
        api, owner, name="Herbst; Conf, 2026", start_at="2026-10-24", duration=3, published=True
    )
    aid = agenda["id"]
    track = create_track(api, owner, aid, name="Cloud, Ops", color="#336699")
    venue = create_venue(api, owner, aid, name="Saal 1")
    ada = create_speaker(api, owner, aid, name="Ada Lovelace", email="ada@example.com")
    bob = create_speaker(api, owner, aid, name="Bob")
    before = create_session(
        api,
        owner,
        aid,
        title="Before the change",
        description="Line one; line two, with a comma.\nNext line \\ done",
        start_at="2026-10-24T10:00:00+02:00",
        end_at="2026-10-24T11:00:00+02:00",
        track_id=track["id"],
        venue_id=venue["id"],
        speaker_ids=[ada["id"], bob["id"]],
        language="de",
    )
    after = create_session(
        api,
        owner,
        aid,
        title="After the change",
        start_at="2026-10-26T10:00:00+01:00",
        end_at="2026-10-26T11:30:00+01:00",
        venue_id=venue["id"],
        speaker_ids=[bob["id"]],
    )
    cancelled = create_session(
        api,
        owner,
        aid,
        title="Called off",
        start_at="2026-10-25T14:00:00+01:00",
        end_at="2026-10-25T15:00:00+01:00",
        status="cancelled",
    )
    return {
        **agenda,
        "track": track,
        "venue": venue,
        "speakers": {"ada": ada, "bob": bob},
        "sessions": {"before": before, "after": after, "cancelled": cancelled},
    }


def _get(api: Any, path: str, who: dict[str, Any] | None = None, **headers: str) -> Any:
    sent = {**(who["headers"] if who else {}), **{k.replace("_", "-"): v for k, v in headers.items()}}
    return api.request("GET", path, headers=sent)


def _calendar(response: Any) -> icalendar.Calendar:
    assert response.status == 200, response.body
    return icalendar.Calendar.from_ical(response.body)


def _unescaped(value: Any) -> str:
    """RFC 5545 TEXT read back (icalendar leaves X- properties as they came)."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], str(value))


def _events(calendar: icalendar.Calendar) -> dict[str, Any]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


# --- calendar.ics ---------------------------------------------------------------------------------


def test_the_calendar_is_rfc_5545_with_every_session(api, berlin):
    response = _get(api, f"/v1/agendas/{berlin['id']}/calendar.ics")
    calendar = _calendar(response)

    assert response.header("Content-Type") == "text/calendar; charset=utf-8"
    text = response.body.decode()
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert max(len(line.encode()) for line in text.split("\r\n")) <= 75
    assert {key: str(calendar[key]) for key in ("VERSION", "PRODID", "CALSCALE", "X-WR-TIMEZONE")} == {
        "VERSION": "2.0",
        "PRODID": "-//Agenda API//Agenda API v1//EN",
        "CALSCALE": "GREGORIAN",
        "X-WR-TIMEZONE": "Europe/Berlin",
    }
    # icalendar keeps X- properties as sent: read as the TEXT they are, the name comes back whole.
    assert _unescaped(calendar["X-WR-CALNAME"]) == "Herbst; Conf, 2026"
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Berlin"
    sessions = berlin["sessions"]
    events = _events(calendar)
    assert sorted(events) == sorted(f"{s['id']}@agenda-api" for s in sessions.values())
    before = events[f"{sessions['before']['id']}@agenda-api"]
    assert {
        "summary": str(before["SUMMARY"]),
        "status": str(before["STATUS"]),
        "location": str(before["LOCATION"]),
        "description": str(before["DESCRIPTION"]),
        "url": str(before["URL"]),
        "categories": [str(c) for c in before["CATEGORIES"].cats],
        "sequence": int(before["SEQUENCE"]),
        "last_modified": before.decoded("LAST-MODIFIED"),
        "dtstamp": before.decoded("DTSTAMP"),
    } == {
        "summary": "Before the change",
        "status": "CONFIRMED",
        "location": "Saal 1",
        "description": "Line one; line two, with a comma.\nNext line \\ done\n\nSpeakers: Ada Lovelace, Bob",
        "url": sessions["before"]["url"],
        "categories": ["Cloud, Ops"],
        "sequence": 0,
        "last_modified": datetime.fromisoformat(sessions["before"]["updated_at"]).replace(microsecond=0),
        "dtstamp": datetime.fromisoformat(sessions["before"]["updated_at"]).replace(microsecond=0),
    }
    after = events[f"{sessions['after']['id']}@agenda-api"]
    assert "CATEGORIES" not in after and str(after["DESCRIPTION"]) == "Speakers: Bob"
    assert "ada@example.com" not in text  # what only members see stays out, even for members' reads


def test_cancelled_sessions_stay_with_status_cancelled(api, berlin):
    events = _events(_calendar(_get(api, f"/v1/agendas/{berlin['id']}/calendar.ics")))

    cancelled = events[f"{berlin['sessions']['cancelled']['id']}@agenda-api"]
    assert str(cancelled["STATUS"]) == "CANCELLED" and "LOCATION" not in cancelled


def test_wall_times_are_local_and_right_across_the_end_of_summer_time(api, berlin):
    text = _get(api, f"/v1/agendas/{berlin['id']}/calendar.ics").body.decode()
    events = _events(icalendar.Calendar.from_ical(text))
    sessions = berlin["sessions"]

    before = events[f"{sessions['before']['id']}@agenda-api"]
    after = events[f"{sessions['after']['id']}@agenda-api"]
    assert "DTSTART;TZID=Europe/Berlin:20261024T100000" in text
    assert "DTSTART;TZID=Europe/Berlin:20261026T100000" in text
    assert "DTEND;TZID=Europe/Berlin:20261026T113000" in text
    for event, day, utc_hour in ((before, 24, 8), (after, 26, 9)):
        start = event.decoded("DTSTART")
        assert (start.date().day, start.hour, start.minute) == (day, 10, 0)
        assert start.astimezone(UTC) == datetime(2026, 10, day, utc_hour, tzinfo=UTC)
    # The calendar's own VTIMEZONE says the same (not only the client's copy of the tz database).
    own = icalendar.Calendar.from_ical(text).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    for moment in (datetime(2026, 10, 24, 10), datetime(2026, 10, 26, 10)):
        assert moment.replace(tzinfo=own).utcoffset() == moment.replace(tzinfo=BERLIN).utcoffset()


def test_uids_stay_and_the_sequence_rises_when_a_session_changes(api, owner, berlin, monkeypatch):
    from agenda_core.db import ids
    from agenda_core.services import content

    session = berlin["sessions"]["before"]
    path = f"/v1/agendas/{berlin['id']}/calendar.ics"
    first = _events(_calendar(_get(api, path)))[f"{session['id']}@agenda-api"]
    later = ids.utcnow() + timedelta(minutes=3)  # no sleeping: the edit is dated later
    monkeypatch.setattr(content, "utcnow", lambda: later)

    changed = api.request(
        "PATCH",
        content_path(berlin["id"], "sessions", session["id"]),
        json_body={"title": "Renamed"},
        headers=owner["headers"],
    )
    second = _events(_calendar(_get(api, path)))[f"{session['id']}@agenda-api"]

    assert changed.status == 200, changed.body
    assert str(second["UID"]) == str(first["UID"]) and str(second["SUMMARY"]) == "Renamed"
    assert int(second["SEQUENCE"]) > int(first["SEQUENCE"])
    assert second.decoded("LAST-MODIFIED") > first.decoded("LAST-MODIFIED")


@pytest.fixture
def crossed(api: Any, owner: dict[str, Any]) -> dict[str, Any]:
    """Sessions crossing two tracks, two venues and two speakers (one each, in every combination
    that matters): name -> session."""
    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    t1, t2 = create_track(api, owner, aid), create_track(api, owner, aid)
    v1, v2 = create_venue(api, owner, aid), create_venue(api, owner, aid)
    s1, s2 = create_speaker(api, owner, aid), create_speaker(api, owner, aid)
    made = {"agenda": agenda, "t1": t1, "t2": t2, "v1": v1, "v2": v2, "s1": s1, "s2": s2}
    for name, track, venue, speaker, hour in (
        ("a", t1, v1, s1, 9),
        ("b", t1, v2, s2, 10),
        ("c", t2, v1, s2, 11),
        ("d", t2, v2, s1, 12),
    ):
        made[name] = create_session(
            api,
            owner,
            aid,
            title=name,
            track_id=track["id"],
            venue_id=venue["id"],
            speaker_ids=[speaker["id"]],
            start_at=f"2027-03-10T{hour:02d}:00:00+01:00",
            end_at=f"2027-03-10T{hour:02d}:30:00+01:00",
        )
    return made


def test_filters_combine_and_unknown_ids_give_an_empty_calendar(api, owner, crossed):
    path = f"/v1/agendas/{crossed['agenda']['id']}/calendar.ics"

    def titles(query: str) -> list[str]:
        response = _get(api, f"{path}?{query}", owner)
        return sorted(str(event["SUMMARY"]) for event in _calendar(response).walk("VEVENT"))

    ids = {name: crossed[name]["id"] for name in ("a", "b", "c", "d", "t1", "t2", "v1", "v2", "s1", "s2")}
    assert titles("") == ["a", "b", "c", "d"]
    assert titles(f"track_id={ids['t1']}") == ["a", "b"]
    assert titles(f"venue_id={ids['v1']}") == ["a", "c"]
    assert titles(f"speaker_id={ids['s1']}") == ["a", "d"]
    assert titles(f"session_ids={ids['b']},{ids['d']},{ids['b']}") == ["b", "d"]
    assert titles(f"track_id={ids['t2']}&venue_id={ids['v2']}") == ["d"]
    assert titles(f"track_id={ids['t1']}&speaker_id={ids['s2']}&session_ids={ids['a']},{ids['b']}") == ["b"]
    assert titles("track_id=trk_01JQ0000000000000000000000") == []
    assert titles("session_ids=ses_01JQ0000000000000000000000") == []


def test_a_filtered_calendar_has_its_own_etag_whatever_the_order_of_its_ids(api, owner, crossed):
    path = f"/v1/agendas/{crossed['agenda']['id']}/calendar.ics"
    a, b = crossed["a"]["id"], crossed["b"]["id"]

    whole = _get(api, path, owner).header("ETag")
    one_way = _get(api, f"{path}?session_ids={a},{b}", owner)
    other_way = _get(api, f"{path}?session_ids={b},{a},{b}", owner)
    revalidated = _get(api, f"{path}?session_ids={b},{a}", owner, If_None_Match=one_way.header("ETag"))
    unfiltered_tag = _get(api, f"{path}?session_ids={b},{a}", owner, If_None_Match=whole)

    assert len({whole, one_way.header("ETag")}) == 2
    assert one_way.header("ETag") == other_way.header("ETag")
    assert revalidated.status == 304 and unfiltered_tag.status == 200


@pytest.mark.parametrize(
    "query",
    [
        "session_ids=" + ",".join(ONE_HUNDRED_AND_ONE),
        "session_ids=ses_nope",
        "session_ids=",
        "track_id=ven_01JQ0000000000000000000000",
        "speaker_id=spk_1",
    ],
    ids=["101 ids", "malformed id", "empty list", "another kind's id", "short id"],
)
def test_malformed_filters_are_refused(api, owner, crossed, query):
    response = _get(api, f"/v1/agendas/{crossed['agenda']['id']}/calendar.ics?{query}", owner)

    assert response.status == 400, response.body
    assert response.header("Content-Type") == "application/problem+json"
    assert response.json()["code"] == "invalid_query"


def test_one_hundred_session_ids_are_taken(api, owner, crossed):
    ids = [crossed["a"]["id"], *ONE_HUNDRED_AND_ONE[:99]]
    response = _get(
        api, f"/v1/agendas/{crossed['agenda']['id']}/calendar.ics?session_ids={','.join(ids)}", owner
    )

    assert [str(e["SUMMARY"]) for e in _calendar(response).walk("VEVENT")] == ["a"]


# --- schedule.json and schedule.xml --------------------------------------------------------------


def _schedules(api: Any, agenda_id: str, who: dict[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
    as_json = _get(api, f"/v1/agendas/{agenda_id}/schedule.json", who)
    as_xml = _get(api, f"/v1/agendas/{agenda_id}/schedule.xml", who)
    assert as_json.status == 200 and as_xml.status == 200, (as_json.body, as_xml.body)
    assert as_json.header("Content-Type") == "application/json"
    assert as_xml.header("Content-Type") == "application/xml"
    return as_json.json(), etree.fromstring(as_xml.body)


def _validate(document: dict[str, Any], xml: Any, json_schema: Draft6Validator, xsd: etree.XMLSchema) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in json_schema.iter_errors(document)]
    assert errors == []
    assert xsd.validate(xml), xsd.error_log


def _same_content(document: dict[str, Any], xml: Any) -> None:
    """The XML says what the JSON says: the days, rooms, events and their main fields."""
    conference = document["schedule"]["conference"]
    from_json = [
        (
            day["index"],
            room,
            e["guid"],
            e["id"],
            e["title"],
            e["date"],
            e["duration"],
            e["slug"],
            e["track"] or "",
        )
        for day in conference["days"]
        for room, events in day["rooms"].items()
        for e in events
    ]
    from_xml = [
        (
            int(day.get("index")),
            room.get("name"),
            event.get("guid"),
            int(event.get("id")),
            event.findtext("title"),
            event.findtext("date"),
            event.findtext("duration"),
            event.findtext("slug"),
            event.findtext("track"),
        )
        for day in xml.findall("day")
        for room in day.findall("room")
        for event in room.findall("event")
    ]
    assert from_xml == from_json
    assert xml.findtext("version") == document["schedule"]["version"]
    assert xml.findtext("conference/acronym") == conference["acronym"]
    assert [r.get("name") for r in xml.find("day").findall("room")] == [
        r["name"] for r in conference["rooms"]
    ]


def test_the_demo_agenda_validates_and_says_the_same_in_both_formats(api, json_schema, xsd):
    from local.server import DEMO_SESSIONS, seed

    agenda_id, warning = seed(api)
    assert warning is None and agenda_id

    document, xml = _schedules(api, agenda_id)

    _validate(document, xml, json_schema, xsd)
    _same_content(document, xml)
    conference = document["schedule"]["conference"]
    assert (conference["acronym"], conference["title"], conference["daysCount"]) == (
        "democon_2026",
        "DemoCon 2026",
        3,
    )
    assert conference["time_zone_name"] == "Europe/Berlin"
    assert [t["name"] for t in conference["tracks"]] == ["Platform", "Product"]
    assert [r["name"] for r in conference["rooms"]] == ["Main Hall", "Workshop Room"]
    events = [e for day in conference["days"] for room in day["rooms"].values() for e in room]
    assert sorted((e["title"], e["date"][:16], e["type"]) for e in events) == sorted(
        (title, f"{day}T{start}", kind) for title, kind, day, start, *_ in DEMO_SESSIONS
    )
    keynote = next(e for e in events if e["title"] == "Opening keynote")
    assert {k: keynote[k] for k in ("start", "duration", "room", "track", "abstract", "links")} == {
        "start": "09:00",
        "duration": "00:45",
        "room": "Main Hall",
        "track": None,
        "abstract": "",
        "links": [],
    }
    assert [p["name"] for p in keynote["persons"]] == ["Ada Lovelace"]


@pytest.mark.parametrize("fixture", ["pretalx-democon.json", "frab-camp2019.json"])
def test_real_schedules_imported_export_valid_schedules(api, owner, json_schema, xsd, fixture):
    from agenda_core.schemas.auth import session_caller
    from agenda_core.services.schedule_import import import_schedule

    source = json.loads((C3VOC / "examples" / fixture).read_text(encoding="utf-8"))
    report = import_schedule(session_caller(owner["user"]["id"]), source, BASE_URL)
    full = _get(api, f"/v1/agendas/{report.agenda_id}", owner).json()

    document, xml = _schedules(api, report.agenda_id, owner)

    _validate(document, xml, json_schema, xsd)
    _same_content(document, xml)
    events = [e for d in document["schedule"]["conference"]["days"] for r in d["rooms"].values() for e in r]
    shown = [s for s in full["sessions"] if s["status"] != "cancelled"]
    assert sorted(e["title"] for e in events) == sorted(s["title"] for s in shown)
    assert len({e["guid"] for e in events}) == len({e["id"] for e in events}) == len(shown)


@pytest.fixture
def edgy(api: Any, owner: dict[str, Any]) -> dict[str, Any]:
    """An agenda of edge cases: a two-letter slug, a zone the JSON schema's pattern does not take,
    sessions without venue or track, one across midnight, unicode and markup in names, venues
    sharing a name, a venue called like the no-venue room, tracks whose names slugify badly."""
    agenda = create_agenda(
        api,
        owner,
        name='<Edge> & "Cases" — ünïcödé',
        slug="ab",
        start_at="2027-03-10",
        duration=2,
        timezone="Etc/GMT-3",
        description="Ampersands & <tags>\x01 and a bell",
    )
    aid = agenda["id"]
    twin1 = create_venue(api, owner, aid, name="Twin", position=1)
    twin2 = create_venue(api, owner, aid, name="Twin", position=2)
    general = create_venue(api, owner, aid, name="General", position=3)
    digits = create_track(api, owner, aid, name="1st & <best>", color="#00FF00")
    kanji = create_track(api, owner, aid, name="日本語")
    speaker = create_speaker(api, owner, aid, name="Zoë <Z> & Co", bio='Bio with "quotes" & <b>tags</b>')

    def session(title: str, start: str, end: str, **fields: Any) -> dict[str, Any]:
        return create_session(api, owner, aid, title=title, start_at=start, end_at=end, **fields)

    made = {
        "agenda": agenda,
        "digits": digits,
        "kanji": kanji,
        "midnight": session(
            "Night & <Day> ☾",
            "2027-03-10T23:00:00+03:00",
            "2027-03-11T01:30:00+03:00",
            venue_id=twin1["id"],
            track_id=digits["id"],
            speaker_ids=[speaker["id"]],
            description='Ends tomorrow; "quoted", \\ and a very long line ' + "ä" * 120,
        ),
        "nowhere": session("Ohne Ort", "2027-03-10T09:00:00+03:00", "2027-03-10T10:00:00+03:00"),
        "plenary": session(
            "Everyone", "2027-03-11T09:00:00+03:00", "2027-03-11T09:30:00+03:00", plenary=True, kind="keynote"
        ),
        "twin": session(
            "In the other twin",
            "2027-03-11T10:00:00+03:00",
            "2027-03-11T11:00:00+03:00",
            venue_id=twin2["id"],
            track_id=kanji["id"],
            language="ja",
        ),
        "general": session(
            "In General", "2027-03-11T12:00:00+03:00", "2027-03-11T13:00:00+03:00", venue_id=general["id"]
        ),
        "cancelled": session(
            "Gone", "2027-03-11T14:00:00+03:00", "2027-03-11T15:00:00+03:00", status="cancelled"
        ),
    }
    return made


def test_edge_cases_validate_in_both_formats(api, owner, edgy, json_schema, xsd):
    document, xml = _schedules(api, edgy["agenda"]["id"], owner)

    _validate(document, xml, json_schema, xsd)
    _same_content(document, xml)
    conference = document["schedule"]["conference"]
    assert conference["acronym"] == "ab__" and "time_zone_name" not in conference
    assert [r["name"] for r in conference["rooms"]] == ["Twin", "Twin 2", "General", "General 2"]
    # "1st-best" starts with a digit and "日本語" slugifies to nothing: both fall back to the id.
    assert [t["slug"] for t in conference["tracks"]] == [
        "track-" + edgy[name]["id"].removeprefix("trk_").lower() for name in ("digits", "kanji")
    ]
    by_title = {
        e["title"]: (day["index"], e) for day in conference["days"] for r in day["rooms"].values() for e in r
    }
    assert "Gone" not in by_title  # cancelled: not in the frab formats
    day, midnight = by_title["Night & <Day> ☾"]
    assert (day, midnight["start"], midnight["duration"], midnight["room"]) == (1, "23:00", "02:30", "Twin")
    assert midnight["persons"][0]["name"] == "Zoë <Z> & Co" and midnight["track"] == "1st & <best>"
    assert (by_title["Ohne Ort"][1]["room"], by_title["Everyone"][1]["room"]) == ("General 2", "General 2")
    assert by_title["In the other twin"][1]["room"] == "Twin 2"
    assert by_title["In General"][1]["room"] == "General"
    titles = {event.findtext("title") for event in xml.iter("event")}
    assert "Night & <Day> ☾" in titles  # escaped on the wire, parsed back as written
    assert xml.findtext("conference/title") == '<Edge> & "Cases" — ünïcödé'


def test_edge_cases_in_the_calendar(api, owner, edgy):
    response = _get(api, f"/v1/agendas/{edgy['agenda']['id']}/calendar.ics", owner)
    text = response.body.decode()
    events = {str(e["SUMMARY"]): e for e in _calendar(response).walk("VEVENT")}

    assert max(len(line.encode()) for line in text.split("\r\n")) <= 75
    midnight = events["Night & <Day> ☾"]
    assert str(midnight["DESCRIPTION"]).startswith(
        'Ends tomorrow; "quoted", \\ and a very long line ' + "ä" * 120
    )
    assert midnight.decoded("DTEND") - midnight.decoded("DTSTART") == timedelta(hours=2, minutes=30)
    assert str(events["Gone"]["STATUS"]) == "CANCELLED"
    assert "LOCATION" not in events["Ohne Ort"]
    assert _unescaped(_calendar(response)["X-WR-CALDESC"]) == "Ampersands & <tags> and a bell"


def test_what_we_export_imports_back(api, owner, json_schema):
    """API.md §8: the importer reads c3voc schedule.json; ours is one, so it must read it whole."""
    from agenda_core.schemas.auth import session_caller
    from agenda_core.services.schedule_import import import_schedule
    from local.server import seed

    agenda_id, _ = seed(api)
    document = _get(api, f"/v1/agendas/{agenda_id}/schedule.json").json()
    original = _get(api, f"/v1/agendas/{agenda_id}").json()

    report = import_schedule(session_caller(owner["user"]["id"]), document, BASE_URL)
    copy = _get(api, f"/v1/agendas/{report.agenda_id}", owner).json()

    def sessions(full: dict[str, Any]) -> list[tuple[Any, ...]]:
        names = {i["id"]: i["name"] for kind in ("venues", "tracks", "speakers") for i in full[kind]}
        return sorted(
            (
                s["title"],
                s["start_at"],
                s["end_at"],
                s["kind"],
                names.get(s.get("venue_id", "")),
                names.get(s.get("track_id", "")),
                tuple(names[i] for i in s.get("speaker_ids", [])),
            )
            for s in full["sessions"]
        )

    assert sessions(copy) == sessions(original)
    assert (copy["timezone"], copy["start_at"], copy["end_at"]) == (
        original["timezone"],
        original["start_at"],
        original["end_at"],
    )


# --- visibility, ETags, caching, gzip, requests ---------------------------------------------------


@pytest.mark.parametrize("export", EXPORTS)
def test_an_unpublished_agenda_is_for_its_members_only(api, owner, export):
    agenda = create_agenda(api, owner)
    viewer, stranger = sign_up(api), sign_up(api)
    add_member(api, owner, agenda, viewer, "viewer")
    path = f"/v1/agendas/{agenda['id']}/{export}"

    answers = {who: _get(api, path, user) for who, user in (("anonymous", None), ("stranger", stranger))}
    member = _get(api, path, viewer)
    full = _get(api, f"/v1/agendas/{agenda['id']}")

    assert {who: (r.status, r.json()["code"]) for who, r in answers.items()} == {
        "anonymous": (full.status, full.json()["code"]),
        "stranger": (404, "not_found"),
    }
    assert member.status == 200 and member.header("Content-Type") == MEDIA_TYPES[export]
    assert member.header("Cache-Control") == PRIVATE_CACHE
    by_slug = _get(api, f"/v1/agendas/{agenda['slug']}/{export}", viewer)
    assert by_slug.status == 200 and by_slug.body == member.body


@pytest.mark.parametrize("export", EXPORTS)
def test_an_anonymous_read_is_rendered_from_the_snapshot_with_no_dynamodb_request(
    api, owner, berlin, aws_calls, export
):
    path = f"/v1/agendas/{berlin['id']}/{export}"
    member = _get(api, path, owner)
    aws_calls.clear()

    response = _get(api, path)

    assert response.status == 200 and aws_calls == ["s3:GetObject"]
    assert response.header("Cache-Control") == PUBLIC_CACHE
    assert response.header("Content-Type") == MEDIA_TYPES[export]
    assert response.body == member.body  # the same rendering of the same version...
    assert response.header("ETag") != member.header("ETag")  # ...for another audience
    full = _get(api, f"/v1/agendas/{berlin['id']}")
    assert response.header("ETag").startswith(f'"{full.json()["version"]}.')


@pytest.mark.parametrize("export", EXPORTS)
def test_without_a_snapshot_the_export_is_rendered_from_the_table(api, berlin, monkeypatch, export):
    path = f"/v1/agendas/{berlin['id']}/{export}"
    served = _get(api, path)
    from agenda_core.integrations import snapshot_store

    monkeypatch.setattr(snapshot_store, "get", lambda _agenda_id: None)  # not built yet

    rendered = _get(api, path)

    assert rendered.status == 200 and rendered.body == served.body
    assert rendered.header("ETag") == served.header("ETag")


@pytest.mark.parametrize("who", ["anonymous", "member"])
@pytest.mark.parametrize("export", EXPORTS)
def test_revalidation_is_a_304_from_one_small_read(api, owner, berlin, aws_calls, export, who):
    user = owner if who == "member" else None
    path = f"/v1/agendas/{berlin['id']}/{export}"
    first = _get(api, path, user)
    aws_calls.clear()

    again = _get(api, path, user, If_None_Match=first.header("ETag"))

    assert (again.status, again.body, again.header("ETag")) == (304, b"", first.header("ETag"))
    assert again.header("Cache-Control") == (PRIVATE_CACHE if user else PUBLIC_CACHE)
    assert [c for c in aws_calls if c.startswith("dynamodb:")] == ["dynamodb:GetItem"]


@pytest.mark.parametrize("export", EXPORTS)
def test_a_change_changes_every_etag(api, owner, berlin, export):
    path = f"/v1/agendas/{berlin['id']}/{export}"
    before = _get(api, path)
    changed = api.request(
        "PATCH", f"/v1/agendas/{berlin['id']}", json_body={"name": "Renamed"}, headers=owner["headers"]
    )

    after = _get(api, path, If_None_Match=before.header("ETag"))

    assert changed.status == 200
    assert after.status == 200 and after.header("ETag") != before.header("ETag")
    assert b"Renamed" in after.body


def test_each_export_has_its_own_etag(api, berlin):
    tags = {export: _get(api, f"/v1/agendas/{berlin['id']}/{export}").header("ETag") for export in EXPORTS}
    full = _get(api, f"/v1/agendas/{berlin['id']}").header("ETag")

    assert len({*tags.values(), full}) == 4
    crossed = _get(api, f"/v1/agendas/{berlin['id']}/schedule.xml", If_None_Match=tags["schedule.json"])
    assert crossed.status == 200


@pytest.mark.parametrize("who", ["anonymous", "member"])
@pytest.mark.parametrize("export", EXPORTS)
def test_gzip_when_the_client_takes_it(api, owner, berlin, export, who):
    user = owner if who == "member" else None
    path = f"/v1/agendas/{berlin['id']}/{export}"
    plain = _get(api, path, user)

    coded = _get(api, path, user, Accept_Encoding="gzip, br")
    revalidated = _get(api, path, user, Accept_Encoding="gzip", If_None_Match=coded.header("ETag"))
    refused = _get(api, path, user, Accept_Encoding="gzip;q=0")

    assert coded.header("Content-Encoding") == "gzip" and gzip.decompress(coded.body) == plain.body
    assert coded.header("ETag") == plain.header("ETag")[:-1] + '-gzip"'
    assert coded.header("Content-Type") == plain.header("Content-Type") == MEDIA_TYPES[export]
    assert "Accept-Encoding" in coded.header("Vary") and "Authorization" in coded.header("Vary")
    assert revalidated.status == 304 and revalidated.header("ETag") == coded.header("ETag")
    assert refused.header("Content-Encoding") is None and refused.body == plain.body


def test_the_bench_probes_of_the_exports_keep_their_budgets(api, aws, owner, berlin):
    """bench/probes.py's export probes, counted as `make bench` counts them (bench/ddb_requests.py):
    reads one request or none (the snapshot), revalidations one GetItem."""
    from types import SimpleNamespace

    from bench.ddb_requests import count
    from bench.probes_exports import export_probes

    stack = SimpleNamespace(gateway=api, table_names=lambda: (aws["AgendaTable"], aws["IdempotencyTable"]))
    sessions = tuple(session["id"] for session in berlin["sessions"].values())

    rows = count(stack, None, export_probes(f"/v1/agendas/{berlin['id']}", owner["headers"], sessions))

    assert [(row.probe.label, row.verdict()) for row in rows] == [(row.probe.label, "ok") for row in rows]
    assert len(rows) == 11


def test_the_bench_cold_starts_the_exports_function_on_the_anonymous_schedule(api, berlin):
    """bench/coldstart.py's first request of the exports function reaches it, and is answered
    from the snapshot as the bench expects of the read path."""
    from types import SimpleNamespace

    from bench.coldstart import REPRESENTATIVE
    from bench.harness import api_event

    method, path, headers, body = REPRESENTATIVE["ExportsFunction"](SimpleNamespace(agenda_id=berlin["id"]))

    function_id, event = api_event(api, method, path, headers=headers, json_body=body)

    assert (function_id, event["resource"]) == ("ExportsFunction", "/v1/agendas/{agenda_id}/schedule.json")
    assert api.request(method, path, headers=headers).status == 200
