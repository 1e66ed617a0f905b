"""Imports through the API (API.md §8, issue 13 items 4-5): a schedule file uploaded, an import
asked for (202), run off the request path as the table's stream runs it (``pump_streams``: the
import item's INSERT reaches functions/import_runs), and its report read back; re-imports of a
changed schedule that update in place, delete what the schedule dropped, duplicate nothing and
leave hand-made content alone; bad input; a run that fails midway and is completed by the next.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.builders import add_member, create_agenda, create_session, create_venue, ready_file, sign_up

FIXTURES = Path(__file__).resolve().parents[3] / "shared/fixtures/c3voc/examples"
KINDS = ("venues", "tracks", "speakers", "sessions")


def democon() -> dict[str, Any]:
    return dict(json.loads((FIXTURES / "pretalx-democon.json").read_text(encoding="utf-8")))


def events_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        event
        for day in document["schedule"]["conference"]["days"]
        for events in day["rooms"].values()
        for event in events
    ]


@pytest.fixture
def owner(api: Any) -> dict[str, Any]:
    return sign_up(api, name="Importing Organiser")


@pytest.fixture
def agenda(api: Any, owner: dict[str, Any]) -> dict[str, Any]:
    """DemoCon's days (2020-12-14, three days, UTC)."""
    return create_agenda(api, owner, name="DemoCon", start_at="2020-12-14", duration=3, timezone="UTC")


def run_import(
    api: Any, aws: dict[str, str], who: dict[str, Any], agenda_id: str, document: Any, **body: Any
) -> dict[str, Any]:
    """Uploads the document, asks for its import, runs what the stream hands over, and returns the
    import as read back."""
    if isinstance(document, bytes):
        data, content_type = document, "application/xml"
    else:
        data, content_type = json.dumps(document).encode(), "application/json"
    upload = ready_file(api, aws, who, data, content_type, "schedule_import")
    assert upload["status"] == "ready", upload
    started = api.request(
        "POST",
        f"/v1/agendas/{agenda_id}/imports",
        json_body={"upload_id": upload["id"], **body},
        headers=who["headers"],
    )
    assert started.status == 202, started.body
    assert started.json()["status"] == "pending"
    assert started.header("Location") == started.json()["url"]
    api.pump_streams()
    read = api.request("GET", path_of(started.json()["url"]), headers=who["headers"])
    assert read.status == 200, read.body
    return dict(read.json())


