"""Agendas (API.md §3): create, read (by id and slug), list, replace, patch, delete, visibility."""

from __future__ import annotations

import re

import pytest

from tests.builders import PRIVATE_CACHE, PUBLIC_CACHE, agenda_body, create_agenda, sign_up
from tests.conftest import BASE_URL

AGENDA_ID = re.compile(r"^agd_[0-9A-HJKMNP-TV-Z]{26}$")


@pytest.fixture
def owner(api):
    return sign_up(api, name="Owner")


def test_create_returns_the_agenda_with_computed_fields(api, owner):
    response = api.request(
        "POST",
        "/v1/agendas",
        json_body={
            "name": "DemoCon 2027: Köln!",
            "description": "Talks.",
            "start_at": "2027-03-30",
            "duration": 3,
            "timezone": "Europe/Berlin",
        },
        headers=owner["headers"],
    )

    assert response.status == 201
    body = response.json()
    assert AGENDA_ID.match(body["id"])
    assert body == {
        "id": body["id"],
        "url": f"{BASE_URL}/v1/agendas/{body['id']}",
        "slug": "democon-2027-koln",
        "name": "DemoCon 2027: Köln!",
        "description": "Talks.",
        "published": False,
        "start_at": "2027-03-30",
        "end_at": "2027-04-01",
        "duration": 3,
        "timezone": "Europe/Berlin",
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["created_at"],
    }
    assert response.header("Location") == body["url"]
    assert response.header("ETag").startswith('"1.')


def test_the_full_agenda_reads_by_id_and_by_slug(api, owner):
    agenda = create_agenda(api, owner, published=True, slug="read-me")

    by_id = api.request("GET", f"/v1/agendas/{agenda['id']}")
    by_slug = api.request("GET", "/v1/agendas/read-me")

    assert by_id.status == by_slug.status == 200
    assert (
        by_id.json()
        == by_slug.json()
        == {
            **agenda,
            "sessions": [],
            "speakers": [],
            "tracks": [],
            "venues": [],
            "categories": [],
            "changes_cursor": by_id.header("Changes-Cursor"),
        }
    )
    assert by_id.header("ETag") == by_slug.header("ETag")
    assert by_id.header("Cache-Control") == PUBLIC_CACHE


def test_an_unpublished_agenda_is_invisible_to_everyone_but_its_members(api, owner):
    agenda = create_agenda(api, owner)
    stranger = sign_up(api, name="Stranger")

    anonymous = api.request("GET", f"/v1/agendas/{agenda['id']}")
    by_stranger = api.request("GET", f"/v1/agendas/{agenda['slug']}", headers=stranger["headers"])
    by_owner = api.request("GET", f"/v1/agendas/{agenda['id']}", headers=owner["headers"])

    assert anonymous.status == by_stranger.status == 404
    assert anonymous.json()["code"] == by_stranger.json()["code"] == "not_found"
    assert by_owner.status == 200
    assert by_owner.header("Cache-Control") == PRIVATE_CACHE


def test_a_stranger_cannot_change_or_delete_an_agenda(api, owner):
    hidden = create_agenda(api, owner)
    public = create_agenda(api, owner, published=True)
    stranger = sign_up(api, name="Stranger")

    patch_hidden = api.request(
        "PATCH", f"/v1/agendas/{hidden['id']}", json_body={"name": "Mine"}, headers=stranger["headers"]
    )
    patch_public = api.request(
        "PATCH", f"/v1/agendas/{public['id']}", json_body={"name": "Mine"}, headers=stranger["headers"]
    )
    delete_hidden = api.request("DELETE", f"/v1/agendas/{hidden['id']}", headers=stranger["headers"])

    assert (patch_hidden.status, patch_public.status, delete_hidden.status) == (404, 403, 404)
    after = api.request("GET", f"/v1/agendas/{hidden['id']}", headers=owner["headers"]).json()
    assert after["name"] == hidden["name"] and after["version"] == 1


