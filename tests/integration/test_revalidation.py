"""Revalidation of agenda content (API.md §1 "ETags", §5 "any GET with If-None-Match"): every
single-object GET and every list answers ``If-None-Match`` with a 304 when nothing it shows
changed, from one small read and never a Query (RFC 9110 §13.1.2: weak comparison, lists of
tags, ``*``; what is not an entity-tag matches nothing)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import (
    PRIVATE_CACHE,
    PUBLIC_CACHE,
    add_member,
    content_path,
    create_agenda,
    create_category,
    create_session,
    create_speaker,
    create_track,
    create_venue,
    sign_up,
)

PLURALS = ["sessions", "speakers", "tracks", "venues", "categories"]
AUDIENCES = ["member", "anonymous"]


@pytest.fixture
def owner(api):
    return sign_up(api, name="Owner")


@pytest.fixture
def agenda(api, owner):
    return create_agenda(api, owner)


@pytest.fixture
def stocked(api, owner, agenda):
    """A published agenda with one of each kind, the session using the others (so a member's view
    of it has conflicts to show, or not): plural -> object."""
    aid = agenda["id"]
    track, venue = create_track(api, owner, aid), create_venue(api, owner, aid)
    speaker = create_speaker(api, owner, aid, email="secret.speaker@example.com")
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
    published = api.request(
        "PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"]
    )
    assert published.status == 200, published.body
    return {
        "tracks": track,
        "venues": venue,
        "speakers": speaker,
        "categories": category,
        "sessions": session,
    }


def _get(api: Any, path: str, who: dict[str, Any] | None, if_none_match: str | None = None) -> Any:
    """GET ``path`` as ``who`` (None: anonymous), with ``If-None-Match`` when given."""
    headers = dict(who["headers"]) if who else {}
    if if_none_match is not None:
        headers["If-None-Match"] = if_none_match
    return api.request("GET", path, headers=headers)


def _dynamodb(calls: list[str]) -> list[str]:
    return [call for call in calls if call.startswith("dynamodb:")]


def _paths(agenda_id: str, plural: str, item: dict[str, Any]) -> dict[str, str]:
    return {"item": content_path(agenda_id, plural, item["id"]), "list": content_path(agenda_id, plural)}


# One small read decides a revalidation: the agenda and the item, or the agenda alone for a list.
SMALL_READ = {"item": ["dynamodb:BatchGetItem"], "list": ["dynamodb:GetItem"]}


def _change(api: Any, owner: dict[str, Any], agenda_id: str, plural: str, item: dict[str, Any]) -> None:
    field = "title" if plural == "sessions" else "name"
    changed = api.request(
        "PATCH",
        content_path(agenda_id, plural, item["id"]),
        json_body={field: "Changed"},
        headers=owner["headers"],
    )
    assert changed.status == 200, changed.body


# --- a hit is one small read --------------------------------------------------------------------


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("plural", PLURALS)
@pytest.mark.parametrize("route", ["item", "list"])
def test_an_unchanged_read_is_a_304_from_one_small_read(
    api, owner, agenda, stocked, aws_calls, plural, audience, route
):
    who = owner if audience == "member" else None
    path = _paths(agenda["id"], plural, stocked[plural])[route]
    first = _get(api, path, who)
    aws_calls.clear()

    again = _get(api, path, who, first.header("ETag"))

    assert first.status == 200 and first.header("ETag"), first.body
    assert (again.status, again.body, again.header("ETag")) == (304, b"", first.header("ETag"))
    assert again.header("Cache-Control") == (PRIVATE_CACHE if who else PUBLIC_CACHE)
    assert _dynamodb(aws_calls) == SMALL_READ[route]


@pytest.mark.parametrize("plural", PLURALS)
@pytest.mark.parametrize("route", ["item", "list"])
def test_after_a_write_the_old_etag_gets_the_new_representation(api, owner, agenda, stocked, plural, route):
    aid = agenda["id"]
    path = _paths(aid, plural, stocked[plural])[route]
    held = {who: _get(api, path, owner if who == "member" else None).header("ETag") for who in AUDIENCES}

    _change(api, owner, aid, plural, stocked[plural])

    for audience in AUDIENCES:
        who = owner if audience == "member" else None
        revalidated, fresh = _get(api, path, who, held[audience]), _get(api, path, who)
        assert revalidated.status == 200, (audience, revalidated.body)
        assert revalidated.header("ETag") not in (None, held[audience])
        assert (revalidated.json(), revalidated.header("ETag")) == (fresh.json(), fresh.header("ETag"))
        assert "Changed" in revalidated.body.decode()
        # ...and the new tag revalidates in its turn.
        assert _get(api, path, who, revalidated.header("ETag")).status == 304


@pytest.mark.parametrize("route", ["item", "list"])
def test_a_miss_reads_what_a_full_get_reads_after_the_small_read(
    api, owner, agenda, stocked, aws_calls, route
):
    path = _paths(agenda["id"], "sessions", stocked["sessions"])[route]
    aws_calls.clear()

    missed = _get(api, path, owner, '"1.000000000000"')

    assert missed.status == 200 and missed.json() == _get(api, path, owner).json()
    assert _dynamodb(aws_calls)[: len(SMALL_READ[route]) + 1] == [*SMALL_READ[route], "dynamodb:Query"]


# --- a member's session: its conflicts ----------------------------------------------------------


def test_a_members_session_changes_tag_when_another_session_changes_its_conflicts(
    api, owner, agenda, stocked, aws_calls
):
    aid = agenda["id"]
    session = stocked["sessions"]
    path = content_path(aid, "sessions", session["id"])
    etag = _get(api, path, owner).header("ETag")
    public_etag = _get(api, path, None).header("ETag")

    clash = create_session(api, owner, aid, venue_id=session["venue_id"], **_same_time(session))
    aws_calls.clear()
    member, anonymous = _get(api, path, owner, etag), _get(api, path, None, public_etag)

    assert member.status == 200 and member.header("ETag") != etag
    assert member.json()["conflicts"] == [
        {"code": "venue_overlap", "session_id": clash["id"], "venue_id": session["venue_id"]}
    ]
    # The public sees no conflicts: nothing it shows changed.
    assert (anonymous.status, anonymous.header("ETag")) == (304, public_etag)
    assert _dynamodb(aws_calls) == ["dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:BatchGetItem"]


def _same_time(session: dict[str, Any]) -> dict[str, str]:
    return {"start_at": session["start_at"], "end_at": session["end_at"]}


# --- what matches (RFC 9110 §13.1.2) ------------------------------------------------------------


@pytest.mark.parametrize("plural", PLURALS)
@pytest.mark.parametrize("route", ["item", "list"])
def test_weak_tags_lists_and_star_match_and_junk_never_does(api, owner, agenda, stocked, plural, route):
    path = _paths(agenda["id"], plural, stocked[plural])[route]
    etag = _get(api, path, owner).header("ETag")
    bare = etag.strip('"')

    matching = [etag, f"W/{etag}", f'"x", {etag}', f'W/"1.abc",W/{etag}', "*", f"junk, {etag}"]
    junk = [
        bare,  # unquoted
        f"W/{bare}",
        f'"{bare}',  # a stray quote
        f"{etag}x",  # text after the tag
        f"w/{etag}",  # the weak prefix is case-sensitive
        '"x", "y"',
        '""',
        "*, " + etag[:-1],
        "\u00e9t\u00e9",
        ",,,",
    ]

    for header in matching:
        answer = _get(api, path, owner, header)
        assert (answer.status, answer.body, answer.header("ETag")) == (304, b"", etag), header
    for header in junk:
        answer = _get(api, path, owner, header)
        assert (answer.status, answer.header("ETag")) == (200, etag), header


# --- list tags: one per representation ----------------------------------------------------------


@pytest.mark.parametrize("plural", PLURALS)
def test_a_lists_tag_differs_by_audience_and_page_size(api, owner, agenda, stocked, plural):
    path = content_path(agenda["id"], plural)
    member = _get(api, path, owner)
    anonymous = _get(api, path, None)
    stranger = sign_up(api, name="Stranger")
    signed_in_stranger = _get(api, path, stranger)
    by_size = {n: _get(api, f"{path}?per_page={n}", owner).header("ETag") for n in (1, 2, 20)}

    assert member.header("ETag") != anonymous.header("ETag")
    # A signed-in stranger sees what the public sees: the same representation, the same tag.
    assert signed_in_stranger.header("ETag") == anonymous.header("ETag")
    assert len(set(by_size.values())) == 3
    # Holding the member's tag does not get the public a 304 of the member's representation.
    assert _get(api, path, None, member.header("ETag")).status == 200
    assert _get(api, f"{path}?per_page=1", owner, by_size[2]).status == 200


def test_session_list_tags_differ_by_filter_and_page(api, owner, agenda, stocked, aws_calls):
    aid = agenda["id"]
    path = content_path(aid, "sessions")
    create_session(api, owner, aid, start_at="2027-03-10T15:00:00+01:00", end_at="2027-03-10T16:00:00+01:00")
    venue_id = stocked["sessions"]["venue_id"]
    unfiltered = _get(api, path, owner)
    filtered = _get(api, f"{path}?venue_id={venue_id}", owner)
    first = _get(api, f"{path}?per_page=1", owner)
    next_path = first.json()["pagination"]["next"].removeprefix("http://testserver")
    second = _get(api, next_path, owner)
    aws_calls.clear()

    second_again = _get(api, next_path, owner, second.header("ETag"))

    assert (
        len({unfiltered.header("ETag"), filtered.header("ETag"), first.header("ETag"), second.header("ETag")})
        == 4
    )
    assert [len(r.json()["sessions"]) for r in (unfiltered, filtered, first, second)] == [2, 1, 1, 1]
    assert (second_again.status, second_again.header("ETag")) == (304, second.header("ETag"))
    assert _dynamodb(aws_calls) == ["dynamodb:GetItem"]
    assert _get(api, next_path, owner, first.header("ETag")).status == 200


def test_a_bad_cursor_is_a_400_with_or_without_if_none_match(api, owner, agenda, stocked):
    path = content_path(agenda["id"], "sessions") + "?cursor=not-a-cursor"

    plain, conditional = _get(api, path, owner), _get(api, path, owner, "*")

    assert (plain.status, conditional.status) == (400, 400)
    assert plain.json()["code"] == conditional.json()["code"]


# --- revalidation follows visibility ------------------------------------------------------------


@pytest.mark.parametrize("route", ["item", "list"])
def test_a_tag_held_from_when_it_was_public_revalidates_to_a_404_once_unpublished(
    api, owner, agenda, stocked, route
):
    path = _paths(agenda["id"], "speakers", stocked["speakers"])[route]
    etag = _get(api, path, None).header("ETag")
    stranger = sign_up(api, name="Stranger")
    stranger_etag = _get(api, path, stranger).header("ETag")

    api.request(
        "PATCH", f"/v1/agendas/{agenda['id']}", json_body={"published": False}, headers=owner["headers"]
    )

    assert _get(api, path, None, etag).status == 404
    assert _get(api, path, None, "*").status == 404
    assert _get(api, path, stranger, stranger_etag).status == 404


def test_a_viewer_revalidates_like_any_member(api, owner, agenda, stocked):
    viewer = sign_up(api, name="Viewer")
    add_member(api, owner, agenda, viewer, "viewer")
    for plural in PLURALS:
        for path in _paths(agenda["id"], plural, stocked[plural]).values():
            etag = _get(api, path, viewer).header("ETag")
            assert etag == _get(api, path, owner).header("ETag"), path  # one member representation
            assert _get(api, path, viewer, etag).status == 304, path
