"""Schedule conflicts (API.md §4): sessions sharing a venue or a speaker at the same time are saved
but carry ``conflicts`` (members only); publishing a schedule with conflicts is a 409."""

from __future__ import annotations

import pytest

from tests.builders import (
    add_member,
    content_path,
    create_agenda,
    create_session,
    create_speaker,
    create_venue,
    session_body,
    sign_up,
)

DAY = "2027-03-10T{}:00+01:00"  # the first day of agenda_body()'s agenda, in Berlin


def at(start: str, end: str) -> dict[str, str]:
    return {"start_at": DAY.format(start), "end_at": DAY.format(end)}


@pytest.fixture
def owner(api):
    return sign_up(api, name="Owner")


@pytest.fixture
def agenda(api, owner):
    return create_agenda(api, owner)


@pytest.fixture
def room(api, owner, agenda):
    return create_venue(api, owner, agenda["id"], name="Room 1")


@pytest.fixture
def other_room(api, owner, agenda):
    return create_venue(api, owner, agenda["id"], name="Room 2")


def _session(api, who, agenda_id, session_id):
    response = api.request(
        "GET", content_path(agenda_id, "sessions", session_id), headers=who["headers"] if who else None
    )
    assert response.status == 200, response.body
    return response.json()


def _conflicts_of(api, who, agenda_id, session_id):
    return _session(api, who, agenda_id, session_id).get("conflicts", [])


def _full(api, who, agenda_id):
    response = api.request("GET", f"/v1/agendas/{agenda_id}", headers=who["headers"] if who else None)
    assert response.status == 200, response.body
    return response.json()


def _venue_overlap(other, venue_id=None):
    found = {"code": "venue_overlap", "session_id": other["id"]}
    return {**found, "venue_id": venue_id} if venue_id else found


def _speaker_overlap(other, speaker_id):
    return {"code": "speaker_overlap", "session_id": other["id"], "speaker_id": speaker_id}


# --- what conflicts ------------------------------------------------------------------------------


def test_overlapping_sessions_in_one_venue_conflict_and_both_carry_it(api, owner, agenda, room):
    aid = agenda["id"]
    first = create_session(api, owner, aid, venue_id=room["id"], **at("10:00", "11:00"))
    second = create_session(api, owner, aid, venue_id=room["id"], **at("10:30", "11:30"))

    first_read, second_read = _session(api, owner, aid, first["id"]), _session(api, owner, aid, second["id"])

    assert first_read == {**first, "conflicts": [_venue_overlap(second, room["id"])]}
    assert second_read == second  # the write's answer showed the conflict it made, as a GET does
    assert second["conflicts"] == [_venue_overlap(first, room["id"])]
    listed = api.request("GET", content_path(aid, "sessions"), headers=owner["headers"]).json()["sessions"]
    assert listed == [first_read, second_read]
    full = _full(api, owner, aid)
    assert full["sessions"] == [first_read, second_read]
    assert full["conflicts"] == [
        {"code": "venue_overlap", "session_ids": [first["id"], second["id"]], "venue_id": room["id"]}
    ]


def test_sessions_in_different_venues_or_without_one_do_not_conflict(api, owner, agenda, room, other_room):
    aid = agenda["id"]
    sessions = [
        create_session(api, owner, aid, venue_id=room["id"], **at("10:00", "11:00")),
        create_session(api, owner, aid, venue_id=other_room["id"], **at("10:00", "11:00")),
        create_session(api, owner, aid, **at("10:00", "11:00")),
        create_session(api, owner, aid, **at("10:00", "11:00")),  # two venue-less sessions share nothing
    ]

    full = _full(api, owner, aid)

    assert "conflicts" not in full
    assert all("conflicts" not in s for s in full["sessions"])
    assert [_conflicts_of(api, owner, aid, s["id"]) for s in sessions] == [[], [], [], []]