def path_of(url: str) -> str:
    """An absolute URL of the API as the in-process gateway takes it."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def full(api: Any, who: dict[str, Any], agenda_id: str) -> dict[str, Any]:
    read = api.request("GET", f"/v1/agendas/{agenda_id}", headers=who["headers"])
    assert read.status == 200, read.body
    return dict(read.json())


def titles(agenda: dict[str, Any]) -> list[str]:
    return sorted(session["title"] for session in agenda["sessions"])


# --- importing, and importing again ----------------------------------------------------------


def test_an_import_fills_the_agenda_and_reports_every_fix(api, aws, owner, agenda):
    document = democon()

    done = run_import(api, aws, owner, agenda["id"], document)

    assert done["status"] == "done", done
    assert done["id"].startswith("imp_") and done["upload_id"].startswith("upl_")
    report = done["report"]
    assert report["created"] == {"venues": 2, "tracks": 2, "speakers": 27, "sessions": 36}
    assert all(report[action] == dict.fromkeys(KINDS, 0) for action in ("updated", "deleted", "refused"))
    assert report["fixes"] == [
        "event offsets are not UTC's: kept the instants: 36 times, e.g. 2020-12-14T09:00:00+01:00",
        "abstract left out (description kept): 36 times, e.g. 'Focused 5thgeneration hardware'",
    ]
    read = full(api, owner, agenda["id"])
    assert titles(read) == sorted(event["title"] for event in events_of(document))
    assert read["name"] == "DemoCon" and read["duration"] == 3  # the agenda's own fields stay
    listed = api.request("GET", f"/v1/agendas/{agenda['id']}/imports", headers=owner["headers"])
    assert listed.status == 200 and [i["id"] for i in listed.json()["imports"]] == [done["id"]]


def test_a_newer_schedule_updates_in_place_and_never_touches_hand_made_content(api, aws, owner, agenda):
    aid = agenda["id"]
    document = democon()
    run_import(api, aws, owner, aid, document)
    # Made by hand between the imports: a venue of the same name as an imported room, a session.
    hand_venue = create_venue(api, owner, aid, name="Gray Room")
    hand = create_session(
        api, owner, aid, title="Hand made", start_at="2020-12-15T20:00:00Z", end_at="2020-12-15T21:00:00Z",
        venue_id=hand_venue["id"],
    )  # fmt: skip
    before = full(api, owner, aid)
    by_title = {s["title"]: s for s in before["sessions"]}
    cursor = before["changes_cursor"]
    # The newer schedule: one title changed, one talk dropped, one new talk.
    newer = copy.deepcopy(document)
    talks = events_of(newer)
    renamed, dropped = talks[0], talks[1]
    old_title = renamed["title"]
    renamed["title"] = "A better title"
    for day in newer["schedule"]["conference"]["days"]:
        for room, events in day["rooms"].items():
            day["rooms"][room] = [e for e in events if e["guid"] != dropped["guid"]]
    added = {**copy.deepcopy(talks[2]), "guid": "0d1b7ef6-0000-4000-8000-00000000a001", "title": "Brand new"}
    newer["schedule"]["conference"]["days"][0]["rooms"]["Gray Room"].append(added)

    again = run_import(api, aws, owner, aid, newer)

    assert again["status"] == "done", again
    report = again["report"]
    assert report["created"] == {"venues": 0, "tracks": 0, "speakers": 0, "sessions": 1}, report
    assert report["updated"] == {"venues": 0, "tracks": 0, "speakers": 0, "sessions": 1}, report
    # Whoever spoke only in the dropped talk is no longer in the schedule either.
    remaining = {person["code"] for event in events_of(newer) for person in event["persons"]}
    gone = len({person["code"] for person in dropped["persons"]} - remaining)
    assert gone == 1
    assert report["deleted"] == {"venues": 0, "tracks": 0, "speakers": gone, "sessions": 1}, report
    assert report["unchanged"] == {"venues": 2, "tracks": 2, "speakers": 27 - gone, "sessions": 34}
    after = full(api, owner, aid)
    assert len(after["sessions"]) == 36 + 1  # 36 imported (one dropped, one new) and the hand-made one
    now = {s["title"]: s for s in after["sessions"]}
    assert now["A better title"]["id"] == by_title[old_title]["id"]  # updated in place
    after_ids = {s["id"] for s in after["sessions"]}
    assert by_title[dropped["title"]]["id"] not in after_ids  # deleted
    assert now["Brand new"]["id"] not in {s["id"] for s in before["sessions"]}  # created
    assert now["Hand made"] == by_title["Hand made"]
    assert now["Hand made"]["id"] == hand["id"]
    assert [v["id"] for v in after["venues"] if v["name"] == "Gray Room"].count(hand_venue["id"]) == 1
    # The change feed saw exactly these three changes, through the commit seam.
    from urllib.parse import urlencode

    feed = f"/v1/agendas/{aid}/changes?{urlencode({'since': cursor, 'per_page': 100})}"
    changes = api.request("GET", feed, headers=owner["headers"]).json()["changes"]
    assert sorted((c["action"], c["type"]) for c in changes) == [
        ("deleted", "session"),
        ("deleted", "speaker"),
        ("upserted", "session"),
        ("upserted", "session"),
    ]
    # The same schedule once more changes nothing.
    third = run_import(api, aws, owner, aid, newer)
    assert (
        third["report"]["created"]
        == third["report"]["updated"]
        == third["report"]["deleted"]
        == dict.fromkeys(KINDS, 0)
    )
    assert full(api, owner, aid)["version"] == after["version"]


def test_an_imported_session_edited_by_hand_is_still_the_schedules(api, aws, owner, agenda):
    aid = agenda["id"]
    document = democon()
    run_import(api, aws, owner, aid, document)
    session = full(api, owner, aid)["sessions"][0]
    fields = {
        k: session[k] for k in ("start_at", "end_at", "kind", "venue_id", "speaker_ids") if k in session
    }
    edited = api.request(
        "PUT",
        f"/v1/agendas/{aid}/sessions/{session['id']}",
        json_body={**fields, "title": "Edited by hand", "status": "cancelled"},
        headers=owner["headers"],
    )
    assert edited.status == 200, edited.body

    again = run_import(api, aws, owner, aid, document)

    assert again["report"]["created"]["sessions"] == 0 and again["report"]["updated"]["sessions"] == 1
    now = {s["id"]: s for s in full(api, owner, aid)["sessions"]}
    assert len(now) == 36
    # The schedule's fields are the schedule's again; what it does not carry stays as set by hand.
    assert now[session["id"]]["title"] == session["title"]
    assert now[session["id"]]["status"] == "cancelled"


def test_a_frab_xml_schedule_imports_like_its_json(api, aws, owner, agenda):
    xml = b"""<?xml version="1.0" encoding="utf-8"?>
