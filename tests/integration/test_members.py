"""Members and roles (API.md §3): who may see and change an agenda, and the last owner rule."""

from __future__ import annotations

import pytest

from tests.builders import add_member, create_agenda, sign_up
from tests.conftest import BASE_URL


@pytest.fixture
def team(api):
    owner = sign_up(api, name="Owner")
    editor = sign_up(api, name="Editor")
    viewer = sign_up(api, name="Viewer")
    agenda = create_agenda(api, owner)
    for person, role in ((editor, "editor"), (viewer, "viewer")):
        add_member(api, owner, agenda, person, role)
    return {"owner": owner, "editor": editor, "viewer": viewer, "agenda": agenda}


def _members(api, team, who="owner"):
    return api.request("GET", f"/v1/agendas/{team['agenda']['id']}/members", headers=team[who]["headers"])


def test_adding_a_member_returns_them_and_lists_them(api, team):
    agenda_id = team["agenda"]["id"]
    listed = _members(api, team, "viewer")

    assert listed.status == 200
    members = listed.json()["members"]
    assert [(m["email"], m["role"]) for m in members] == [
        (team["owner"]["user"]["email"], "owner"),
        (team["editor"]["user"]["email"], "editor"),
        (team["viewer"]["user"]["email"], "viewer"),
    ]
    assert members[1] == {
        "id": team["editor"]["user"]["id"],
        "url": f"{BASE_URL}/v1/agendas/{agenda_id}/members/{team['editor']['user']['id']}",
        "email": team["editor"]["user"]["email"],
        "role": "editor",
        "created_at": members[1]["created_at"],
        "updated_at": members[1]["created_at"],
    }
    assert listed.json()["pagination"] == {"next": None, "per_page": 20}


def test_members_see_the_unpublished_agenda_with_their_rights(api, team):
    agenda_id = team["agenda"]["id"]

    read = api.request("GET", f"/v1/agendas/{agenda_id}", headers=team["viewer"]["headers"])
    viewer_edit = api.request(
        "PATCH", f"/v1/agendas/{agenda_id}", json_body={"name": "V"}, headers=team["viewer"]["headers"]
    )
    editor_edit = api.request(
        "PATCH", f"/v1/agendas/{agenda_id}", json_body={"name": "E"}, headers=team["editor"]["headers"]
    )
    editor_delete = api.request("DELETE", f"/v1/agendas/{agenda_id}", headers=team["editor"]["headers"])

    assert (read.status, viewer_edit.status, editor_edit.status, editor_delete.status) == (200, 403, 200, 403)
    assert viewer_edit.json()["code"] == editor_delete.json()["code"] == "insufficient_role"


def test_role_changes_take_effect_on_the_next_request(api, team):
    agenda_id, viewer_id = team["agenda"]["id"], team["viewer"]["user"]["id"]

    promoted = api.request(
        "PATCH",
        f"/v1/agendas/{agenda_id}/members/{viewer_id}",
        json_body={"role": "editor"},
        headers=team["owner"]["headers"],
    )
    edit = api.request(
        "PATCH", f"/v1/agendas/{agenda_id}", json_body={"name": "Now"}, headers=team["viewer"]["headers"]
    )
    removed = api.request(
        "DELETE", f"/v1/agendas/{agenda_id}/members/{viewer_id}", headers=team["owner"]["headers"]
    )
    read = api.request("GET", f"/v1/agendas/{agenda_id}", headers=team["viewer"]["headers"])

    assert (promoted.status, promoted.json()["role"]) == (200, "editor")
    assert edit.status == 200
    assert removed.status == 204
    assert read.status == 404


def test_only_owners_manage_members_and_nobody_raises_their_own_role(api, team):
    agenda_id = team["agenda"]["id"]
    editor_id = team["editor"]["user"]["id"]

    self_raise = api.request(
        "PATCH",
        f"/v1/agendas/{agenda_id}/members/{editor_id}",
        json_body={"role": "owner"},
        headers=team["editor"]["headers"],
    )
    add_by_editor = api.request(
        "POST",
        f"/v1/agendas/{agenda_id}/members",
        json_body={"email": team["owner"]["user"]["email"], "role": "viewer"},
        headers=team["editor"]["headers"],
    )

    assert (self_raise.status, add_by_editor.status) == (403, 403)
    assert [m["role"] for m in _members(api, team).json()["members"]] == ["owner", "editor", "viewer"]


def test_the_last_owner_can_neither_leave_nor_be_demoted(api, team):
    agenda_id, owner_id = team["agenda"]["id"], team["owner"]["user"]["id"]

    demote = api.request(
        "PATCH",
        f"/v1/agendas/{agenda_id}/members/{owner_id}",
        json_body={"role": "editor"},
        headers=team["owner"]["headers"],
    )
    leave = api.request(
        "DELETE", f"/v1/agendas/{agenda_id}/members/{owner_id}", headers=team["owner"]["headers"]
    )

    assert (demote.status, leave.status) == (409, 409)
    assert demote.json()["code"] == leave.json()["code"] == "last_owner"


