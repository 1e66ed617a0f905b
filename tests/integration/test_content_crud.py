"""Agenda content CRUD (API.md §4) for all five resources: create, read, replace, merge-patch,
delete, conditional requests, idempotency, lists and paging, visibility and roles.

The generic behaviour runs once per resource (``RESOURCES`` below); what only one resource has
(speaker emails, session filters, orders) has its own tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.builders import (
    PRIVATE_CACHE,
    PUBLIC_CACHE,
    add_member,
    content_path,
    create_agenda,
    create_api_token,
    create_category,
    create_content,
    create_session,
    create_speaker,
    create_track,
    create_venue,
    sign_up,
)
from tests.conftest import BASE_URL

ETAG = re.compile(r'^"\d+\.[0-9a-f]{12}"$')
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@dataclass(frozen=True)
class Resource:
    """One content resource as these tests drive it."""

    plural: str
    prefix: str
    # (api, owner, agenda) -> (a request with every writable field, the response's fields for it)
    full: Callable[[Any, dict[str, Any], dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]]
    minimal: dict[str, Any]  # only the required fields
    minimal_response: dict[str, Any]  # what the minimal request reads back as (defaults filled in)
    required: tuple[str, ...]  # fields a merge patch may not null
    # (the full response's fields) -> (a merge patch, the fields after it)
    patch: Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]]


def _track_full(api, owner, agenda):
    request = {"name": "Security", "description": "Attacks and defences.", "color": "#AA33Cc", "position": 3}
    return request, {**request, "color": "#aa33cc"}


def _venue_full(api, owner, agenda):
    request = {"name": "Hall A", "description": "Ground floor, left.", "capacity": 400, "position": 1}
    return request, dict(request)


def _category_full(api, owner, agenda):
    request = {"name": "Beginner", "description": "No prior knowledge.", "color": "#00FF00", "position": 0}
    return request, {**request, "color": "#00ff00"}


def _speaker_full(api, owner, agenda):
    request = {
        "name": "Grace Hopper",
        "bio": "Invented the first compiler.",
        "organization": "US Navy",
        "job_title": "Rear Admiral",
        "links": [
            {"title": "Wikipedia", "url": "https://en.wikipedia.org/wiki/Grace_Hopper"},
            {"title": "Home", "url": "http://example.com/grace"},
        ],
        "email": "grace@example.com",
    }
    return request, dict(request)


def _session_full(api, owner, agenda):
    track = create_track(api, owner, agenda["id"])
    venue = create_venue(api, owner, agenda["id"])
    first, second = (create_speaker(api, owner, agenda["id"]) for _ in range(2))
    category = create_category(api, owner, agenda["id"])
    request = {
        "title": "Opening keynote",
        "description": "Welcome, and the year in review.",
        "start_at": "2027-03-10T08:00:00Z",  # sent in UTC, read back in Berlin's +01:00
        "end_at": "2027-03-10T10:30:00+02:00",
        "kind": "keynote",
        "plenary": True,
        "status": "confirmed",
        "track_id": track["id"],
        "venue_id": venue["id"],
        "speaker_ids": [second["id"], first["id"]],
        "category_ids": [category["id"]],
        "language": "de-CH",
    }
    response = {**request, "start_at": "2027-03-10T09:00:00+01:00", "end_at": "2027-03-10T09:30:00+01:00"}
    return request, response


def _patch_dropping(*names: str, **changes: Any) -> Callable[[dict[str, Any]], tuple[dict, dict]]:
    """A merge patch that nulls ``names`` and sets ``changes``, with the fields it leads to."""

    def patch(full: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        after = {k: v for k, v in {**full, **changes}.items() if k not in names}
        return {**dict.fromkeys(names), **changes}, after

    return patch


def _session_patch(full: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    # Reorder the speakers, drop the track and the language, move the end; keep everything else.
    speakers = list(reversed(full["speaker_ids"]))
    patch = {"track_id": None, "language": None, "speaker_ids": speakers, "end_at": "2027-03-10T09:45:00Z"}
    after = {k: v for k, v in full.items() if k not in ("track_id", "language")}
    return patch, {**after, "speaker_ids": speakers, "end_at": "2027-03-10T10:45:00+01:00"}


SESSION_TIMES = {"start_at": "2027-03-10T10:00:00+01:00", "end_at": "2027-03-10T11:00:00+01:00"}

RESOURCES = {
    "tracks": Resource(
        plural="tracks",
        prefix="trk",
        full=_track_full,
        minimal={"name": "Web"},
        minimal_response={"name": "Web"},
        required=("name",),
        patch=_patch_dropping("description", name="Offence", position=9),
    ),
    "venues": Resource(
        plural="venues",
        prefix="ven",
        full=_venue_full,
        minimal={"name": "Hall B"},
        minimal_response={"name": "Hall B"},
        required=("name",),
        patch=_patch_dropping("capacity", description="Upstairs."),
    ),
    "categories": Resource(
        plural="categories",
        prefix="cat",
        full=_category_full,
        minimal={"name": "Advanced"},
        minimal_response={"name": "Advanced"},
        required=("name",),
        patch=_patch_dropping("color", "position", name="Expert"),
    ),
    "speakers": Resource(
        plural="speakers",
        prefix="spk",
        full=_speaker_full,
        minimal={"name": "Ada Lovelace"},
        minimal_response={"name": "Ada Lovelace"},
        required=("name",),
        patch=_patch_dropping("email", "links", job_title="Admiral"),
    ),
    "sessions": Resource(
        plural="sessions",
        prefix="ses",
        full=_session_full,
        minimal={"title": "Lightning talks", **SESSION_TIMES},
        minimal_response={
            "title": "Lightning talks",
            **SESSION_TIMES,
            "kind": "talk",
            "plenary": False,
            "status": "confirmed",
        },
        required=("title", "start_at", "end_at", "kind", "plenary", "status"),
        patch=_session_patch,
    ),
}
PLURALS = list(RESOURCES)


@pytest.fixture
def owner(api):
    return sign_up(api, name="Owner")


@pytest.fixture
def agenda(api, owner):
    return create_agenda(api, owner)  # 2027-03-10, 3 days, Europe/Berlin, unpublished


def _expected(agenda_id: str, plural: str, body: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The whole object: ``fields`` plus what the server adds (taken from ``body``)."""
    return {
        "id": body["id"],
        "url": f"{BASE_URL}/v1/agendas/{agenda_id}/{plural}/{body['id']}",
        **fields,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


def _full_agenda(api, who, agenda_id):
    response = api.request("GET", f"/v1/agendas/{agenda_id}", headers=who["headers"] if who else None)
    assert response.status == 200, response.body
    return response


def _version(api, owner, agenda_id) -> int:
    return int(_full_agenda(api, owner, agenda_id).json()["version"])


def _list(api, who, agenda_id, plural, query=""):
    headers = who["headers"] if who else None
    response = api.request("GET", content_path(agenda_id, plural) + query, headers=headers)
    assert response.status == 200, response.body
    return response.json()


def _create_full(api, owner, agenda, resource):
    request, fields = resource.full(api, owner, agenda)
    response = api.request(
        "POST", content_path(agenda["id"], resource.plural), json_body=request, headers=owner["headers"]
    )
    assert response.status == 201, response.body
    return response, fields


# --- create and read -------------------------------------------------------------------------


@pytest.mark.parametrize("plural", PLURALS)
def test_create_answers_201_with_the_whole_object_location_and_etag(api, owner, agenda, plural):
    resource = RESOURCES[plural]

    response, fields = _create_full(api, owner, agenda, resource)

    body = response.json()
    assert re.fullmatch(rf"{resource.prefix}_[0-9A-HJKMNP-TV-Z]{{26}}", body["id"])
    assert TIMESTAMP.match(body["created_at"])
    assert body == _expected(agenda["id"], plural, body, fields)
    assert body["updated_at"] == body["created_at"]
    assert response.header("Location") == body["url"]
    assert ETAG.match(response.header("ETag"))
    assert response.header("Cache-Control") == PRIVATE_CACHE
    assert response.header("Content-Type") == "application/json"


@pytest.mark.parametrize("plural", PLURALS)
def test_a_minimal_create_fills_in_defaults_and_leaves_empty_fields_out(api, owner, agenda, plural):
    resource = RESOURCES[plural]

    body = create_content(api, owner, agenda["id"], plural, resource.minimal)

    assert body == _expected(agenda["id"], plural, body, resource.minimal_response)


@pytest.mark.parametrize("plural", PLURALS)
def test_get_answers_the_object_with_the_etag_the_write_gave(api, owner, agenda, plural):
    created, _ = _create_full(api, owner, agenda, RESOURCES[plural])
    path = content_path(agenda["id"], plural, created.json()["id"])

    read = api.request("GET", path, headers=owner["headers"])

    assert read.status == 200
    assert read.json() == created.json()
    # The write's ETag is the representation's: a client that kept the 201 can revalidate with it.
    assert read.header("ETag") == created.header("ETag")
    assert read.header("Cache-Control") == PRIVATE_CACHE


@pytest.mark.parametrize("plural", PLURALS)
def test_if_none_match_answers_304_until_the_item_changes(api, owner, agenda, plural):
    created, _ = _create_full(api, owner, agenda, RESOURCES[plural])
    path = content_path(agenda["id"], plural, created.json()["id"])
    etag = api.request("GET", path, headers=owner["headers"]).header("ETag")

    unchanged = api.request("GET", path, headers={**owner["headers"], "If-None-Match": etag})
    listed = api.request("GET", path, headers={**owner["headers"], "If-None-Match": f'"1.abc", {etag}'})
    key = RESOURCES[plural].required[0]
    api.request("PATCH", path, json_body={key: created.json()[key]}, headers=owner["headers"])
    changed = api.request("GET", path, headers={**owner["headers"], "If-None-Match": etag})

    assert (unchanged.status, unchanged.body, unchanged.header("ETag")) == (304, b"", etag)
    assert listed.status == 304
    assert changed.status == 200 and changed.header("ETag") != etag  # even a same-value write is a change
    assert changed.json() == {**created.json(), "updated_at": changed.json()["updated_at"]}


# --- replace ---------------------------------------------------------------------------------


@pytest.mark.parametrize("plural", PLURALS)
def test_put_replaces_and_clears_optional_fields_left_out(api, owner, agenda, plural):
    resource = RESOURCES[plural]
    created, _ = _create_full(api, owner, agenda, resource)
    before = created.json()
    path = content_path(agenda["id"], plural, before["id"])

    replaced = api.request("PUT", path, json_body=resource.minimal, headers=owner["headers"])

    assert replaced.status == 200, replaced.body
    body = replaced.json()
    assert body == {
        **_expected(agenda["id"], plural, before, resource.minimal_response),
        "updated_at": body["updated_at"],
    }
    assert body["updated_at"] >= before["updated_at"]
    assert replaced.header("ETag") != created.header("ETag")
    assert api.request("GET", path, headers=owner["headers"]).json() == body


@pytest.mark.parametrize("plural", PLURALS)
def test_put_on_a_missing_item_is_a_404_and_creates_nothing(api, owner, agenda, plural):
    resource = RESOURCES[plural]
    path = content_path(agenda["id"], plural, f"{resource.prefix}_01HZZZZZZZZZZZZZZZZZZZZZZZ")
    version = _version(api, owner, agenda["id"])

    response = api.request("PUT", path, json_body=resource.minimal, headers=owner["headers"])

    assert response.status == 404
    assert response.json()["code"] == "not_found"
    assert _list(api, owner, agenda["id"], plural)[plural] == []
    assert _version(api, owner, agenda["id"]) == version


# --- merge patch -----------------------------------------------------------------------------


@pytest.mark.parametrize("plural", PLURALS)
def test_patch_is_a_merge_patch_where_null_clears(api, owner, agenda, plural):
    resource = RESOURCES[plural]
    created, fields = _create_full(api, owner, agenda, resource)
    before = created.json()
    patch, after = resource.patch(fields)
    path = content_path(agenda["id"], plural, before["id"])

    response = api.request(
        "PATCH",
        path,
        body=json.dumps(patch),
        headers={**owner["headers"], "Content-Type": "application/merge-patch+json"},
    )

    assert response.status == 200, response.body
    body = response.json()
    assert body == {**_expected(agenda["id"], plural, before, after), "updated_at": body["updated_at"]}
    assert api.request("GET", path, headers=owner["headers"]).json() == body


@pytest.mark.parametrize("plural", PLURALS)
def test_an_empty_patch_changes_nothing_but_the_stamps(api, owner, agenda, plural):
    created, _ = _create_full(api, owner, agenda, RESOURCES[plural])
    path = content_path(agenda["id"], plural, created.json()["id"])

    response = api.request("PATCH", path, json_body={}, headers=owner["headers"])

    assert response.status == 200
    assert response.json() == {**created.json(), "updated_at": response.json()["updated_at"]}


@pytest.mark.parametrize(
    ("plural", "field"), [(plural, field) for plural in PLURALS for field in RESOURCES[plural].required]
)
def test_patch_refuses_null_for_a_required_field_and_changes_nothing(api, owner, agenda, plural, field):
    created, _ = _create_full(api, owner, agenda, RESOURCES[plural])
    path = content_path(agenda["id"], plural, created.json()["id"])
    version = _version(api, owner, agenda["id"])

    response = api.request("PATCH", path, json_body={field: None}, headers=owner["headers"])

    assert response.status == 422
    assert response.header("Content-Type") == "application/problem+json"
    assert response.json()["errors"] == [
        {"pointer": f"/{field}", "code": "invalid_value", "detail": f"/{field}: may not be null"}
    ]
    assert api.request("GET", path, headers=owner["headers"]).json() == created.json()
    assert _version(api, owner, agenda["id"]) == version


# --- delete ----------------------------------------------------------------------------------


@pytest.mark.parametrize("plural", PLURALS)
def test_delete_answers_204_and_the_item_is_gone_everywhere(api, owner, agenda, plural):
    created, _ = _create_full(api, owner, agenda, RESOURCES[plural])
    item_id = created.json()["id"]
    path = content_path(agenda["id"], plural, item_id)

    deleted = api.request("DELETE", path, headers=owner["headers"])
    read = api.request("GET", path, headers=owner["headers"])
    again = api.request("DELETE", path, headers=owner["headers"])
    patch = api.request("PATCH", path, json_body={}, headers=owner["headers"])
    put = api.request("PUT", path, json_body=RESOURCES[plural].minimal, headers=owner["headers"])

    assert (deleted.status, deleted.body) == (204, b"")
    assert (read.status, again.status, patch.status, put.status) == (404, 404, 404, 404)
    assert read.json()["code"] == "not_found"
    assert item_id not in [i["id"] for i in _list(api, owner, agenda["id"], plural)[plural]]
    assert item_id not in [i["id"] for i in _full_agenda(api, owner, agenda["id"]).json()[plural]]


# --- If-Match ----------------------------------------------------------------------------------


@pytest.mark.parametrize("plural", PLURALS)
def test_a_stale_if_match_is_a_412_and_changes_nothing(api, owner, agenda, plural):
    resource = RESOURCES[plural]
    created, _ = _create_full(api, owner, agenda, resource)
    path = content_path(agenda["id"], plural, created.json()["id"])
    stale = created.header("ETag")
    key = resource.required[0]
    first = api.request(
        "PATCH", path, json_body={key: created.json()[key]}, headers={**owner["headers"], "If-Match": stale}
    )
    current = api.request("GET", path, headers=owner["headers"])
    version = _version(api, owner, agenda["id"])

    put = api.request(
        "PUT", path, json_body=resource.minimal, headers={**owner["headers"], "If-Match": stale}
    )
    patch = api.request("PATCH", path, json_body={}, headers={**owner["headers"], "If-Match": stale})
    delete = api.request("DELETE", path, headers={**owner["headers"], "If-Match": stale})
    garbage = api.request("DELETE", path, headers={**owner["headers"], "If-Match": '"not-a-tag"'})

    assert first.status == 200
    assert [r.status for r in (put, patch, delete, garbage)] == [412] * 4
    assert {r.json()["code"] for r in (put, patch, delete, garbage)} == {"precondition_failed"}
    after = api.request("GET", path, headers=owner["headers"])
    assert (after.json(), after.header("ETag")) == (current.json(), current.header("ETag"))
    assert _version(api, owner, agenda["id"]) == version


@pytest.mark.parametrize("plural", PLURALS)
def test_a_current_if_match_lets_writes_through(api, owner, agenda, plural):
    resource = RESOURCES[plural]
    created, _ = _create_full(api, owner, agenda, resource)
    path = content_path(agenda["id"], plural, created.json()["id"])

    put = api.request(
        "PUT",
        path,
        json_body=resource.minimal,
        headers={**owner["headers"], "If-Match": created.header("ETag")},
    )
    # Any representation of the current revision will do, e.g. the one a GET gave.
    read_etag = api.request("GET", path, headers=owner["headers"]).header("ETag")
    patch = api.request("PATCH", path, json_body={}, headers={**owner["headers"], "If-Match": read_etag})
    star = api.request("PATCH", path, json_body={}, headers={**owner["headers"], "If-Match": "*"})
    delete = api.request("DELETE", path, headers={**owner["headers"], "If-Match": star.header("ETag")})

    assert (put.status, patch.status, star.status, delete.status) == (200, 200, 200, 204)


# --- idempotency -----------------------------------------------------------------------------


@pytest.mark.parametrize("plural", PLURALS)
def test_an_idempotency_key_replays_the_first_answer_once_created(api, owner, agenda, plural):
    request, _ = RESOURCES[plural].full(api, owner, agenda)
    path = content_path(agenda["id"], plural)
    headers = {**owner["headers"], "Idempotency-Key": f"create-{plural}"}
    version = _version(api, owner, agenda["id"])

    first = api.request("POST", path, json_body=request, headers=headers)
    replay = api.request("POST", path, json_body=request, headers=headers)
    other_body = api.request("POST", path, json_body=RESOURCES[plural].minimal, headers=headers)

    assert first.status == 201 and first.header("Idempotent-Replayed") is None
    assert (replay.status, replay.json()) == (201, first.json())
    assert replay.header("Idempotent-Replayed") == "true"
    assert (replay.header("Location"), replay.header("ETag")) == (
        first.header("Location"),
        first.header("ETag"),
    )
    assert (other_body.status, other_body.json()["code"]) == (422, "idempotency_key_reused")
    assert _list(api, owner, agenda["id"], plural)[plural] == [first.json()]
    assert _version(api, owner, agenda["id"]) == version + 1  # one write, not two


def test_the_same_key_on_another_agendas_collection_is_another_request(api, owner, agenda):
    other = create_agenda(api, owner)
    headers = {**owner["headers"], "Idempotency-Key": "same-key"}

    here = api.request("POST", content_path(agenda["id"], "tracks"), json_body={"name": "A"}, headers=headers)
    there = api.request("POST", content_path(other["id"], "tracks"), json_body={"name": "A"}, headers=headers)

    assert (here.status, there.status) == (201, 201)
    assert there.header("Idempotent-Replayed") is None
    assert there.json()["url"].startswith(f"{BASE_URL}/v1/agendas/{other['id']}/tracks/")
    assert _list(api, owner, other["id"], "tracks")["tracks"] == [there.json()]


# --- lists -----------------------------------------------------------------------------------


@pytest.mark.parametrize("plural", PLURALS)
def test_pages_cover_the_list_without_gaps_or_repeats(api, owner, agenda, plural):
    resource = RESOURCES[plural]
    created = []
    for index in range(7):
        body = dict(resource.minimal)
        name_field = "title" if plural == "sessions" else "name"
        body[name_field] = f"Item {index}"
        created.append(create_content(api, owner, agenda["id"], plural, body))
    whole = _list(api, owner, agenda["id"], plural, "?per_page=100")

    seen, pages, url = [], [], content_path(agenda["id"], plural) + "?per_page=3"
    while url:
        page = _list(api, owner, agenda["id"], plural, "?" + url.split("?", 1)[1])
        assert page["pagination"]["per_page"] == 3
        pages.append(len(page[plural]))
        seen += page[plural]
        url = page["pagination"]["next"]
        assert url is None or url.startswith(f"{BASE_URL}/v1/agendas/{agenda['id']}/{plural}?")

    assert pages == [3, 3, 1]
    assert seen == whole[plural]
    assert sorted(i["id"] for i in seen) == sorted(i["id"] for i in created)
    assert whole["pagination"] == {"next": None, "per_page": 100}


@pytest.mark.parametrize("plural", PLURALS)
def test_a_tampered_or_foreign_cursor_is_a_400(api, owner, agenda, plural):
    for index in range(3):
        name_field = "title" if plural == "sessions" else "name"
        create_content(
            api, owner, agenda["id"], plural, {**RESOURCES[plural].minimal, name_field: f"N{index}"}
        )
    other_plural = "venues" if plural == "tracks" else "tracks"
    create_content(api, owner, agenda["id"], other_plural, {"name": "x"})
    create_content(api, owner, agenda["id"], other_plural, {"name": "y"})
    other_agenda = create_agenda(api, owner)
    next_url = _list(api, owner, agenda["id"], plural, "?per_page=1")["pagination"]["next"]
    cursor = next_url.split("cursor=")[1]
    foreign_next = _list(api, owner, agenda["id"], other_plural, "?per_page=1")["pagination"]["next"]
    foreign = foreign_next.split("cursor=")[1]

    responses = [
        api.request(
            "GET", f"{content_path(agenda['id'], plural)}?cursor={cursor[:-2]}xx", headers=owner["headers"]
        ),
        api.request("GET", f"{content_path(agenda['id'], plural)}?cursor=%%%", headers=owner["headers"]),
        api.request(
            "GET", f"{content_path(agenda['id'], plural)}?cursor={foreign}", headers=owner["headers"]
        ),
        api.request(
            "GET", f"{content_path(other_agenda['id'], plural)}?cursor={cursor}", headers=owner["headers"]
        ),
    ]

    assert [(r.status, r.json()["code"]) for r in responses] == [(400, "invalid_cursor")] * 4
    # The cursor itself was good: a smaller page size may reuse it (it is bound to the query).
    assert (
        api.request(
            "GET", f"{content_path(agenda['id'], plural)}?cursor={cursor}", headers=owner["headers"]
        ).status
        == 200
    )


@pytest.mark.parametrize(
    ("query", "status"), [("?per_page=0", 400), ("?per_page=101", 400), ("?per_page=x", 400)]
)
def test_per_page_is_bounded(api, owner, agenda, query, status):
    response = api.request("GET", content_path(agenda["id"], "tracks") + query, headers=owner["headers"])

    assert response.status == status
    assert response.json()["code"] == "invalid_query"


def test_tracks_venues_and_categories_sort_by_position_then_name(api, owner, agenda):
    for plural in ("tracks", "venues", "categories"):
        ids = {
            name: create_content(api, owner, agenda["id"], plural, {"name": name, **extra})["id"]
            for name, extra in (
                ("zeta", {}),
                ("Beta", {"position": 2}),
                ("alpha", {"position": 2}),
                ("Omega", {"position": 0}),
                ("Alpha", {}),
                ("gamma", {"position": 10}),
            )
        }
        listed = [i["name"] for i in _list(api, owner, agenda["id"], plural)[plural]]
        full = [i["name"] for i in _full_agenda(api, owner, agenda["id"]).json()[plural]]
        # Positions first (ascending), then the ones without; ties by name ignoring case, then id.
        assert listed == ["Omega", "alpha", "Beta", "gamma", "Alpha", "zeta"], plural
        assert full == listed, plural
        assert [i["id"] for i in _list(api, owner, agenda["id"], plural)[plural]] == [ids[n] for n in listed]


def test_speakers_sort_by_name_ignoring_case(api, owner, agenda):
    for name in ("charlie", "Alice", "bob", "Dave"):
        create_speaker(api, owner, agenda["id"], name=name)

    listed = [s["name"] for s in _list(api, owner, agenda["id"], "speakers")["speakers"]]

    assert listed == ["Alice", "bob", "charlie", "Dave"]
    assert [s["name"] for s in _full_agenda(api, owner, agenda["id"]).json()["speakers"]] == listed


def test_sessions_sort_by_start_then_end_then_id(api, owner, agenda):
    late = create_session(
        api, owner, agenda["id"], start_at="2027-03-11T09:00:00+01:00", end_at="2027-03-11T10:00:00+01:00"
    )
    long = create_session(
        api, owner, agenda["id"], start_at="2027-03-10T09:00:00+01:00", end_at="2027-03-10T12:00:00+01:00"
    )
    # Same instant as `long`'s start, sent in another offset; ends earlier.
    short = create_session(
        api, owner, agenda["id"], start_at="2027-03-10T08:00:00Z", end_at="2027-03-10T09:30:00Z"
    )
    twin = create_session(
        api, owner, agenda["id"], start_at="2027-03-10T09:00:00+01:00", end_at="2027-03-10T12:00:00+01:00"
    )
    early = create_session(
        api, owner, agenda["id"], start_at="2027-03-10T00:00:00+01:00", end_at="2027-03-10T01:00:00+01:00"
    )

    listed = [s["id"] for s in _list(api, owner, agenda["id"], "sessions")["sessions"]]

    assert listed == [early["id"], short["id"], *sorted([long["id"], twin["id"]]), late["id"]]
    assert [s["id"] for s in _full_agenda(api, owner, agenda["id"]).json()["sessions"]] == listed


# --- session filters -------------------------------------------------------------------------


@pytest.fixture
def filtered(api, owner, agenda):
    """Sessions over three days with tracks, venues, speakers and categories to filter on."""
    aid = agenda["id"]
    track_a, track_b = create_track(api, owner, aid), create_track(api, owner, aid)
    venue_a, venue_b = create_venue(api, owner, aid), create_venue(api, owner, aid)
    ada, bob = create_speaker(api, owner, aid), create_speaker(api, owner, aid)
    web, ops = create_category(api, owner, aid), create_category(api, owner, aid)
    s1 = create_session(
        api, owner, aid, start_at="2027-03-10T09:00:00+01:00", end_at="2027-03-10T10:00:00+01:00",
        track_id=track_a["id"], venue_id=venue_a["id"], speaker_ids=[ada["id"]], category_ids=[web["id"]],
    )  # fmt: skip
    s2 = create_session(
        api, owner, aid, start_at="2027-03-10T11:00:00+01:00", end_at="2027-03-10T12:00:00+01:00",
        track_id=track_b["id"], venue_id=venue_a["id"], speaker_ids=[bob["id"], ada["id"]],
        category_ids=[ops["id"], web["id"]],
    )  # fmt: skip
    s3 = create_session(
        api, owner, aid, start_at="2027-03-11T09:00:00+01:00", end_at="2027-03-11T10:00:00+01:00",
        track_id=track_a["id"], venue_id=venue_b["id"], speaker_ids=[bob["id"]],
    )  # fmt: skip
    s4 = create_session(
        api, owner, aid, start_at="2027-03-12T09:00:00+01:00", end_at="2027-03-12T10:00:00+01:00"
    )
    return {
        "track_a": track_a, "track_b": track_b, "venue_a": venue_a, "venue_b": venue_b, "ada": ada, "bob": bob,
        "web": web, "ops": ops, "s1": s1, "s2": s2, "s3": s3, "s4": s4,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("track_id={track_a}", ["s1", "s3"]),
        ("track_id={track_b}", ["s2"]),
        ("venue_id={venue_a}", ["s1", "s2"]),
        ("speaker_id={ada}", ["s1", "s2"]),
        ("speaker_id={bob}", ["s2", "s3"]),
        ("category_id={web}", ["s1", "s2"]),
        ("category_id={ops}", ["s2"]),
        ("day=2027-03-10", ["s1", "s2"]),
        ("day=2027-03-12", ["s4"]),
        ("day=2027-03-13", []),
        ("track_id={track_a}&day=2027-03-11", ["s3"]),
        ("speaker_id={ada}&venue_id={venue_b}", []),
        ("track_id=trk_01HZZZZZZZZZZZZZZZZZZZZZZZ", []),
    ],
)
def test_session_list_filters(api, owner, agenda, filtered, query, expected):
    ids = {name: value["id"] for name, value in filtered.items()}

    page = _list(api, owner, agenda["id"], "sessions", "?" + query.format(**ids))

    assert page == {
        "sessions": [filtered[name] for name in expected],
        "pagination": {"next": None, "per_page": 20},
    }