def test_writes_need_a_signed_in_caller(api, owner):
    agenda = create_agenda(api, owner)

    create = api.request("POST", "/v1/agendas", json_body=agenda_body())
    patch = api.request("PATCH", f"/v1/agendas/{agenda['id']}", json_body={"name": "x"})

    assert (create.status, patch.status) == (401, 401)


def test_patch_is_a_merge_patch(api, owner):
    agenda = create_agenda(api, owner, description="Old", location="Berlin")

    response = api.request(
        "PATCH",
        f"/v1/agendas/{agenda['id']}",
        body=b'{"description": null, "duration": 5}',
        headers={**owner["headers"], "Content-Type": "application/merge-patch+json"},
    )

    assert response.status == 200
    body = response.json()
    expected = {
        **agenda,
        "duration": 5,
        "end_at": "2027-03-14",
        "version": 2,
        "updated_at": body["updated_at"],
    }
    del expected["description"]  # null cleared it, and empty fields are left out
    assert body == expected
    assert body["updated_at"] >= agenda["updated_at"]


def test_patch_refuses_null_for_required_fields_and_read_only_fields(api, owner):
    agenda = create_agenda(api, owner)

    response = api.request(
        "PATCH",
        f"/v1/agendas/{agenda['id']}",
        json_body={"name": None, "end_at": "2027-01-01", "version": 7},
        headers=owner["headers"],
    )

    assert response.status == 422
    assert {(e["pointer"], e["code"]) for e in response.json()["errors"]} == {
        ("/name", "invalid_value"),
        ("/end_at", "read_only_field"),
        ("/version", "read_only_field"),
    }
    unchanged = api.request("GET", f"/v1/agendas/{agenda['id']}", headers=owner["headers"]).json()
    assert unchanged["version"] == 1


def test_put_replaces_the_whole_representation(api, owner):
    agenda = create_agenda(api, owner, description="Old", location="Berlin", published=True)

    response = api.request(
        "PUT",
        f"/v1/agendas/{agenda['id']}",
        json_body={"name": "Renamed", "start_at": "2027-05-01", "duration": 1},
        headers=owner["headers"],
    )

    assert response.status == 200
    body = response.json()
    assert body == {
        "id": agenda["id"],
        "url": agenda["url"],
        "slug": agenda["slug"],  # a slug left out of a PUT is kept: URLs must not break
        "name": "Renamed",
        "published": False,
        "start_at": "2027-05-01",
        "end_at": "2027-05-01",
        "duration": 1,
        "timezone": "UTC",
        "version": 2,
        "created_at": agenda["created_at"],
        "updated_at": body["updated_at"],
    }
    listed = api.request("GET", "/v1/agendas").json()["agendas"]
    assert agenda["id"] not in [a["id"] for a in listed]  # unpublished by the PUT


def test_if_match_guards_writes(api, owner):
    created = api.request("POST", "/v1/agendas", json_body=agenda_body(), headers=owner["headers"])
    agenda, etag = created.json(), created.header("ETag")
    first = api.request(
        "PATCH",
        f"/v1/agendas/{agenda['id']}",
        json_body={"name": "A"},
        headers={**owner["headers"], "If-Match": etag},
    )
    stale = api.request(
        "PATCH",
        f"/v1/agendas/{agenda['id']}",
        json_body={"name": "B"},
        headers={**owner["headers"], "If-Match": etag},
    )
    delete_stale = api.request(
        "DELETE", f"/v1/agendas/{agenda['id']}", headers={**owner["headers"], "If-Match": etag}
    )
    delete_fresh = api.request(
        "DELETE",
        f"/v1/agendas/{agenda['id']}",
        headers={**owner["headers"], "If-Match": first.header("ETag")},
    )

    assert (first.status, stale.status, delete_stale.status, delete_fresh.status) == (200, 412, 412, 204)
    assert stale.json()["code"] == "precondition_failed"