def test_a_speaker_in_two_overlapping_sessions_conflicts_in_any_venues(api, owner, agenda, room, other_room):
    aid = agenda["id"]
    ada, bob, cyd = (create_speaker(api, owner, aid, name=n) for n in ("Ada", "Bob", "Cyd"))
    first = create_session(
        api, owner, aid, venue_id=room["id"], speaker_ids=[bob["id"], ada["id"]], **at("10:00", "11:00")
    )
    # Both Ada and Bob again, listed the other way round, in another room; Cyd is elsewhere.
    second = create_session(
        api,
        owner,
        aid,
        venue_id=other_room["id"],
        speaker_ids=[cyd["id"], ada["id"], bob["id"]],
        **at("10:59", "12:00"),
    )
    third = create_session(api, owner, aid, speaker_ids=[cyd["id"]], **at("12:00", "13:00"))

    # Several speaker clashes of one pair follow the earlier session's speaker order.
    assert _conflicts_of(api, owner, aid, first["id"]) == [
        _speaker_overlap(second, bob["id"]),
        _speaker_overlap(second, ada["id"]),
    ]
    assert _conflicts_of(api, owner, aid, second["id"]) == [
        _speaker_overlap(first, bob["id"]),
        _speaker_overlap(first, ada["id"]),
    ]
    assert _conflicts_of(api, owner, aid, third["id"]) == []  # touching second: no overlap
    assert _full(api, owner, aid)["conflicts"] == [
        {"code": "speaker_overlap", "session_ids": [first["id"], second["id"]], "speaker_id": bob["id"]},
        {"code": "speaker_overlap", "session_ids": [first["id"], second["id"]], "speaker_id": ada["id"]},
    ]


def test_a_shared_venue_and_a_shared_speaker_are_two_conflicts(api, owner, agenda, room):
    aid = agenda["id"]
    ada = create_speaker(api, owner, aid)
    first = create_session(
        api, owner, aid, venue_id=room["id"], speaker_ids=[ada["id"]], **at("10:00", "11:00")
    )
    second = create_session(
        api, owner, aid, venue_id=room["id"], speaker_ids=[ada["id"]], **at("09:00", "10:30")
    )

    # One pair's conflicts sort by code.
    assert _conflicts_of(api, owner, aid, first["id"]) == [
        _speaker_overlap(second, ada["id"]),
        _venue_overlap(second, room["id"]),
    ]
    assert _full(api, owner, aid)["conflicts"] == [  # the earlier session first
        {"code": "speaker_overlap", "session_ids": [second["id"], first["id"]], "speaker_id": ada["id"]},
        {"code": "venue_overlap", "session_ids": [second["id"], first["id"]], "venue_id": room["id"]},
    ]


@pytest.mark.parametrize(
    ("second_start", "second_end", "conflict"),
    [
        ("2027-03-10T10:00:00Z", "2027-03-10T11:00:00Z", False),  # starts as the first ends (11:00+01:00)
        ("2027-03-10T09:59:59Z", "2027-03-10T11:00:00Z", True),  # one second of overlap
        ("2027-03-10T08:00:00Z", "2027-03-10T10:00:00Z", True),  # the same hour, sent in UTC
        ("2027-03-10T09:00:00+01:00", "2027-03-10T10:00:00+01:00", False),  # ends as the first starts
        ("2027-03-10T10:15:00+01:00", "2027-03-10T10:45:00+01:00", True),  # inside the first
        ("2027-03-10T09:00:00+01:00", "2027-03-10T12:00:00+01:00", True),  # around the first
    ],
)
def test_only_a_real_overlap_conflicts_touching_does_not(
    api, owner, agenda, room, second_start, second_end, conflict
):
    aid = agenda["id"]
    first = create_session(api, owner, aid, venue_id=room["id"], **at("10:00", "11:00"))
    second = create_session(api, owner, aid, venue_id=room["id"], start_at=second_start, end_at=second_end)

    expected = [_venue_overlap(second, room["id"])] if conflict else []

    assert _conflicts_of(api, owner, aid, first["id"]) == expected