def test_filtered_pages_keep_the_filter_and_its_cursor_fits_no_other_filter(api, owner, agenda, filtered):
    track = filtered["track_a"]["id"]
    first = _list(api, owner, agenda["id"], "sessions", f"?track_id={track}&per_page=1")
    next_url = first["pagination"]["next"]
    second = api.request("GET", next_url.removeprefix(BASE_URL), headers=owner["headers"]).json()
    cursor = next_url.split("cursor=")[1].split("&")[0]

    other_track = api.request(
        "GET",
        f"{content_path(agenda['id'], 'sessions')}?track_id={filtered['track_b']['id']}&per_page=1&cursor={cursor}",
        headers=owner["headers"],
    )
    no_filter = api.request(
        "GET",
        f"{content_path(agenda['id'], 'sessions')}?per_page=1&cursor={cursor}",
        headers=owner["headers"],
    )
    day_filter = api.request(
        "GET",
        f"{content_path(agenda['id'], 'sessions')}?track_id={track}&day=2027-03-11&per_page=1&cursor={cursor}",
        headers=owner["headers"],
    )

    assert [s["id"] for s in first["sessions"] + second["sessions"]] == [
        filtered["s1"]["id"],
        filtered["s3"]["id"],
    ]
    assert second["pagination"]["next"] is None
    assert [(r.status, r.json()["code"]) for r in (other_track, no_filter, day_filter)] == [
        (400, "invalid_cursor")
    ] * 3


