"""Referential integrity and caps of agenda content (API.md §4): sessions reference tracks, venues,
speakers and categories of their own agenda only; what a session uses cannot be deleted; each
agenda holds a bounded number of each kind."""

from __future__ import annotations

import dataclasses

import pytest

from tests.builders import (
    content_path,
    create_agenda,
    create_category,
    create_content,
    create_session,
    create_speaker,
    create_track,
    create_venue,
    session_body,
    sign_up,
)

MISSING = {
    "track_id": "trk_01HZZZZZZZZZZZZZZZZZZZZZZZ",
    "venue_id": "ven_01HZZZZZZZZZZZZZZZZZZZZZZZ",
    "speaker": "spk_01HZZZZZZZZZZZZZZZZZZZZZZZ",
    "category": "cat_01HZZZZZZZZZZZZZZZZZZZZZZZ",
}
NAMES = {"track_id": "track", "venue_id": "venue", "speaker_ids": "speaker", "category_ids": "category"}


@pytest.fixture
def owner(api):
    return sign_up(api, name="Owner")


@pytest.fixture
def here(api, owner):
    """An agenda with one of each referenceable kind (two speakers, two categories)."""
    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    return {
        "agenda": agenda,
        "track": create_track(api, owner, aid),
        "venue": create_venue(api, owner, aid),
        "speakers": [create_speaker(api, owner, aid), create_speaker(api, owner, aid)],
        "categories": [create_category(api, owner, aid), create_category(api, owner, aid)],
    }


@pytest.fixture
def elsewhere(api, owner):
    """Another agenda of the same owner, with its own items of each kind."""
    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    return {
        "track": create_track(api, owner, aid),
        "venue": create_venue(api, owner, aid),
        "speaker": create_speaker(api, owner, aid),
        "category": create_category(api, owner, aid),
    }


def _state(api, owner, agenda_id):
    """Everything a write could have changed: the full agenda (version, every item)."""
    response = api.request("GET", f"/v1/agendas/{agenda_id}", headers=owner["headers"])
    assert response.status == 200
    return response.json()


def _bad_references(here, elsewhere, field, source):
    """(the session fields, the pointer) for one bad reference in ``field``."""
    speaker, category = here["speakers"][0]["id"], here["categories"][0]["id"]
    if source == "missing":
        bad = MISSING[field] if field in MISSING else MISSING[NAMES[field]]
    else:
        bad = elsewhere[NAMES[field]]["id"]
    if field == "speaker_ids":
        return {"speaker_ids": [speaker, bad]}, "/speaker_ids/1"
    if field == "category_ids":
        return {"category_ids": [category, bad]}, "/category_ids/1"
    return {field: bad}, f"/{field}"


def _unknown(pointer):
    name = NAMES[pointer.split("/")[1]]
    return {
        "pointer": pointer,
        "code": "unknown_reference",
        "detail": f"{pointer}: no {name} with this id in this agenda.",
    }


CASES = [(field, source) for field in NAMES for source in ("missing", "elsewhere")]


@pytest.mark.parametrize(("field", "source"), CASES)
def test_a_create_referencing_an_id_not_in_the_agenda_is_a_422_and_writes_nothing(
    api, owner, here, elsewhere, field, source
):
    aid = here["agenda"]["id"]
    fields, pointer = _bad_references(here, elsewhere, field, source)
    before = _state(api, owner, aid)

    response = api.request(
        "POST", content_path(aid, "sessions"), json_body=session_body(**fields), headers=owner["headers"]
    )

    assert response.status == 422
    assert response.header("Content-Type") == "application/problem+json"
    body = response.json()
    assert (body["code"], body["errors"]) == ("validation_failed", [_unknown(pointer)])
    assert _state(api, owner, aid) == before


@pytest.mark.parametrize(("field", "source"), CASES)
def test_a_replace_or_patch_referencing_an_id_not_in_the_agenda_is_a_422_and_changes_nothing(
    api, owner, here, elsewhere, field, source
):
    aid = here["agenda"]["id"]
    session = create_session(
        api, owner, aid, track_id=here["track"]["id"], venue_id=here["venue"]["id"],
        speaker_ids=[s["id"] for s in here["speakers"]], category_ids=[c["id"] for c in here["categories"]],
    )  # fmt: skip
    path = content_path(aid, "sessions", session["id"])
    fields, pointer = _bad_references(here, elsewhere, field, source)
    before = _state(api, owner, aid)

    put = api.request("PUT", path, json_body=session_body(**fields), headers=owner["headers"])
    patch = api.request("PATCH", path, json_body=fields, headers=owner["headers"])

    assert (put.status, put.json()["errors"]) == (422, [_unknown(pointer)])
    assert (patch.status, patch.json()["errors"]) == (422, [_unknown(pointer)])
    assert _state(api, owner, aid) == before