<schedule><version>1</version>
  <conference><acronym>democon</acronym><title>DemoCon</title><start>2020-12-14</start>
    <end>2020-12-16</end><days>3</days><time_zone_name>UTC</time_zone_name>
    <track name="Hardware" color="#ff0000"/></conference>
  <day index="1" date="2020-12-14" start="2020-12-14T04:00:00+00:00" end="2020-12-15T03:59:00+00:00">
    <room name="Gray Room" guid="11111111-1111-4111-8111-111111111111">
      <event guid="22222222-2222-4222-8222-222222222222" id="1">
        <room>Gray Room</room><title>Fish &amp; Chips</title><subtitle/><type>Talk</type>
        <date>2020-12-14T10:00:00+00:00</date><start>10:00</start><duration>00:45</duration>
        <abstract/><slug>democon-1-fish</slug><track>Hardware</track><language>en</language>
        <description>Deep fried.</description>
        <persons><person id="7" guid="33333333-3333-4333-8333-333333333333">Ada</person></persons>
      </event>
    </room>
  </day>
</schedule>"""

    done = run_import(api, aws, owner, agenda["id"], xml)

    assert done["status"] == "done", done
    assert done["report"]["created"] == {"venues": 1, "tracks": 1, "speakers": 1, "sessions": 1}
    [session] = full(api, owner, agenda["id"])["sessions"]
    assert (session["title"], session["start_at"], session["end_at"], session["description"]) == (
        "Fish & Chips",
        "2020-12-14T10:00:00+00:00",
        "2020-12-14T10:45:00+00:00",
        "Deep fried.",
    )


# --- bad input -----------------------------------------------------------------------------------


def test_days_outside_the_agenda_are_refused_unless_asked_to_adjust(api, aws, owner):
    short = create_agenda(api, owner, start_at="2020-12-14", duration=1, timezone="UTC")
    document = democon()

    refused = run_import(api, aws, owner, short["id"], document)

    # Refused for its input: nothing imported, the report says why, the agenda is not moved.
    assert (refused["status"], refused["error"]["code"]) == ("failed", "outside_agenda_days")
    assert "adjust_days" in refused["error"]["detail"]
    assert refused["report"]["refused"]["sessions"] == 24  # all but the first day's 12
    assert refused["report"]["created"] == dict.fromkeys(KINDS, 0)
    assert any(
        fix.startswith("event outside the agenda's days: 24 times") for fix in refused["report"]["fixes"]
    )
    assert full(api, owner, short["id"])["duration"] == 1
    assert full(api, owner, short["id"])["sessions"] == []

    adjusted = run_import(api, aws, owner, short["id"], document, adjust_days=True)

    assert adjusted["status"] == "done", adjusted
    assert adjusted["report"]["created"]["sessions"] == 36 and adjusted["report"]["refused"]["sessions"] == 0
    assert "agenda days moved from 2020-12-14 (1 days) to 2020-12-14 (3 days)" in adjusted["report"]["fixes"]
    assert len(full(api, owner, short["id"])["sessions"]) == 36


def test_a_schedule_over_the_caps_fails_and_changes_nothing(api, aws, owner, agenda):
    document = democon()
    template = events_of(document)[0]
    room = document["schedule"]["conference"]["days"][0]["rooms"]["Gray Room"]
    room.extend(
        {**template, "guid": f"00000000-0000-4000-8000-{n:012d}", "title": f"Talk {n}"} for n in range(1000)
    )
    version = full(api, owner, agenda["id"])["version"]

    failed = run_import(api, aws, owner, agenda["id"], document)

    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "too_many_sessions"
    assert failed["report"]["created"] == dict.fromkeys(KINDS, 0)
    assert full(api, owner, agenda["id"])["version"] == version


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ({"not": "a schedule"}, "not_a_schedule"),
        ([1, 2, 3], "not_a_schedule"),
        (b"<schedule><version>1</version></schedule>", "not_a_schedule"),
        (b"<html><body>hello</body></html>", "not_a_schedule"),
    ],
)
def test_a_file_that_is_no_schedule_fails_its_import(api, aws, owner, agenda, document, code):
    failed = run_import(api, aws, owner, agenda["id"], document)

    assert (failed["status"], failed["error"]["code"]) == ("failed", code)
    assert failed["error"]["detail"]
    assert full(api, owner, agenda["id"])["sessions"] == []


def test_who_may_import_and_with_which_upload(api, aws, owner, agenda):
    aid = agenda["id"]
    viewer, stranger = sign_up(api, name="Viewer"), sign_up(api, name="Stranger")
    add_member(api, owner, agenda, viewer, "viewer")
    data = json.dumps(democon()).encode()
    mine = ready_file(api, aws, owner, data, "application/json", "schedule_import")
    theirs = ready_file(api, aws, viewer, data, "application/json", "schedule_import")
    photo_like = ready_file(api, aws, owner, b"{}", "application/json", "schedule_import")
    path = f"/v1/agendas/{aid}/imports"

    def start(who: dict[str, Any], upload_id: str) -> Any:
        return api.request("POST", path, json_body={"upload_id": upload_id}, headers=who["headers"])

    refused = start(viewer, theirs["id"])
    assert (refused.status, refused.json()["code"]) == (403, "insufficient_role")
    hidden = start(stranger, mine["id"])
    assert (hidden.status, hidden.header("Content-Type")) == (404, "application/problem+json")
    other = start(owner, theirs["id"])
    assert other.status == 422 and other.json()["errors"][0]["code"] == "unknown_upload"
    assert start(owner, "upl_01JQ0000000000000000000000").status == 422
    assert api.request("POST", path, json_body={"upload_id": mine["id"]}).status == 401
    # Members read imports; strangers do not see them.
    started = start(owner, photo_like["id"])
    assert started.status == 202
    assert api.request("GET", path_of(started.json()["url"]), headers=viewer["headers"]).status == 200
    assert api.request("GET", path_of(started.json()["url"]), headers=stranger["headers"]).status == 404
    assert api.request("GET", path, headers=stranger["headers"]).status == 404
    unknown = f"{path}/imp_01JQ0000000000000000000000"
    assert api.request("GET", unknown, headers=owner["headers"]).status == 404


# --- faults ------------------------------------------------------------------------------------


def test_a_run_that_fails_midway_reports_what_it_applied_and_the_next_completes_it(
    api, aws, owner, agenda, monkeypatch
):
    from agenda_core.db import commits
    from agenda_core.errors import ServiceUnavailable

    real = commits.commit_changes
    calls = {"n": 0}

    def throttled_after_one(*args: Any, **kwargs: Any) -> Any:
        # DemoCon's 67 writes take two transactions: the second is throttled.
        calls["n"] += 1
        if calls["n"] > 1:
            raise ServiceUnavailable(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(commits, "commit_changes", throttled_after_one)
    document = democon()

    failed = run_import(api, aws, owner, agenda["id"], document)

    assert (failed["status"], failed["error"]["code"]) == ("failed", "service_unavailable")
    applied = failed["report"]["created"]
    assert 0 < sum(applied.values()) < 2 + 2 + 27 + 36
    monkeypatch.setattr(commits, "commit_changes", real)

    completed = run_import(api, aws, owner, agenda["id"], document)

    assert completed["status"] == "done", completed
    assert {k: applied[k] + completed["report"]["created"][k] for k in KINDS} == {
        "venues": 2,
        "tracks": 2,
        "speakers": 27,
        "sessions": 36,
    }
    read = full(api, owner, agenda["id"])
    assert [len(read[kind]) for kind in KINDS] == [2, 2, 27, 36]


DEMOCON_DONE = {
    "created": {"venues": 2, "tracks": 2, "speakers": 27, "sessions": 36},
    **{action: dict.fromkeys(KINDS, 0) for action in ("updated", "deleted", "unchanged", "refused")},
    "fixes": [
        "event offsets are not UTC's: kept the instants: 36 times, e.g. 2020-12-14T09:00:00+01:00",
        "abstract left out (description kept): 36 times, e.g. 'Focused 5thgeneration hardware'",
    ],
}


def test_a_run_whose_finishing_write_fails_is_run_again_and_reports_what_the_import_did(
    api, aws, owner, agenda, monkeypatch
):
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    real = BaseClient._make_api_call
    refused: list[str] = []

    def finish_throttled_once(self: Any, operation_name: str, api_params: Any) -> Any:
        # Above botocore's retries: one raise here is every SDK attempt of the call throttled.
        names = (api_params.get("ExpressionAttributeNames") or {}).values()
        if operation_name == "UpdateItem" and "finished_at" in names and not refused:
            refused.append(api_params["Key"]["pk"]["S"])
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                operation_name,
            )
        return real(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", finish_throttled_once)

    # The stream hands the import over; its run's finishing write fails, the batch fails, and the
    # stream hands it over again.
    done = run_import(api, aws, owner, agenda["id"], democon())

    assert refused == [f"IMPORTS#{agenda['id']}"]
    assert (done["status"], done.get("error"), done["report"]) == ("done", None, DEMOCON_DONE)
    read = full(api, owner, agenda["id"])
    assert [len(read[kind]) for kind in KINDS] == [2, 2, 27, 36]


def test_a_run_killed_midway_is_run_again_and_reports_both_runs_writes(api, aws, owner, agenda, monkeypatch):
    from agenda_core.db import commits

    class Killed(BaseException):
        """The function's time ran out: nothing after it runs, not even the import's own write."""

    real = commits.commit_changes
    calls = {"n": 0}

    def killed_after_one(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1  # DemoCon's 67 writes take two transactions: the run dies at the second
        if calls["n"] == 2:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(commits, "commit_changes", killed_after_one)
    with pytest.raises(Killed):
        run_import(api, aws, owner, agenda["id"], democon())
    assert calls["n"] == 2
    listed = api.request("GET", f"/v1/agendas/{agenda['id']}/imports", headers=owner["headers"]).json()
    (running,) = listed["imports"]
    assert running["status"] == "running"
    assert 0 < len(full(api, owner, agenda["id"])["sessions"]) < 36

    api.pump_streams()

    assert calls["n"] == 3  # the second run wrote the rest in one transaction
    done = api.request("GET", path_of(running["url"]), headers=owner["headers"]).json()
    assert (done["status"], done.get("error"), done["report"]) == ("done", None, DEMOCON_DONE)
    read = full(api, owner, agenda["id"])
    assert [len(read[kind]) for kind in KINDS] == [2, 2, 27, 36]


def test_an_import_handed_over_twice_runs_once(api, aws, owner, agenda):
    from agenda_core.services import imports

    done = run_import(api, aws, owner, agenda["id"], democon())
    version = full(api, owner, agenda["id"])["version"]

    assert imports.run_import(agenda["id"], done["id"]) == "skipped"
    assert full(api, owner, agenda["id"])["version"] == version


@pytest.mark.parametrize(
    ("fixture", "zone", "first_day", "created"),
    [
        (
            "pretalx-democon.json",
            "UTC",
            "2020-12-14",
            {"venues": 2, "tracks": 2, "speakers": 27, "sessions": 36},
        ),
        (
            "frab-camp2019.json",
            "Europe/Berlin",
            "2019-08-21",
            {"venues": 2, "tracks": 7, "speakers": 90, "sessions": 79},
        ),
        ("pretalx-rc3.json", "UTC", "2020-12-27", {"venues": 5, "tracks": 5, "speakers": 56, "sessions": 48}),
    ],
)
def test_the_real_fixtures_import_through_the_api_with_every_fix_reported(
    api, aws, owner, fixture, zone, first_day, created
):
    from agenda_core.schemas.auth import session_caller
    from agenda_core.services.schedule_import import import_schedule

    document = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    one_day = create_agenda(api, owner, start_at=first_day, duration=1, timezone=zone)

    done = run_import(api, aws, owner, one_day["id"], document, adjust_days=True)

    assert done["status"] == "done", done
    assert done["report"]["created"] == created
    # The same fixes as an import into a new agenda notes, less what only a new agenda needs
    # (its slug, its days), plus the days this import moved.
    alone = import_schedule(session_caller(owner["user"]["id"]), document, "http://testserver")
    about_the_agenda = (
        "acronym ",
        "slug ",
        "duration extended",
        "conference end",
        "start moved",
        "no readable",
    )
    expected = [fix for fix in alone.notes if not fix.startswith(about_the_agenda)]
    fixes = [fix for fix in done["report"]["fixes"] if not fix.startswith(about_the_agenda)]
    assert [fix for fix in fixes if not fix.startswith("agenda days moved")] == expected
    assert any(fix.startswith("agenda days moved from") for fix in fixes) == (created["sessions"] > 0)