@pytest.mark.parametrize(
    "query", ["track_id=ven_01HZZZZZZZZZZZZZZZZZZZZZZZ", "venue_id=nope", "day=2027-02-30", "day=10.03.2027"]
)
def test_malformed_filters_are_a_400(api, owner, agenda, query):
    response = api.request(
        "GET", f"{content_path(agenda['id'], 'sessions')}?{query}", headers=owner["headers"]
    )

    assert response.status == 400
    assert response.json()["code"] == "invalid_query"


# --- the agenda's version and ETag -----------------------------------------------------------


def test_every_content_write_and_only_a_write_changes_the_agenda_version_and_etag(api, owner, agenda):
    aid = agenda["id"]
    seen: list[tuple[int, str]] = []

    def snapshot() -> tuple[int, str]:
        response = _full_agenda(api, owner, aid)
        return int(response.json()["version"]), response.header("ETag")

    seen.append(snapshot())
    writes: list[Callable[[], Any]] = []
    ids: dict[str, str] = {}

    def post(plural: str, body: dict[str, Any]) -> Callable[[], Any]:
        def run() -> Any:
            response = api.request(
                "POST", content_path(aid, plural), json_body=body, headers=owner["headers"]
            )
            ids[plural] = response.json()["id"]
            return response

        return run

    def item(method: str, plural: str, body: dict[str, Any] | None = None) -> Callable[[], Any]:
        return lambda: api.request(
            method, content_path(aid, plural, ids[plural]), json_body=body, headers=owner["headers"]
        )

    for plural in ("tracks", "venues", "categories", "speakers"):
        writes += [
            post(plural, {"name": "N"}),
            item("PUT", plural, {"name": "M"}),
            item("PATCH", plural, {"name": "O"}),
        ]
    writes += [
        post("sessions", RESOURCES["sessions"].minimal),
        item("PUT", "sessions", RESOURCES["sessions"].minimal),
    ]
    writes += [item("PATCH", "sessions", {"title": "T"}), item("DELETE", "sessions")]
    for plural in ("tracks", "venues", "categories", "speakers"):
        writes.append(item("DELETE", plural))

    for write in writes:
        response = write()
        assert response.status in (200, 201, 204), response.body
        # Reads, 304s, lists and failed writes in between change nothing.
        _list(api, owner, aid, "sessions")
        api.request("GET", f"/v1/agendas/{aid}", headers={**owner["headers"], "If-None-Match": seen[-1][1]})
        api.request("POST", content_path(aid, "tracks"), json_body={"name": ""}, headers=owner["headers"])
        seen.append(snapshot())

    versions = [version for version, _ in seen]
    assert versions == list(range(versions[0], versions[0] + len(writes) + 1))
    assert len({etag for _, etag in seen}) == len(seen)