def test_with_a_second_owner_the_first_may_leave_and_members_may_leave(api, team):
    agenda_id = team["agenda"]["id"]
    editor_id, owner_id, viewer_id = (team[w]["user"]["id"] for w in ("editor", "owner", "viewer"))
    api.request(
        "PATCH",
        f"/v1/agendas/{agenda_id}/members/{editor_id}",
        json_body={"role": "owner"},
        headers=team["owner"]["headers"],
    )

    viewer_leaves = api.request(
        "DELETE", f"/v1/agendas/{agenda_id}/members/{viewer_id}", headers=team["viewer"]["headers"]
    )
    owner_leaves = api.request(
        "DELETE", f"/v1/agendas/{agenda_id}/members/{owner_id}", headers=team["owner"]["headers"]
    )
    last_leaves = api.request(
        "DELETE", f"/v1/agendas/{agenda_id}/members/{editor_id}", headers=team["editor"]["headers"]
    )

    assert (viewer_leaves.status, owner_leaves.status, last_leaves.status) == (204, 204, 409)
    assert [(m["id"], m["role"]) for m in _members(api, team, "editor").json()["members"]] == [
        (editor_id, "owner")
    ]


def test_adding_twice_unknown_emails_and_non_members(api, team):
    agenda_id = team["agenda"]["id"]
    stranger = sign_up(api, name="Stranger")

    twice = api.request(
        "POST",
        f"/v1/agendas/{agenda_id}/members",
        json_body={"email": team["editor"]["user"]["email"], "role": "viewer"},
        headers=team["owner"]["headers"],
    )
    unknown = api.request(
        "POST",
        f"/v1/agendas/{agenda_id}/members",
        json_body={"email": "nobody@example.com", "role": "viewer"},
        headers=team["owner"]["headers"],
    )
    bad_role = api.request(
        "POST",
        f"/v1/agendas/{agenda_id}/members",
        json_body={"email": stranger["user"]["email"], "role": "admin"},
        headers=team["owner"]["headers"],
    )
    remove_non_member = api.request(
        "DELETE",
        f"/v1/agendas/{agenda_id}/members/{stranger['user']['id']}",
        headers=team["owner"]["headers"],
    )

    assert (twice.status, twice.json()["code"]) == (409, "member_exists")
    assert (unknown.status, unknown.json()["errors"][0]["pointer"]) == (422, "/email")
    assert (bad_role.status, bad_role.json()["errors"][0]["pointer"]) == (422, "/role")
    assert remove_non_member.status == 404
    assert len(_members(api, team).json()["members"]) == 3


def test_strangers_learn_nothing_about_an_unpublished_agendas_members(api, team):
    agenda_id = team["agenda"]["id"]
    stranger = sign_up(api, name="Stranger")

    listed = api.request("GET", f"/v1/agendas/{agenda_id}/members", headers=stranger["headers"])
    added = api.request(
        "POST",
        f"/v1/agendas/{agenda_id}/members",
        json_body={"email": stranger["user"]["email"], "role": "owner"},
        headers=stranger["headers"],
    )
    anonymous = api.request("GET", f"/v1/agendas/{agenda_id}/members")

    assert (listed.status, added.status, anonymous.status) == (404, 404, 401)
    assert len(_members(api, team).json()["members"]) == 3


def test_member_pages_cover_the_list(api, team):
    agenda_id = team["agenda"]["id"]
    seen, url = [], f"/v1/agendas/{agenda_id}/members?per_page=2"
    while url:
        page = api.request("GET", url.removeprefix(BASE_URL), headers=team["owner"]["headers"]).json()
        seen += [m["id"] for m in page["members"]]
        url = page["pagination"]["next"]

    assert seen == [team[w]["user"]["id"] for w in ("owner", "editor", "viewer")]


def test_adding_a_member_is_idempotent_by_key(api, team):
    agenda_id = team["agenda"]["id"]
    newcomer = sign_up(api, name="Newcomer")
    headers = {**team["owner"]["headers"], "Idempotency-Key": "add-newcomer"}
    body = {"email": newcomer["user"]["email"], "role": "viewer"}

    first = api.request("POST", f"/v1/agendas/{agenda_id}/members", json_body=body, headers=headers)
    again = api.request("POST", f"/v1/agendas/{agenda_id}/members", json_body=body, headers=headers)

    assert (first.status, again.status) == (201, 201)
    assert again.json() == first.json() and again.header("Idempotent-Replayed") == "true"
    assert len(_members(api, team).json()["members"]) == 4
