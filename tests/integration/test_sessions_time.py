"""Session times (API.md §1 "times", §4): instants in, the agenda's local offset out, DST-correct;
sessions stay inside the agenda's days in its zone, also when the agenda's days or zone change."""

from __future__ import annotations

import pytest

from tests.builders import content_path, create_agenda, create_session, session_body, sign_up


@pytest.fixture
def owner(api):
    return sign_up(api, name="Owner")


def _post(api, owner, agenda_id, **fields):
    return api.request(
        "POST",
        content_path(agenda_id, "sessions"),
        json_body=session_body(**fields),
        headers=owner["headers"],
    )


def _times(session):
    return session["start_at"], session["end_at"]


def _agenda(api, owner, agenda_id):
    response = api.request("GET", f"/v1/agendas/{agenda_id}", headers=owner["headers"])
    assert response.status == 200
    return response.json()


def _everywhere(api, owner, agenda_id, session_id):
    """The session's times as the item, the list and the full agenda show them."""
    item = api.request(
        "GET", content_path(agenda_id, "sessions", session_id), headers=owner["headers"]
    ).json()
    listed = api.request("GET", content_path(agenda_id, "sessions"), headers=owner["headers"]).json()[
        "sessions"
    ]
    full = _agenda(api, owner, agenda_id)["sessions"]
    (in_list,) = [s for s in listed if s["id"] == session_id]
    (in_full,) = [s for s in full if s["id"] == session_id]
    assert item == in_list == in_full
    return _times(item)


# --- DST ---------------------------------------------------------------------------------------

DST_CASES = [
    # Europe/Berlin, spring forward 2026-03-29 at 01:00Z (02:00 CET -> 03:00 CEST).
    ("Europe/Berlin", "2026-03-29", "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z",
     "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"),
    ("Europe/Berlin", "2026-03-29", "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00",
     "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"),
    ("Europe/Berlin", "2026-03-29", "2026-03-29T09:30:00+09:00", "2026-03-28T20:30:00-05:00",
     "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"),
    ("Europe/Berlin", "2026-03-29", "2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z",
     "2026-03-29T01:59:59+01:00", "2026-03-29T03:00:00+02:00"),
    # Europe/Berlin, fall back 2026-10-25 at 01:00Z (03:00 CEST -> 02:00 CET): 02:30 happens twice.
    ("Europe/Berlin", "2026-10-25", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z",
     "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"),
    ("Europe/Berlin", "2026-10-25", "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00",
     "2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"),
    ("Europe/Berlin", "2026-10-25", "2026-10-25T00:59:59Z", "2026-10-25T01:00:00Z",
     "2026-10-25T02:59:59+02:00", "2026-10-25T02:00:00+01:00"),
    # America/New_York, spring forward 2026-03-08 at 07:00Z (02:00 EST -> 03:00 EDT).
    ("America/New_York", "2026-03-08", "2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z",
     "2026-03-08T01:30:00-05:00", "2026-03-08T03:30:00-04:00"),
    ("America/New_York", "2026-03-08", "2026-03-08T07:30:00+01:00", "2026-03-08T08:30:00+01:00",
     "2026-03-08T01:30:00-05:00", "2026-03-08T03:30:00-04:00"),
    # America/New_York, fall back 2026-11-01 at 06:00Z (02:00 EDT -> 01:00 EST): 01:30 twice.
    ("America/New_York", "2026-11-01", "2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z",
     "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"),
    ("America/New_York", "2026-11-01", "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00",
     "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "day", "start", "end", "local_start", "local_end"), DST_CASES)
def test_times_come_back_in_the_agendas_offset_on_dst_days(
    api, owner, zone, day, start, end, local_start, local_end
):
    agenda = create_agenda(api, owner, start_at=day, duration=1, timezone=zone)

    created = _post(api, owner, agenda["id"], start_at=start, end_at=end)

    assert created.status == 201, created.body
    assert _times(created.json()) == (local_start, local_end)
    assert _everywhere(api, owner, agenda["id"], created.json()["id"]) == (local_start, local_end)


def test_a_put_and_a_patch_answer_in_the_agendas_offset_too(api, owner):
    agenda = create_agenda(api, owner, start_at="2026-10-25", duration=1, timezone="Europe/Berlin")
    session = create_session(
        api, owner, agenda["id"], start_at="2026-10-25T00:00:00Z", end_at="2026-10-25T00:30:00Z"
    )
    path = content_path(agenda["id"], "sessions", session["id"])

    put = api.request(
        "PUT",
        path,
        json_body=session_body(
            title="t", start_at="2026-10-25T01:15:00Z", end_at="2026-10-25T10:00:00-05:00"
        ),
        headers=owner["headers"],
    )
    patch = api.request(
        "PATCH", path, json_body={"start_at": "2026-10-25T00:45:00Z"}, headers=owner["headers"]
    )

    assert _times(session) == ("2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00")
    assert _times(put.json()) == ("2026-10-25T02:15:00+01:00", "2026-10-25T16:00:00+01:00")
    assert _times(patch.json()) == ("2026-10-25T02:45:00+02:00", "2026-10-25T16:00:00+01:00")


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("2027-03-10T09:00:00.000Z", "2027-03-10T10:00:00+01:00"),  # a zero fraction is a whole second
        ("2027-03-10t09:00:00z", "2027-03-10T10:00:00+01:00"),  # RFC 3339 allows lower case t and z
        ("2027-03-10T09:00:00-00:00", "2027-03-10T10:00:00+01:00"),  # "offset unknown", still UTC
        ("2027-03-10T23:29:00+14:00", "2027-03-10T10:29:00+01:00"),
        ("2027-03-09T22:00:00-11:00", "2027-03-10T10:00:00+01:00"),
    ],
)
def test_any_rfc3339_offset_is_accepted(api, owner, sent, shown):
    agenda = create_agenda(api, owner)  # 2027-03-10, 3 days, Europe/Berlin

    created = _post(api, owner, agenda["id"], start_at=sent, end_at="2027-03-10T12:00:00+01:00")

    assert created.status == 201, created.body
    assert created.json()["start_at"] == shown