def test_the_full_agenda_revalidates_with_304_until_content_changes(api, owner, agenda):
    aid = agenda["id"]
    api.request("PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"])
    etag = api.request("GET", f"/v1/agendas/{aid}").header("ETag")

    before = api.request("GET", f"/v1/agendas/{aid}", headers={"If-None-Match": etag})
    create_track(api, owner, aid)
    after = api.request("GET", f"/v1/agendas/{aid}", headers={"If-None-Match": etag})

    assert before.status == 304
    assert after.status == 200 and len(after.json()["tracks"]) == 1


# --- visibility and roles --------------------------------------------------------------------


@pytest.fixture
def stocked(api, owner, agenda):
    """One of each resource in ``agenda``, the session using the others: plural -> object."""
    aid = agenda["id"]
    track, venue = create_track(api, owner, aid), create_venue(api, owner, aid)
    speaker = create_speaker(api, owner, aid, email="secret.speaker@example.com", bio="Public bio.")
    category = create_category(api, owner, aid)
    session = create_session(
        api,
        owner,
        aid,
        track_id=track["id"],
        venue_id=venue["id"],
        speaker_ids=[speaker["id"]],
        category_ids=[category["id"]],
    )
    return {
        "tracks": track,
        "venues": venue,
        "speakers": speaker,
        "categories": category,
        "sessions": session,
    }