def test_if_none_match_answers_304_until_something_changes(api, owner):
    agenda = create_agenda(api, owner, published=True)
    first = api.request("GET", f"/v1/agendas/{agenda['id']}")

    unchanged = api.request(
        "GET", f"/v1/agendas/{agenda['id']}", headers={"If-None-Match": first.header("ETag")}
    )
    api.request(
        "PATCH", f"/v1/agendas/{agenda['id']}", json_body={"location": "Paris"}, headers=owner["headers"]
    )
    changed = api.request(
        "GET", f"/v1/agendas/{agenda['id']}", headers={"If-None-Match": first.header("ETag")}
    )

    assert unchanged.status == 304 and unchanged.body == b""
    assert unchanged.header("ETag") == first.header("ETag")
    assert changed.status == 200 and changed.json()["location"] == "Paris"
    assert changed.header("ETag") != first.header("ETag")


def test_if_none_match_does_not_reveal_hidden_agendas(api, owner):
    agenda = create_agenda(api, owner)
    etag = api.request("GET", f"/v1/agendas/{agenda['id']}", headers=owner["headers"]).header("ETag")

    anonymous = api.request("GET", f"/v1/agendas/{agenda['id']}", headers={"If-None-Match": etag})

    assert anonymous.status == 404


def test_slugs_are_unique_and_generated_ones_step_aside(api, owner):
    create_agenda(api, owner, name="Same Name", slug="taken")

    explicit = api.request(
        "POST", "/v1/agendas", json_body=agenda_body(slug="taken"), headers=owner["headers"]
    )
    generated_a = create_agenda(api, owner, name="Same Name")
    generated_b = create_agenda(api, owner, name="Same Name")

    assert explicit.status == 409 and explicit.json()["code"] == "slug_taken"
    assert generated_a["slug"] == "same-name"
    assert re.match(r"^same-name-[a-z0-9]{5}$", generated_b["slug"])


def test_renaming_a_slug_frees_the_old_one_and_moves_reads(api, owner):
    agenda = create_agenda(api, owner, published=True, slug="old-name")

    renamed = api.request(
        "PATCH", f"/v1/agendas/{agenda['id']}", json_body={"slug": "new-name"}, headers=owner["headers"]
    )
    old = api.request("GET", "/v1/agendas/old-name")
    new = api.request("GET", "/v1/agendas/new-name")
    reuse = api.request(
        "POST", "/v1/agendas", json_body=agenda_body(slug="old-name"), headers=owner["headers"]
    )

    assert renamed.status == 200 and renamed.json()["slug"] == "new-name"
    assert old.status == 404
    assert new.status == 200 and new.json()["id"] == agenda["id"]
    assert reuse.status == 201


def test_renaming_to_a_taken_slug_is_a_conflict_and_changes_nothing(api, owner):
    create_agenda(api, owner, slug="first")
    second = create_agenda(api, owner, slug="second")

    response = api.request(
        "PATCH",
        f"/v1/agendas/{second['id']}",
        json_body={"slug": "first", "name": "X"},
        headers=owner["headers"],
    )

    assert response.status == 409 and response.json()["code"] == "slug_taken"
    after = api.request("GET", f"/v1/agendas/{second['id']}", headers=owner["headers"]).json()
    assert (after["slug"], after["name"], after["version"]) == ("second", second["name"], 1)


def test_delete_removes_the_agenda_and_its_slug(api, owner):
    agenda = create_agenda(api, owner, published=True, slug="gone-soon")

    deleted = api.request("DELETE", f"/v1/agendas/{agenda['id']}", headers=owner["headers"])
    again = api.request("DELETE", f"/v1/agendas/{agenda['id']}", headers=owner["headers"])
    read = api.request("GET", "/v1/agendas/gone-soon")
    reuse = api.request(
        "POST", "/v1/agendas", json_body=agenda_body(slug="gone-soon"), headers=owner["headers"]
    )

    assert (deleted.status, again.status, read.status, reuse.status) == (204, 404, 404, 201)
    assert deleted.body == b""