# --- local days ----------------------------------------------------------------------------------


def test_a_session_across_local_midnight_belongs_to_the_day_it_starts(api, owner):
    agenda = create_agenda(api, owner, start_at="2026-06-10", duration=3, timezone="Europe/Berlin")
    aid = agenda["id"]
    # 22:30Z on the 10th is already the 11th in Berlin; 21:30Z is still the 10th.
    late = create_session(api, owner, aid, start_at="2026-06-10T21:30:00Z", end_at="2026-06-10T23:00:00Z")
    after_midnight = create_session(
        api, owner, aid, start_at="2026-06-10T22:30:00Z", end_at="2026-06-10T23:30:00Z"
    )

    def day(date):
        page = api.request(
            "GET", content_path(aid, "sessions") + f"?day={date}", headers=owner["headers"]
        ).json()
        return [s["id"] for s in page["sessions"]]

    assert _times(late) == ("2026-06-10T23:30:00+02:00", "2026-06-11T01:00:00+02:00")
    assert _times(after_midnight) == ("2026-06-11T00:30:00+02:00", "2026-06-11T01:30:00+02:00")
    assert (day("2026-06-10"), day("2026-06-11"), day("2026-06-12")) == (
        [late["id"]],
        [after_midnight["id"]],
        [],
    )


def test_the_day_filter_uses_the_agendas_zone_west_of_utc(api, owner):
    agenda = create_agenda(api, owner, start_at="2026-03-07", duration=2, timezone="America/New_York")
    # 04:30Z on the 8th is 23:30 on the 7th in New York.
    session = create_session(
        api, owner, agenda["id"], start_at="2026-03-08T04:30:00Z", end_at="2026-03-08T05:30:00Z"
    )

    on_7th = api.request(
        "GET", content_path(agenda["id"], "sessions") + "?day=2026-03-07", headers=owner["headers"]
    )
    on_8th = api.request(
        "GET", content_path(agenda["id"], "sessions") + "?day=2026-03-08", headers=owner["headers"]
    )

    assert session["start_at"] == "2026-03-07T23:30:00-05:00"
    assert [s["id"] for s in on_7th.json()["sessions"]] == [session["id"]]
    assert on_8th.json()["sessions"] == []