def _public(plural: str, item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "email"} if plural == "speakers" else item


def test_anyone_reads_a_published_agendas_content_publicly_cacheable(api, owner, agenda, stocked):
    aid = agenda["id"]
    api.request("PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"])

    for plural, item in stocked.items():
        read = api.request("GET", content_path(aid, plural, item["id"]))
        listed = api.request("GET", content_path(aid, plural))
        by_slug = api.request("GET", content_path(agenda["slug"], plural, item["id"]))

        assert read.status == 200, plural
        assert read.json() == by_slug.json() == _public(plural, item), plural
        assert read.header("Cache-Control") == listed.header("Cache-Control") == PUBLIC_CACHE, plural
        assert ETAG.match(read.header("ETag")), plural
        assert listed.json() == {
            plural: [_public(plural, item)],
            "pagination": {"next": None, "per_page": 20},
        }
        revalidated = api.request(
            "GET", content_path(aid, plural, item["id"]), headers={"If-None-Match": read.header("ETag")}
        )
        assert (revalidated.status, revalidated.header("Cache-Control")) == (304, PUBLIC_CACHE), plural


def test_speaker_email_is_for_members_only(api, owner, agenda, stocked):
    aid = agenda["id"]
    viewer = sign_up(api, name="Viewer")
    add_member(api, owner, agenda, viewer, "viewer")
    api.request("PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"])
    stranger = sign_up(api, name="Stranger")
    speaker = stocked["speakers"]
    path = content_path(aid, "speakers", speaker["id"])

    as_viewer = api.request("GET", path, headers=viewer["headers"])
    as_stranger = api.request("GET", path, headers=stranger["headers"])
    anonymous = api.request("GET", path)

    assert as_viewer.json() == speaker and speaker["email"] == "secret.speaker@example.com"
    assert as_stranger.json() == anonymous.json() == _public("speakers", speaker)
    assert as_viewer.header("ETag") != anonymous.header("ETag")  # two representations, two tags
    for who in (None, stranger):
        listed = _list(api, who, aid, "speakers")["speakers"]
        full = _full_agenda(api, who, aid)
        assert listed == full.json()["speakers"] == [_public("speakers", speaker)]
        assert b"secret.speaker" not in full.body
    # Holding the member's tag does not get the public a 304 of the member's representation.
    cross = api.request("GET", path, headers={"If-None-Match": as_viewer.header("ETag")})
    assert cross.status == 200 and "email" not in cross.json()