def test_every_bad_reference_of_a_request_is_named(api, owner, here):
    aid = here["agenda"]["id"]
    body = session_body(
        track_id=MISSING["track_id"],
        venue_id=here["venue"]["id"],
        speaker_ids=[MISSING["speaker"], here["speakers"][0]["id"]],
        category_ids=[here["categories"][1]["id"], MISSING["category"]],
    )

    response = api.request("POST", content_path(aid, "sessions"), json_body=body, headers=owner["headers"])

    assert response.status == 422
    assert sorted(e["pointer"] for e in response.json()["errors"]) == [
        "/category_ids/1",
        "/speaker_ids/0",
        "/track_id",
    ]
    assert {e["code"] for e in response.json()["errors"]} == {"unknown_reference"}


def test_a_deleted_item_cannot_be_referenced(api, owner, here):
    aid = here["agenda"]["id"]
    track = create_track(api, owner, aid)
    api.request("DELETE", content_path(aid, "tracks", track["id"]), headers=owner["headers"])

    response = api.request(
        "POST",
        content_path(aid, "sessions"),
        json_body=session_body(track_id=track["id"]),
        headers=owner["headers"],
    )

    assert (response.status, response.json()["errors"]) == (422, [_unknown("/track_id")])


@pytest.mark.parametrize("field", ["speaker_ids", "category_ids"])
def test_an_id_listed_twice_is_a_422(api, owner, here, field):
    aid = here["agenda"]["id"]
    one, two = (item["id"] for item in here["speakers" if field == "speaker_ids" else "categories"])
    before = _state(api, owner, aid)

    response = api.request(
        "POST",
        content_path(aid, "sessions"),
        json_body=session_body(**{field: [one, two, one]}),
        headers=owner["headers"],
    )

    assert response.status == 422
    assert response.json()["errors"] == [
        {"pointer": f"/{field}", "code": "duplicate_id", "detail": f"/{field}: lists an id more than once"}
    ]
    assert _state(api, owner, aid) == before


def test_speaker_order_is_kept_as_sent(api, owner, here):
    aid = here["agenda"]["id"]
    extra = [create_speaker(api, owner, aid, name=name) for name in ("Zed", "Amy", "Max")]
    order = [
        extra[0]["id"],
        here["speakers"][1]["id"],
        extra[1]["id"],
        here["speakers"][0]["id"],
        extra[2]["id"],
    ]

    session = create_session(api, owner, aid, speaker_ids=order)
    path = content_path(aid, "sessions", session["id"])
    read = api.request("GET", path, headers=owner["headers"]).json()
    listed = api.request("GET", content_path(aid, "sessions"), headers=owner["headers"]).json()["sessions"][0]
    full = _state(api, owner, aid)["sessions"][0]
    reordered = api.request(
        "PATCH", path, json_body={"speaker_ids": order[::-1]}, headers=owner["headers"]
    ).json()

    assert (
        session["speaker_ids"] == read["speaker_ids"] == listed["speaker_ids"] == full["speaker_ids"] == order
    )
    assert (
        reordered["speaker_ids"]
        == api.request("GET", path, headers=owner["headers"]).json()["speaker_ids"]
        == order[::-1]
    )


# --- deleting what sessions use ------------------------------------------------------------------

USED = [
    ("tracks", "track", lambda item: {"track_id": item["id"]}, lambda: {"track_id": None}),
    ("venues", "venue", lambda item: {"venue_id": item["id"]}, lambda: {"venue_id": None}),
    ("speakers", "speaker", lambda item: {"speaker_ids": [item["id"]]}, lambda: {"speaker_ids": []}),
    ("categories", "category", lambda item: {"category_ids": [item["id"]]}, lambda: {"category_ids": None}),
]