EDGE_CASES = [
    # Berlin's 2026-03-29 has 23 hours: [2026-03-28T23:00Z, 2026-03-29T22:00Z).
    ("Europe/Berlin", "2026-03-29", 1, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00",
     "2026-03-28T23:59:59+01:00", "2026-03-30T00:00:01+02:00"),
    # Berlin's 2026-10-25 has 25 hours: [2026-10-24T22:00Z, 2026-10-25T23:00Z).
    ("Europe/Berlin", "2026-10-25", 1, "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z",
     "2026-10-24T21:59:59Z", "2026-10-25T23:00:01Z"),
    # Two days in New York over the spring switch: [2026-03-07T05:00Z, 2026-03-09T04:00Z).
    ("America/New_York", "2026-03-07", 2, "2026-03-07T00:00:00-05:00", "2026-03-09T00:00:00-04:00",
     "2026-03-06T23:59:59-05:00", "2026-03-09T04:00:01Z"),
    ("America/New_York", "2026-11-01", 1, "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z",
     "2026-11-01T03:59:59Z", "2026-11-02T00:00:01-05:00"),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "day", "duration", "first", "last", "too_early", "too_late"), EDGE_CASES)
def test_sessions_must_lie_inside_the_agendas_local_days(
    api, owner, zone, day, duration, first, last, too_early, too_late
):
    agenda = create_agenda(api, owner, start_at=day, duration=duration, timezone=zone)
    aid = agenda["id"]

    early = _post(api, owner, aid, start_at=too_early, end_at=last)
    late = _post(api, owner, aid, start_at=first, end_at=too_late)
    both = _post(api, owner, aid, start_at=too_early, end_at=too_late)
    nothing_changed = _agenda(api, owner, aid)
    whole = _post(api, owner, aid, start_at=first, end_at=last)

    detail = f"must be inside the agenda's days ({day}, {duration} days, {zone})."
    assert [e.status for e in (early, late, both)] == [422, 422, 422]
    assert early.json()["errors"] == [
        {"pointer": "/start_at", "code": "outside_agenda_days", "detail": f"/start_at: {detail}"}
    ]
    assert late.json()["errors"] == [
        {"pointer": "/end_at", "code": "outside_agenda_days", "detail": f"/end_at: {detail}"}
    ]
    assert [e["pointer"] for e in both.json()["errors"]] == ["/start_at", "/end_at"]
    assert nothing_changed["sessions"] == [] and nothing_changed["version"] == agenda["version"]
    assert whole.status == 201, whole.body


def test_put_and_patch_may_not_move_a_session_outside_the_days(api, owner):
    agenda = create_agenda(api, owner, start_at="2026-03-29", duration=1, timezone="Europe/Berlin")
    session = create_session(
        api, owner, agenda["id"], start_at="2026-03-29T10:00:00+02:00", end_at="2026-03-29T11:00:00+02:00"
    )
    path = content_path(agenda["id"], "sessions", session["id"])
    version = _agenda(api, owner, agenda["id"])["version"]

    put = api.request(
        "PUT",
        path,
        json_body=session_body(start_at="2026-03-28T23:59:59+01:00", end_at="2026-03-29T11:00:00+02:00"),
        headers=owner["headers"],
    )
    patch_end = api.request(
        "PATCH", path, json_body={"end_at": "2026-03-29T22:00:01Z"}, headers=owner["headers"]
    )
    patch_both = api.request(
        "PATCH",
        path,
        json_body={"start_at": "2026-03-30T10:00:00+02:00", "end_at": "2026-03-30T11:00:00+02:00"},
        headers=owner["headers"],
    )

    assert [(e["pointer"], e["code"]) for e in put.json()["errors"]] == [("/start_at", "outside_agenda_days")]
    assert [(e["pointer"], e["code"]) for e in patch_end.json()["errors"]] == [
        ("/end_at", "outside_agenda_days")
    ]
    assert [(e["pointer"], e["code"]) for e in patch_both.json()["errors"]] == [
        ("/start_at", "outside_agenda_days"),
        ("/end_at", "outside_agenda_days"),
    ]
    assert api.request("GET", path, headers=owner["headers"]).json() == session
    assert _agenda(api, owner, agenda["id"])["version"] == version


# --- the agenda's zone and days change ---------------------------------------------------------