def test_an_unpublished_agendas_content_is_a_404_to_anonymous_callers_and_strangers(
    api, owner, agenda, stocked
):
    stranger = sign_up(api, name="Stranger")
    aid = agenda["id"]

    for plural, item in stocked.items():
        for headers in (None, stranger["headers"]):
            for path in (
                content_path(aid, plural, item["id"]),
                content_path(aid, plural),
                content_path(agenda["slug"], plural),
            ):
                response = api.request("GET", path, headers=headers)
                assert (response.status, response.json()["code"]) == (404, "not_found"), (plural, path)
                assert response.json()["detail"] == "No agenda with this id or slug."


def test_viewers_read_but_cannot_write_editors_can(api, owner, agenda, stocked):
    aid = agenda["id"]
    viewer, editor = sign_up(api, name="Viewer"), sign_up(api, name="Editor")
    add_member(api, owner, agenda, viewer, "viewer")
    add_member(api, owner, agenda, editor, "editor")
    version = _version(api, owner, aid)

    for plural, item in stocked.items():
        path = content_path(aid, plural, item["id"])
        minimal = RESOURCES[plural].minimal
        assert api.request("GET", path, headers=viewer["headers"]).json() == item
        attempts = [
            api.request("POST", content_path(aid, plural), json_body=minimal, headers=viewer["headers"]),
            api.request("PUT", path, json_body=minimal, headers=viewer["headers"]),
            api.request("PATCH", path, json_body={}, headers=viewer["headers"]),
            api.request("DELETE", path, headers=viewer["headers"]),
        ]
        assert [(r.status, r.json()["code"]) for r in attempts] == [(403, "insufficient_role")] * 4, plural
    assert _version(api, owner, aid) == version
    assert {p: _list(api, owner, aid, p)[p] for p in stocked} == {p: [i] for p, i in stocked.items()}

    by_editor = api.request(
        "POST", content_path(aid, "tracks"), json_body={"name": "E"}, headers=editor["headers"]
    )
    patched = api.request(
        "PATCH",
        content_path(aid, "sessions", stocked["sessions"]["id"]),
        json_body={"title": "E"},
        headers=editor["headers"],
    )
    assert (by_editor.status, patched.status) == (201, 200)