def test_list_shows_published_agendas_soonest_first_with_date_filters(api, owner):
    late = create_agenda(api, owner, published=True, start_at="2027-09-01")
    early = create_agenda(api, owner, published=True, start_at="2027-02-01")
    middle = create_agenda(api, owner, published=True, start_at="2027-05-01")
    create_agenda(api, owner, published=False, start_at="2027-04-01")

    everything = api.request("GET", "/v1/agendas")
    filtered = api.request("GET", "/v1/agendas?starts_after=2027-02-01&starts_before=2027-09-01")

    assert everything.status == 200
    assert everything.json() == {
        "agendas": [early, middle, late],
        "pagination": {"next": None, "per_page": 20},
    }
    assert [a["id"] for a in filtered.json()["agendas"]] == [middle["id"]]
    assert everything.header("Cache-Control") == PUBLIC_CACHE


def test_pages_cover_the_list_without_gaps_or_repeats(api, owner):
    ids = [
        create_agenda(api, owner, published=True, start_at=f"2027-01-{day:02d}")["id"] for day in range(1, 8)
    ]

    seen: list[str] = []
    url = "/v1/agendas?per_page=3"
    pages = 0
    while url:
        page = api.request("GET", url.removeprefix(BASE_URL)).json()
        seen += [a["id"] for a in page["agendas"]]
        assert page["pagination"]["per_page"] == 3
        url = page["pagination"]["next"]
        pages += 1

    assert seen == ids
    assert pages in (3, 4)


def test_a_tampered_or_foreign_cursor_is_a_400(api, owner):
    for day in range(1, 4):
        create_agenda(api, owner, published=True, start_at=f"2027-01-{day:02d}")
    next_url = api.request("GET", "/v1/agendas?per_page=1").json()["pagination"]["next"]
    cursor = next_url.split("cursor=")[1]

    tampered = api.request("GET", f"/v1/agendas?per_page=1&cursor={cursor[:-2]}xx")
    other_query = api.request("GET", f"/v1/agendas?per_page=1&starts_after=2026-01-01&cursor={cursor}")
    garbage = api.request("GET", "/v1/agendas?cursor=%%%")

    for response in (tampered, other_query, garbage):
        assert response.status == 400
        assert response.json()["code"] == "invalid_cursor"


def test_icons_must_be_ready_uploads(api, owner):
    response = api.request(
        "POST",
        "/v1/agendas",
        json_body=agenda_body(icon="upl_01HZZZZZZZZZZZZZZZZZZZZZZZ"),
        headers=owner["headers"],
    )

    assert response.status == 422
    assert response.json()["errors"] == [
        {
            "pointer": "/icon",
            "code": "unknown_upload",
            "detail": "No ready upload of yours has this id (purpose agenda_icon).",
        }
    ]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("name", "", "too_short"),
        ("name", "x" * 201, "too_long"),
        ("duration", 0, "greater_than_equal"),
        ("duration", 61, "less_than_equal"),
        ("duration", "3", "int_type"),
        ("start_at", "2027-02-30", "invalid_value"),
        ("start_at", 1700000000, "invalid_value"),
        ("timezone", "Mars/Olympus", "invalid_value"),
        ("timezone", "../../etc/passwd", "invalid_value"),
        ("slug", "Not A Slug", "invalid_format"),
        ("published", "yes", "bool_type"),
    ],
)
def test_bad_fields_get_a_422_naming_them_and_change_nothing(api, owner, field, value, code):
    response = api.request(
        "POST", "/v1/agendas", json_body=agenda_body(**{field: value}), headers=owner["headers"]
    )

    assert response.status == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [(f"/{field}", code)]
    assert api.request("GET", "/v1/users/me", headers=owner["headers"]).status == 200


def test_malformed_ids_are_404_without_a_database_call(api, owner):
    for path in ("/v1/agendas/NOT_AN_ID", "/v1/agendas/agd_123", "/v1/agendas/" + "a" * 65):
        assert api.request("GET", path).status == 404
    assert api.request("DELETE", "/v1/agendas/some-slug", headers=owner["headers"]).status == 404