def test_cancelled_sessions_never_conflict_and_cancelling_resolves(api, owner, agenda, room):
    aid = agenda["id"]
    ada = create_speaker(api, owner, aid)
    first = create_session(
        api, owner, aid, venue_id=room["id"], speaker_ids=[ada["id"]], **at("10:00", "11:00")
    )
    second = create_session(
        api, owner, aid, venue_id=room["id"], speaker_ids=[ada["id"]], **at("10:00", "11:00")
    )
    cancelled = create_session(
        api, owner, aid, venue_id=room["id"], status="cancelled", plenary=True, **at("10:00", "11:00")
    )
    path = content_path(aid, "sessions", second["id"])
    assert len(_conflicts_of(api, owner, aid, first["id"])) == 2

    cancel = api.request("PATCH", path, json_body={"status": "cancelled"}, headers=owner["headers"])

    assert cancel.status == 200 and cancel.json()["status"] == "cancelled"
    assert [_conflicts_of(api, owner, aid, s["id"]) for s in (first, second, cancelled)] == [[], [], []]
    assert "conflicts" not in _full(api, owner, aid)
    assert _full(api, owner, aid)["sessions"][1]["status"] == "cancelled"  # cancelled stays visible

    api.request("PATCH", path, json_body={"status": "confirmed"}, headers=owner["headers"])

    assert _conflicts_of(api, owner, aid, first["id"]) == [
        _speaker_overlap(second, ada["id"]),
        _venue_overlap(second, room["id"]),
    ]


def test_a_plenary_session_is_in_every_venue(api, owner, agenda, room, other_room):
    aid = agenda["id"]
    plenary = create_session(api, owner, aid, plenary=True, **at("10:00", "11:00"))
    in_room = create_session(api, owner, aid, venue_id=room["id"], **at("10:30", "11:30"))
    in_other = create_session(api, owner, aid, venue_id=other_room["id"], **at("09:00", "10:01"))
    nowhere = create_session(api, owner, aid, **at("10:00", "11:00"))  # no venue: in none of them
    after = create_session(api, owner, aid, venue_id=other_room["id"], **at("11:00", "12:00"))  # touches it

    assert _conflicts_of(api, owner, aid, plenary["id"]) == [
        _venue_overlap(in_other, other_room["id"]),
        _venue_overlap(in_room, room["id"]),
    ]
    assert _conflicts_of(api, owner, aid, in_room["id"]) == [_venue_overlap(plenary, room["id"])]
    assert _conflicts_of(api, owner, aid, nowhere["id"]) == []
    assert _conflicts_of(api, owner, aid, after["id"]) == []


def test_two_plenary_sessions_conflict_with_each_other_even_with_a_venue(api, owner, agenda, room):
    aid = agenda["id"]
    first = create_session(api, owner, aid, plenary=True, **at("10:00", "11:00"))
    second = create_session(api, owner, aid, plenary=True, venue_id=room["id"], **at("10:30", "11:30"))

    assert _conflicts_of(api, owner, aid, first["id"]) == [_venue_overlap(second)]
    assert _full(api, owner, aid)["conflicts"] == [
        {"code": "venue_overlap", "session_ids": [first["id"], second["id"]]}
    ]


def test_moving_a_session_away_resolves_its_conflict(api, owner, agenda, room, other_room):
    aid = agenda["id"]
    first = create_session(api, owner, aid, venue_id=room["id"], **at("10:00", "11:00"))
    second = create_session(api, owner, aid, venue_id=room["id"], **at("10:30", "11:30"))
    path = content_path(aid, "sessions", second["id"])

    api.request("PATCH", path, json_body={"venue_id": other_room["id"]}, headers=owner["headers"])
    moved_room = _conflicts_of(api, owner, aid, first["id"])
    api.request(
        "PATCH",
        path,
        json_body={"venue_id": room["id"], "start_at": DAY.format("11:00")},
        headers=owner["headers"],
    )
    moved_time = _conflicts_of(api, owner, aid, first["id"])
    api.request("PATCH", path, json_body={"start_at": DAY.format("10:30")}, headers=owner["headers"])
    back = _conflicts_of(api, owner, aid, first["id"])
    api.request("DELETE", path, headers=owner["headers"])

    assert (moved_room, moved_time, back) == ([], [], [_venue_overlap(second, room["id"])])
    assert _conflicts_of(api, owner, aid, first["id"]) == []