def test_strangers_and_anonymous_callers_cannot_write(api, owner, agenda, stocked):
    aid = agenda["id"]
    stranger = sign_up(api, name="Stranger")
    published = create_agenda(api, owner, published=True)
    public_track = create_track(api, owner, published["id"])

    hidden = api.request(
        "POST", content_path(aid, "tracks"), json_body={"name": "x"}, headers=stranger["headers"]
    )
    hidden_patch = api.request(
        "PATCH",
        content_path(aid, "tracks", stocked["tracks"]["id"]),
        json_body={},
        headers=stranger["headers"],
    )
    public = api.request(
        "POST", content_path(published["id"], "tracks"), json_body={"name": "x"}, headers=stranger["headers"]
    )
    public_delete = api.request(
        "DELETE", content_path(published["id"], "tracks", public_track["id"]), headers=stranger["headers"]
    )
    anonymous = [
        api.request("POST", content_path(published["id"], "tracks"), json_body={"name": "x"}),
        api.request("PATCH", content_path(published["id"], "tracks", public_track["id"]), json_body={}),
        api.request("DELETE", content_path(published["id"], "tracks", public_track["id"])),
    ]

    assert (hidden.status, hidden_patch.status) == (404, 404)
    assert (public.status, public.json()["code"]) == (403, "insufficient_role")
    assert public_delete.status == 403
    assert [r.status for r in anonymous] == [401, 401, 401]
    assert anonymous[0].header("WWW-Authenticate").startswith("Bearer")
    assert _list(api, owner, published["id"], "tracks")["tracks"] == [public_track]
    assert _list(api, owner, aid, "tracks")["tracks"] == [stocked["tracks"]]