@pytest.fixture
def berlin(api, owner):
    """2026-06-10 for three days in Berlin (+02:00), with a session on each of the outer days."""
    agenda = create_agenda(api, owner, start_at="2026-06-10", duration=3, timezone="Europe/Berlin")
    first = create_session(
        api, owner, agenda["id"], start_at="2026-06-10T08:00:00+02:00", end_at="2026-06-10T09:00:00+02:00"
    )
    last = create_session(
        api, owner, agenda["id"], start_at="2026-06-12T18:00:00+02:00", end_at="2026-06-12T19:00:00+02:00"
    )
    return {"agenda": _agenda(api, owner, agenda["id"]), "first": first, "last": last}


def test_a_new_time_zone_keeps_the_instants_and_shows_the_new_offset(api, owner, berlin):
    aid = berlin["agenda"]["id"]

    changed = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"timezone": "Europe/London"}, headers=owner["headers"]
    )

    assert changed.status == 200, changed.body
    assert (changed.json()["timezone"], changed.json()["version"]) == (
        "Europe/London",
        berlin["agenda"]["version"] + 1,
    )
    assert _everywhere(api, owner, aid, berlin["first"]["id"]) == (
        "2026-06-10T07:00:00+01:00",
        "2026-06-10T08:00:00+01:00",
    )
    assert _everywhere(api, owner, aid, berlin["last"]["id"]) == (
        "2026-06-12T17:00:00+01:00",
        "2026-06-12T18:00:00+01:00",
    )
    # New writes answer in the new zone, and the day filter follows it.
    new = create_session(api, owner, aid, start_at="2026-06-11T22:30:00Z", end_at="2026-06-11T23:30:00Z")
    assert _times(new) == ("2026-06-11T23:30:00+01:00", "2026-06-12T00:30:00+01:00")
    on_11th = api.request(
        "GET", content_path(aid, "sessions") + "?day=2026-06-11", headers=owner["headers"]
    ).json()
    assert [s["id"] for s in on_11th["sessions"]] == [new["id"]]


def test_a_time_zone_that_would_push_sessions_outside_the_days_is_refused(api, owner, berlin):
    aid = berlin["agenda"]["id"]

    # 08:00 in Berlin on the 10th is 02:00 in New York: inside. 18:00 on the 12th is 12:00: inside.
    # But in Tokyo the first is 15:00 on the 10th and the last 01:00 on the 13th: outside.
    tokyo = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"timezone": "Asia/Tokyo"}, headers=owner["headers"]
    )
    # In Honolulu (-10:00) the first is 20:00 on the 9th: outside.
    honolulu = api.request(
        "PATCH",
        f"/v1/agendas/{aid}",
        json_body={"timezone": "Pacific/Honolulu", "name": "Renamed"},
        headers=owner["headers"],
    )

    assert tokyo.status == honolulu.status == 422
    assert tokyo.json()["errors"] == [
        {
            "pointer": "/timezone",
            "code": "sessions_outside_days",
            "detail": "/timezone: 1 session(s) would fall outside the agenda's days; move them first.",
        }
    ]
    assert tokyo.json()["session_ids"] == [berlin["last"]["id"]]
    assert [(e["pointer"], e["code"]) for e in honolulu.json()["errors"]] == [
        ("/timezone", "sessions_outside_days")
    ]
    assert honolulu.json()["session_ids"] == [berlin["first"]["id"]]
    assert _agenda(api, owner, aid) == {**berlin["agenda"]}
    assert _times(
        api.request(
            "GET", content_path(aid, "sessions", berlin["first"]["id"]), headers=owner["headers"]
        ).json()
    ) == _times(berlin["first"])


def test_every_session_outside_is_listed_in_start_order(api, owner, berlin):
    aid = berlin["agenda"]["id"]

    response = api.request(
        "PATCH",
        f"/v1/agendas/{aid}",
        json_body={"start_at": "2026-06-11", "duration": 1},
        headers=owner["headers"],
    )

    assert response.status == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        ("/start_at", "sessions_outside_days")
    ]
    assert response.json()["session_ids"] == [berlin["first"]["id"], berlin["last"]["id"]]
    assert _agenda(api, owner, aid) == berlin["agenda"]