def test_a_sessions_etag_changes_when_another_session_conflicts_with_it(api, owner, agenda, room):
    aid = agenda["id"]
    first = create_session(api, owner, aid, venue_id=room["id"], **at("10:00", "11:00"))
    path = content_path(aid, "sessions", first["id"])
    etag = api.request("GET", path, headers=owner["headers"]).header("ETag")

    create_session(api, owner, aid, venue_id=room["id"], **at("10:30", "11:30"))
    revalidated = api.request("GET", path, headers={**owner["headers"], "If-None-Match": etag})

    assert revalidated.status == 200
    assert len(revalidated.json()["conflicts"]) == 1
    assert revalidated.header("ETag") != etag


def test_list_pages_and_filters_show_conflicts_with_sessions_not_on_the_page(api, owner, agenda, room):
    aid = agenda["id"]
    ada = create_speaker(api, owner, aid)
    first = create_session(api, owner, aid, venue_id=room["id"], **at("10:00", "11:00"))
    second = create_session(
        api, owner, aid, venue_id=room["id"], speaker_ids=[ada["id"]], **at("10:30", "11:30")
    )

    page_one = api.request(
        "GET", content_path(aid, "sessions") + "?per_page=1", headers=owner["headers"]
    ).json()
    page_two = api.request(
        "GET", page_one["pagination"]["next"].removeprefix("http://testserver"), headers=owner["headers"]
    ).json()
    by_speaker = api.request(
        "GET", content_path(aid, "sessions") + f"?speaker_id={ada['id']}", headers=owner["headers"]
    ).json()

    assert page_one["sessions"] == [{**first, "conflicts": [_venue_overlap(second, room["id"])]}]
    assert page_two["sessions"] == [{**second, "conflicts": [_venue_overlap(first, room["id"])]}]
    assert by_speaker["sessions"] == page_two["sessions"]


# --- who sees them -------------------------------------------------------------------------------


@pytest.fixture
def clash(api, owner, agenda, room):
    """A published agenda with two sessions clashing in ``room`` (added after publishing)."""
    aid = agenda["id"]
    published = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"]
    )
    assert published.status == 200
    first = create_session(api, owner, aid, venue_id=room["id"], **at("10:00", "11:00"))
    second = create_session(api, owner, aid, venue_id=room["id"], **at("10:30", "11:30"))
    # The public shapes: without the conflict the second write's answer showed its writer.
    return first, {name: value for name, value in second.items() if name != "conflicts"}


def test_conflicts_may_be_added_to_a_published_agenda_and_members_see_them(api, owner, agenda, room, clash):
    aid = agenda["id"]
    first, second = clash
    viewer = sign_up(api, name="Viewer")
    add_member(api, owner, agenda, viewer, "viewer")

    for member in (owner, viewer):
        assert _conflicts_of(api, member, aid, first["id"]) == [_venue_overlap(second, room["id"])]
        full = _full(api, member, aid)
        assert full["published"] is True
        assert full["conflicts"] == [
            {"code": "venue_overlap", "session_ids": [first["id"], second["id"]], "venue_id": room["id"]}
        ]


def test_the_public_never_sees_conflicts(api, owner, agenda, room, clash):
    aid = agenda["id"]
    first, second = clash
    stranger = sign_up(api, name="Stranger")

    for who in (None, stranger):
        assert _session(api, who, aid, first["id"]) == first
        assert _session(api, who, aid, second["id"]) == second
        listed = api.request("GET", content_path(aid, "sessions"), headers=who["headers"] if who else None)
        assert listed.json()["sessions"] == [first, second]
        full = api.request("GET", f"/v1/agendas/{aid}", headers=who["headers"] if who else None)
        assert "conflicts" not in full.json()
        assert full.json()["sessions"] == [first, second]
        assert b"venue_overlap" not in full.body and b"conflicts" not in listed.body