@pytest.mark.parametrize(("plural", "name", "use", "drop"), USED, ids=[u[0] for u in USED])
def test_deleting_something_a_session_uses_is_a_409_listing_the_sessions(api, owner, plural, name, use, drop):
    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    item = create_content(api, owner, aid, plural, {"name": "Used"})
    # Created later but starting earlier: session_ids follow the schedule, not creation.
    later = create_session(
        api, owner, aid, start_at="2027-03-11T10:00:00+01:00", end_at="2027-03-11T11:00:00+01:00", **use(item)
    )
    earlier = create_session(api, owner, aid, status="cancelled", **use(item))  # cancelled still uses it
    create_session(api, owner, aid)  # uses nothing
    path = content_path(aid, plural, item["id"])
    before = _state(api, owner, aid)

    refused = api.request("DELETE", path, headers=owner["headers"])

    assert refused.status == 409
    assert refused.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": f"Sessions still use this {name}; change or delete them first.",
        "instance": path,
        "code": "in_use",
        "request_id": refused.header("X-Request-Id"),
        "session_ids": [earlier["id"], later["id"]],
    }
    assert _state(api, owner, aid) == before

    changed = api.request(
        "PATCH", content_path(aid, "sessions", later["id"]), json_body=drop(), headers=owner["headers"]
    )
    still = api.request("DELETE", path, headers=owner["headers"])
    api.request("DELETE", content_path(aid, "sessions", earlier["id"]), headers=owner["headers"])
    deleted = api.request("DELETE", path, headers=owner["headers"])

    assert changed.status == 200
    assert (still.status, still.json()["session_ids"]) == (409, [earlier["id"]])
    assert deleted.status == 204
    assert api.request("GET", path, headers=owner["headers"]).status == 404


def test_a_session_using_one_speaker_does_not_block_deleting_another(api, owner, here):
    aid = here["agenda"]["id"]
    used, unused = here["speakers"]
    create_session(api, owner, aid, speaker_ids=[used["id"]])

    assert (
        api.request("DELETE", content_path(aid, "speakers", unused["id"]), headers=owner["headers"]).status
        == 204
    )
    assert (
        api.request("DELETE", content_path(aid, "speakers", used["id"]), headers=owner["headers"]).status
        == 409
    )


# --- caps ----------------------------------------------------------------------------------------

CAPS = [
    ("sessions", "max_sessions_per_agenda"),
    ("speakers", "max_speakers_per_agenda"),
    ("tracks", "max_tracks_per_agenda"),
    ("venues", "max_venues_per_agenda"),
    ("categories", "max_categories_per_agenda"),
]


@pytest.fixture
def small_caps(monkeypatch):
    """Every per-agenda cap at 2 (settings are read through content_kinds.get_settings)."""
    from agenda_core.services import content_kinds
    from agenda_core.settings import get_settings

    small = dataclasses.replace(get_settings(), **{setting: 2 for _, setting in CAPS})
    monkeypatch.setattr(content_kinds, "get_settings", lambda: small)


def _body(plural, index):
    return session_body(title=f"S{index}") if plural == "sessions" else {"name": f"N{index}"}


@pytest.mark.parametrize("plural", [plural for plural, _ in CAPS])
def test_an_agenda_holds_a_bounded_number_of_each_kind(api, owner, small_caps, plural):
    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    first = create_content(api, owner, aid, plural, _body(plural, 1))
    headers = {**owner["headers"], "Idempotency-Key": f"second-{plural}"}
    second = api.request("POST", content_path(aid, plural), json_body=_body(plural, 2), headers=headers)
    before = _state(api, owner, aid)

    refused = api.request(
        "POST", content_path(aid, plural), json_body=_body(plural, 3), headers=owner["headers"]
    )
    replay = api.request("POST", content_path(aid, plural), json_body=_body(plural, 2), headers=headers)

    assert second.status == 201
    assert refused.status == 409
    assert refused.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": f"An agenda holds at most 2 {plural}.",
        "instance": content_path(aid, plural),
        "code": f"too_many_{plural}",
        "request_id": refused.header("X-Request-Id"),
    }
    assert (replay.status, replay.json()) == (201, second.json())  # a replay is not a new item
    assert _state(api, owner, aid) == before

    # Deleting frees a place; other agendas have their own.
    assert (
        api.request("DELETE", content_path(aid, plural, first["id"]), headers=owner["headers"]).status == 204
    )
    again = api.request(
        "POST", content_path(aid, plural), json_body=_body(plural, 4), headers=owner["headers"]
    )
    other = create_agenda(api, owner)
    elsewhere = [create_content(api, owner, other["id"], plural, _body(plural, i)) for i in (5, 6)]
    assert again.status == 201 and len(elsewhere) == 2
    full = api.request(
        "POST", content_path(aid, plural), json_body=_body(plural, 7), headers=owner["headers"]
    )
    assert (full.status, full.json()["code"]) == (409, f"too_many_{plural}")