def test_content_of_a_deleted_agenda_is_gone(api, owner, agenda, stocked):
    aid = agenda["id"]

    assert api.request("DELETE", f"/v1/agendas/{aid}", headers=owner["headers"]).status == 204

    for plural, item in stocked.items():
        assert (
            api.request("GET", content_path(aid, plural, item["id"]), headers=owner["headers"]).status == 404
        )
        assert api.request("GET", content_path(aid, plural), headers=owner["headers"]).status == 404
        assert (
            api.request(
                "POST",
                content_path(aid, plural),
                json_body=RESOURCES[plural].minimal,
                headers=owner["headers"],
            ).status
            == 404
        )


def test_api_tokens_write_content_only_with_the_write_scope(api, owner, agenda):
    reader = create_api_token(api, owner, scopes=("read",))
    writer = create_api_token(api, owner, scopes=("read", "write"))
    track = create_track(api, owner, agenda["id"])
    path = content_path(agenda["id"], "tracks", track["id"])

    read = api.request("GET", path, headers=reader["headers"])
    refused = [
        api.request(
            "POST", content_path(agenda["id"], "tracks"), json_body={"name": "x"}, headers=reader["headers"]
        ),
        api.request("PATCH", path, json_body={"name": "x"}, headers=reader["headers"]),
        api.request("DELETE", path, headers=reader["headers"]),
    ]
    written = api.request("PATCH", path, json_body={"name": "By token"}, headers=writer["headers"])

    assert (read.status, read.json()) == (200, track)
    assert [(r.status, r.json()["code"]) for r in refused] == [(403, "insufficient_scope")] * 3
    assert (written.status, written.json()["name"]) == (200, "By token")


def test_if_match_is_per_item_other_items_changing_does_not_make_it_stale(api, owner, agenda):
    mine = api.request(
        "POST", content_path(agenda["id"], "tracks"), json_body={"name": "Mine"}, headers=owner["headers"]
    )
    other = create_track(api, owner, agenda["id"])
    api.request(
        "PATCH",
        content_path(agenda["id"], "tracks", other["id"]),
        json_body={"name": "Changed"},
        headers=owner["headers"],
    )

    response = api.request(
        "PATCH",
        content_path(agenda["id"], "tracks", mine.json()["id"]),
        json_body={"name": "Still mine"},
        headers={**owner["headers"], "If-Match": mine.header("ETag")},
    )

    assert response.status == 200
    # ...whereas the agenda's own ETag did go stale: the agenda's version counts every content write.
    stale = api.request(
        "PATCH",
        f"/v1/agendas/{agenda['id']}",
        json_body={"name": "x"},
        headers={**owner["headers"], "If-Match": f'"{agenda["version"]}.x"'},
    )
    assert stale.status == 412


def test_a_cursor_stays_valid_while_items_come_and_go(api, owner, agenda):
    aid = agenda["id"]
    names = [("b", 1), ("a", 1), ("c", None), ("B", None), ("d", 0), ("e", 5), ("a", None)]
    tracks = [
        create_track(api, owner, aid, name=n, **({"position": p} if p is not None else {})) for n, p in names
    ]
    everything = _list(api, owner, aid, "tracks")["tracks"]
    assert [t["name"] for t in everything] == ["d", "a", "b", "e", "a", "B", "c"]

    first = _list(api, owner, aid, "tracks", "?per_page=3")
    # Between pages: an item of the first page goes, one sorting before the cursor and one after come.
    api.request("DELETE", content_path(aid, "tracks", first["tracks"][0]["id"]), headers=owner["headers"])
    create_track(api, owner, aid, name="aa", position=0)
    late = create_track(api, owner, aid, name="zz")
    rest, url = [], first["pagination"]["next"]
    while url:
        page = api.request("GET", url.removeprefix(BASE_URL), headers=owner["headers"]).json()
        rest += page["tracks"]
        url = page["pagination"]["next"]

    assert first["tracks"] == everything[:3]
    assert rest == [*everything[3:], late]  # nothing skipped, nothing repeated
    assert len(tracks) == 7