# --- publishing ----------------------------------------------------------------------------------


def test_publishing_with_conflicts_is_a_409_listing_them_and_nothing_changes(api, owner, agenda, room):
    aid = agenda["id"]
    ada = create_speaker(api, owner, aid)
    first = create_session(
        api, owner, aid, venue_id=room["id"], speaker_ids=[ada["id"]], **at("10:00", "11:00")
    )
    second = create_session(
        api, owner, aid, venue_id=room["id"], speaker_ids=[ada["id"]], **at("10:30", "11:30")
    )
    before = _full(api, owner, aid)

    patch = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"published": True, "name": "Live"}, headers=owner["headers"]
    )
    put = api.request(
        "PUT",
        f"/v1/agendas/{aid}",
        json_body={
            "name": "Live",
            "start_at": agenda["start_at"],
            "duration": 3,
            "timezone": "Europe/Berlin",
            "published": True,
        },
        headers=owner["headers"],
    )

    conflicts = [
        {"code": "speaker_overlap", "session_ids": [first["id"], second["id"]], "speaker_id": ada["id"]},
        {"code": "venue_overlap", "session_ids": [first["id"], second["id"]], "venue_id": room["id"]},
    ]
    for response in (patch, put):
        assert response.status == 409
        assert response.header("Content-Type") == "application/problem+json"
        assert response.json() == {
            "type": "about:blank",
            "title": "Conflict",
            "status": 409,
            "detail": "The schedule has 2 conflict(s); resolve them before publishing.",
            "instance": f"/v1/agendas/{aid}",
            "code": "schedule_conflicts",
            "request_id": response.header("X-Request-Id"),
            "conflicts": conflicts,
        }
    assert _full(api, owner, aid) == before
    assert api.request("GET", f"/v1/agendas/{aid}").status == 404
    assert agenda["id"] not in [a["id"] for a in api.request("GET", "/v1/agendas").json()["agendas"]]


def test_after_resolving_the_conflicts_publishing_works(api, owner, agenda, room, other_room):
    aid = agenda["id"]
    create_session(api, owner, aid, venue_id=room["id"], **at("10:00", "11:00"))
    second = create_session(api, owner, aid, venue_id=room["id"], **at("10:30", "11:30"))
    refused = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"]
    )

    api.request(
        "PATCH",
        content_path(aid, "sessions", second["id"]),
        json_body={"venue_id": other_room["id"]},
        headers=owner["headers"],
    )
    published = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"]
    )

    assert refused.status == 409
    assert published.status == 200 and published.json()["published"] is True
    assert api.request("GET", f"/v1/agendas/{aid}").status == 200
    # Already published: publishing again, or changing something else, needs no conflict check.
    again = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"]
    )
    assert again.status == 200


def test_cancelled_sessions_do_not_block_publishing(api, owner, agenda, room):
    aid = agenda["id"]
    create_session(api, owner, aid, venue_id=room["id"], **at("10:00", "11:00"))
    create_session(api, owner, aid, venue_id=room["id"], status="cancelled", **at("10:00", "11:00"))

    response = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"]
    )

    assert response.status == 200


def test_unpublishing_and_other_changes_ignore_conflicts(api, owner, agenda, room, clash):
    aid = agenda["id"]

    renamed = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"name": "Still live"}, headers=owner["headers"]
    )
    unpublished = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"published": False}, headers=owner["headers"]
    )
    republish = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"]
    )

    assert (renamed.status, unpublished.status) == (200, 200)
    assert (republish.status, republish.json()["code"]) == (409, "schedule_conflicts")


# --- what a write answers ------------------------------------------------------------------------