def test_failed_writes_do_not_use_up_the_cap(api, owner, small_caps):
    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    create_session(api, owner, aid)
    for bad in (
        session_body(track_id=MISSING["track_id"]),  # 422 from the transaction
        session_body(start_at="2027-03-09T10:00:00+01:00"),  # 422 outside the days
        session_body(end_at="2027-03-10T09:00:00+01:00"),  # 422 before the transaction
    ):
        assert (
            api.request("POST", content_path(aid, "sessions"), json_body=bad, headers=owner["headers"]).status
            == 422
        )
    session = create_session(api, owner, aid)
    # PUT and PATCH replace, they do not add.
    path = content_path(aid, "sessions", session["id"])
    assert api.request("PUT", path, json_body=session_body(), headers=owner["headers"]).status == 200
    assert api.request("PATCH", path, json_body={"title": "x"}, headers=owner["headers"]).status == 200
    refused = api.request(
        "POST", content_path(aid, "sessions"), json_body=session_body(), headers=owner["headers"]
    )
    assert (refused.status, refused.json()["code"]) == (409, "too_many_sessions")


# --- races -----------------------------------------------------------------------------------------


def _containers(aws, count):
    """``count`` warm containers of the API: one container serves one request at a time."""
    from tests.conftest import new_gateway

    return [new_gateway(aws) for _ in range(count)]


def test_racing_creates_never_exceed_the_cap(api, aws, owner, small_caps, atomic_requests):
    from concurrent.futures import ThreadPoolExecutor

    agenda = create_agenda(api, owner)
    containers = _containers(aws, 6)

    def create(index):
        container = containers[index]
        body = {"name": f"Racer {index}"}
        return container.request(
            "POST", content_path(agenda["id"], "tracks"), json_body=body, headers=owner["headers"]
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(create, range(6)))

    statuses = sorted(r.status for r in responses)
    assert statuses == [201, 201, 409, 409, 409, 409]
    assert {r.json()["code"] for r in responses if r.status == 409} == {"too_many_tracks"}
    listed = api.request("GET", content_path(agenda["id"], "tracks"), headers=owner["headers"]).json()[
        "tracks"
    ]
    assert sorted(t["id"] for t in listed) == sorted(r.json()["id"] for r in responses if r.status == 201)
    assert _state(api, owner, agenda["id"])["version"] == agenda["version"] + 2


def test_a_track_deleted_while_a_session_is_created_with_it_leaves_no_dangling_reference(
    api, aws, owner, atomic_requests
):
    from concurrent.futures import ThreadPoolExecutor

    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    deleter, creator = _containers(aws, 2)
    created_sessions = 0
    for _round in range(6):
        track = create_track(api, owner, aid)
        with ThreadPoolExecutor(max_workers=2) as pool:
            deleted = pool.submit(
                deleter.request, "DELETE", content_path(aid, "tracks", track["id"]), headers=owner["headers"]
            )
            created = pool.submit(
                creator.request,
                "POST",
                content_path(aid, "sessions"),
                json_body=session_body(track_id=track["id"]),
                headers=owner["headers"],
            )
            deleted_response, created_response = deleted.result(), created.result()
        outcome = (deleted_response.status, created_response.status)
        # Either the delete came first (the session's reference is unknown) or the session did
        # (the track is in use); never both through, never a 500.
        assert outcome in {(204, 422), (409, 201)}, (outcome, deleted_response.body, created_response.body)
        created_sessions += outcome == (409, 201)
    full = _state(api, owner, aid)
    track_ids = {t["id"] for t in full["tracks"]}
    assert all(s["track_id"] in track_ids for s in full["sessions"])
    assert len(full["sessions"]) == created_sessions


def test_racing_merge_patches_of_different_fields_both_land(api, aws, owner, atomic_requests):
    from concurrent.futures import ThreadPoolExecutor

    agenda = create_agenda(api, owner)
    first, second = _containers(aws, 2)
    for round_ in range(4):
        track = create_track(api, owner, agenda["id"], name="Before")
        path = content_path(agenda["id"], "tracks", track["id"])
        with ThreadPoolExecutor(max_workers=2) as pool:
            named = pool.submit(
                first.request, "PATCH", path, json_body={"name": f"Named {round_}"}, headers=owner["headers"]
            )
            coloured = pool.submit(
                second.request, "PATCH", path, json_body={"color": "#123456"}, headers=owner["headers"]
            )
            responses = (named.result(), coloured.result())

        assert [r.status for r in responses] == [200, 200]
        after = api.request("GET", path, headers=owner["headers"]).json()
        assert (after["name"], after["color"]) == (f"Named {round_}", "#123456")