@pytest.mark.parametrize(
    ("patch", "pointer", "outside"),
    [
        ({"duration": 2}, "/duration", "last"),
        ({"start_at": "2026-06-11"}, "/start_at", "first"),
        ({"start_at": "2026-06-09"}, "/start_at", "last"),
    ],
)
def test_shrinking_or_moving_the_days_past_a_session_is_refused(api, owner, berlin, patch, pointer, outside):
    aid = berlin["agenda"]["id"]

    response = api.request("PATCH", f"/v1/agendas/{aid}", json_body=patch, headers=owner["headers"])

    assert response.status == 422
    assert response.header("Content-Type") == "application/problem+json"
    body = response.json()
    assert (body["code"], body["session_ids"]) == ("validation_failed", [berlin[outside]["id"]])
    assert [(e["pointer"], e["code"]) for e in body["errors"]] == [(pointer, "sessions_outside_days")]
    assert _agenda(api, owner, aid) == berlin["agenda"]


def test_changing_the_days_around_the_sessions_is_fine(api, owner, berlin):
    aid = berlin["agenda"]["id"]

    longer = api.request(
        "PATCH",
        f"/v1/agendas/{aid}",
        json_body={"start_at": "2026-06-09", "duration": 5},
        headers=owner["headers"],
    )
    early = create_session(
        api, owner, aid, start_at="2026-06-09T00:00:00+02:00", end_at="2026-06-09T01:00:00+02:00"
    )
    back = api.request(
        "PATCH",
        f"/v1/agendas/{aid}",
        json_body={"start_at": "2026-06-10", "duration": 3},
        headers=owner["headers"],
    )

    assert longer.status == 200
    assert (longer.json()["start_at"], longer.json()["end_at"]) == ("2026-06-09", "2026-06-13")
    assert back.status == 422 and back.json()["session_ids"] == [early["id"]]


def test_a_put_of_the_agenda_is_checked_against_the_sessions_too(api, owner, berlin):
    agenda = berlin["agenda"]
    aid = agenda["id"]
    body = {"name": agenda["name"], "start_at": "2026-06-10", "duration": 3, "timezone": "Asia/Tokyo"}

    refused = api.request("PUT", f"/v1/agendas/{aid}", json_body=body, headers=owner["headers"])
    accepted = api.request(
        "PUT", f"/v1/agendas/{aid}", json_body={**body, "timezone": "Europe/Paris"}, headers=owner["headers"]
    )

    assert refused.status == 422
    assert refused.json()["session_ids"] == [berlin["last"]["id"]]
    assert [e["code"] for e in refused.json()["errors"]] == ["sessions_outside_days"]
    assert accepted.status == 200 and accepted.json()["timezone"] == "Europe/Paris"


def test_a_container_that_remembers_an_old_zone_still_answers_in_the_current_one(
    api, owner, berlin, monkeypatch
):
    """Warm containers remember each agenda's head, zone included (services/agenda_partition.py);
    another container changed the zone. In-process every "container" shares that memory, so plant
    the head from before the change."""
    from agenda_core.services import agenda_partition

    aid = berlin["agenda"]["id"]
    old_head = agenda_partition.head_of(aid).serialize()
    assert old_head["timezone"] == {"S": "Europe/Berlin"}
    api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"timezone": "Europe/London"}, headers=owner["headers"]
    )
    monkeypatch.setitem(agenda_partition._heads, aid, old_head)

    created = _post(api, owner, aid, start_at="2026-06-11T09:00:00Z", end_at="2026-06-11T10:00:00Z")

    monkeypatch.setitem(agenda_partition._heads, aid, old_head)
    replaced = api.request(
        "PUT",
        content_path(aid, "sessions", created.json()["id"]),
        json_body=session_body(start_at="2026-06-11T11:00:00Z", end_at="2026-06-11T12:00:00Z"),
        headers=owner["headers"],
    )

    assert created.status == 201, created.body
    assert _times(created.json()) == ("2026-06-11T10:00:00+01:00", "2026-06-11T11:00:00+01:00")
    assert replaced.status == 200, replaced.body
    assert _times(replaced.json()) == ("2026-06-11T12:00:00+01:00", "2026-06-11T13:00:00+01:00")