def _read_as(api, who, agenda_id, session_id):
    response = api.request("GET", content_path(agenda_id, "sessions", session_id), headers=who["headers"])
    assert response.status == 200, response.body
    return response


def test_a_conflicting_write_is_saved_and_its_answer_shows_the_conflict_as_a_get_does(
    api, owner, agenda, room, aws_calls
):
    aid = agenda["id"]
    first = create_session(api, owner, aid, venue_id=room["id"], **at("10:00", "11:00"))
    aws_calls.clear()

    created = api.request(
        "POST",
        content_path(aid, "sessions"),
        json_body=session_body(venue_id=room["id"], **at("10:00", "11:00")),
        headers=owner["headers"],
    )
    writing = [call for call in aws_calls if call.startswith("dynamodb:")]
    read = _read_as(api, owner, aid, created.json()["id"])

    assert created.status == 201
    assert created.json()["conflicts"] == [
        {"code": "venue_overlap", "session_id": first["id"], "venue_id": room["id"]}
    ]
    assert (created.json(), created.header("ETag")) == (read.json(), read.header("ETag"))
    # The bounded extra read: one Query of the agenda's sessions after the commit.
    assert writing == ["dynamodb:TransactWriteItems", "dynamodb:Query"]


def test_replace_and_patch_answers_show_the_conflicts_the_write_leaves(api, owner, agenda, room, other_room):
    aid = agenda["id"]
    ada = create_speaker(api, owner, aid)
    first = create_session(
        api, owner, aid, venue_id=room["id"], speaker_ids=[ada["id"]], **at("10:00", "11:00")
    )
    second = create_session(api, owner, aid, venue_id=other_room["id"], **at("12:00", "13:00"))
    path = content_path(aid, "sessions", second["id"])

    into_clash = api.request(
        "PUT",
        path,
        json_body=session_body(
            title=second["title"], venue_id=room["id"], speaker_ids=[ada["id"]], **at("10:30", "11:30")
        ),
        headers=owner["headers"],
    )
    after_put = _read_as(api, owner, aid, second["id"])
    out_of_the_room = api.request(
        "PATCH", path, json_body={"venue_id": other_room["id"]}, headers=owner["headers"]
    )
    after_patch = _read_as(api, owner, aid, second["id"])
    cancelled = api.request("PATCH", path, json_body={"status": "cancelled"}, headers=owner["headers"])
    after_cancel = _read_as(api, owner, aid, second["id"])

    assert into_clash.json()["conflicts"] == [
        _speaker_overlap(first, ada["id"]),
        _venue_overlap(first, room["id"]),
    ]
    assert out_of_the_room.json()["conflicts"] == [_speaker_overlap(first, ada["id"])]
    assert "conflicts" not in cancelled.json()
    for answer, read in ((into_clash, after_put), (out_of_the_room, after_patch), (cancelled, after_cancel)):
        assert answer.status == 200, answer.body
        assert (answer.json(), answer.header("ETag")) == (read.json(), read.header("ETag"))


def test_a_session_that_cannot_conflict_answers_without_reading_the_others(
    api, owner, agenda, room, aws_calls
):
    """In no venue, not plenary, without speakers: no session can clash with it, so the answer
    needs no Query and still carries the ETag a GET gives."""
    aid = agenda["id"]
    create_session(api, owner, aid, venue_id=room["id"], **at("10:00", "11:00"))
    create_session(api, owner, aid, plenary=True, **at("10:00", "11:00"))
    aws_calls.clear()

    created = api.request(
        "POST",
        content_path(aid, "sessions"),
        json_body=session_body(**at("10:00", "11:00")),
        headers=owner["headers"],
    )
    writing = [call for call in aws_calls if call.startswith("dynamodb:")]
    read = _read_as(api, owner, aid, created.json()["id"])

    assert created.status == 201 and "conflicts" not in created.json()
    assert (created.json(), created.header("ETag")) == (read.json(), read.header("ETag"))
    assert writing == ["dynamodb:TransactWriteItems"]
