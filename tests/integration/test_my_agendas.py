"""``GET /v1/users/me/agendas`` (API.md §2): the caller's agendas in any state, with their role."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import PRIVATE_CACHE, add_member, create_agenda, create_api_token, sign_up
from tests.conftest import BASE_URL

EMPTY = {"agendas": [], "pagination": {"next": None, "per_page": 20}}


@pytest.fixture
def owner(api):
    return sign_up(api, name="Owner")


def _mine(api, who: dict[str, Any], query: str = "") -> Any:
    response = api.request("GET", f"/v1/users/me/agendas{query}", headers=who["headers"])
    assert response.status == 200, response.body
    return response.json()


def test_every_agenda_of_the_caller_in_any_state_with_their_role(api, owner):
    draft = create_agenda(api, owner)
    published = create_agenda(api, owner, published=True, description="Public.")
    colleague = sign_up(api, name="Colleague")
    theirs = create_agenda(api, colleague)
    add_member(api, colleague, theirs, owner, "viewer")

    response = api.request("GET", "/v1/users/me/agendas", headers=owner["headers"])

    assert response.status == 200
    assert response.header("Cache-Control") == PRIVATE_CACHE
    # The agendas' own representation (as their GET or create answers it), plus the role.
    theirs_now = api.request("GET", f"/v1/agendas/{theirs['id']}", headers=owner["headers"]).json()
    theirs_now = {k: v for k, v in theirs_now.items() if k in theirs}
    assert response.json() == {
        "agendas": [
            {**draft, "role": "owner"},
            {**published, "role": "owner"},
            {**theirs_now, "role": "viewer"},
        ],
        "pagination": {"next": None, "per_page": 20},
    }


def test_unpublished_agendas_are_listed_for_members_only(api, owner):
    draft = create_agenda(api, owner)
    stranger = sign_up(api, name="Stranger")

    before = _mine(api, stranger)
    add_member(api, owner, draft, stranger, "editor")
    while_member = _mine(api, stranger)
    removed = api.request(
        "DELETE", f"/v1/agendas/{draft['id']}/members/{stranger['user']['id']}", headers=owner["headers"]
    )
    after = _mine(api, stranger)

    assert before == after == EMPTY
    assert removed.status == 204
    assert [(a["id"], a["published"], a["role"]) for a in while_member["agendas"]] == [
        (draft["id"], False, "editor")
    ]


def test_pages_cover_the_list_without_gaps_or_repeats(api, owner):
    made = [create_agenda(api, owner, published=n % 2 == 0)["id"] for n in range(7)]

    seen, nexts, path = [], [], "/v1/users/me/agendas?per_page=3"
    while path:
        page = _mine(api, owner, path.removeprefix("/v1/users/me/agendas"))
        assert page["pagination"]["per_page"] == 3
        seen += [agenda["id"] for agenda in page["agendas"]]
        nxt = page["pagination"]["next"]
        nexts.append(nxt)
        path = nxt.removeprefix(BASE_URL) if nxt else None

    assert seen == made  # ordered by id: creation order
    assert len(nexts) == 3 and nexts[-1] is None
    assert all(n.startswith(f"{BASE_URL}/v1/users/me/agendas?per_page=3&cursor=") for n in nexts[:-1])


def test_a_cursor_is_bound_to_its_user_and_cannot_be_forged(api, owner):
    for _ in range(2):
        create_agenda(api, owner)
    other = sign_up(api, name="Other")
    nxt = _mine(api, owner, "?per_page=1")["pagination"]["next"].removeprefix(BASE_URL)
    cursor = nxt.split("cursor=")[1]

    by_other = api.request("GET", nxt, headers=other["headers"])
    forged = api.request(
        "GET", f"/v1/users/me/agendas?per_page=1&cursor={cursor[:-2]}AA", headers=owner["headers"]
    )
    own = api.request("GET", nxt, headers=owner["headers"])

    assert (by_other.status, forged.status, own.status) == (400, 400, 200)
    assert by_other.json()["code"] == forged.json()["code"] == "invalid_cursor"


def test_a_deleted_agenda_is_no_longer_listed(api, owner):
    kept = create_agenda(api, owner)
    gone = create_agenda(api, owner)

    assert api.request("DELETE", f"/v1/agendas/{gone['id']}", headers=owner["headers"]).status == 204

    assert [a["id"] for a in _mine(api, owner)["agendas"]] == [kept["id"]]


def test_a_membership_whose_agenda_is_gone_is_skipped(api, owner):
    """A delete whose sweep has not run yet leaves membership items behind: never listed."""
    from agenda_core.db import keys
    from agenda_core.db.records import AgendaRecord

    kept = create_agenda(api, owner)
    orphaned = create_agenda(api, owner)
    AgendaRecord(keys.agenda_pk(orphaned["id"]), keys.AGENDA_SK).delete()  # the item only, no sweep

    page = _mine(api, owner)

    assert [a["id"] for a in page["agendas"]] == [kept["id"]]


def test_two_requests_per_page_and_one_for_an_empty_list(api, owner, aws_calls):
    create_agenda(api, owner)
    stranger = sign_up(api, name="Stranger")
    _mine(api, owner)  # warm: the signing key is cached by the container

    aws_calls.clear()
    _mine(api, owner)
    full = list(aws_calls)
    aws_calls.clear()
    _mine(api, stranger)

    assert full == ["dynamodb:Query", "dynamodb:BatchGetItem"]
    assert aws_calls == ["dynamodb:Query"]


def test_a_read_token_lists_them_and_anonymous_callers_are_refused(api, owner):
    agenda = create_agenda(api, owner)
    token = create_api_token(api, owner, scopes=("read",))

    with_token = api.request("GET", "/v1/users/me/agendas", headers=token["headers"])
    anonymous = api.request("GET", "/v1/users/me/agendas")

    assert with_token.status == 200
    assert with_token.json()["agendas"] == [{**agenda, "role": "owner"}]
    assert anonymous.status == 401
    assert anonymous.header("WWW-Authenticate") == 'Bearer realm="agenda-api"'
