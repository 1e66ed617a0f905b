"""The commit seam and the change feed (API.md §5, db/commits.py, services/changes.py).

Every committed change of an agenda or its content is recorded once, in commit order, in the
same transaction as the write; a failed write records nothing. The feed replays them after a
cursor, and "old full read + changes" equals the new full read, for a member and for the public.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.builders import (
    PUBLIC_CACHE,
    content_path,
    create_agenda,
    create_session,
    create_speaker,
    create_track,
    session_body,
    sign_up,
)

PLURALS = {
    "session": "sessions",
    "speaker": "speakers",
    "track": "tracks",
    "venue": "venues",
    "category": "categories",
}
CONTENT_KEYS = (*PLURALS.values(), "conflicts", "changes_cursor")


def feed(
    api: Any, agenda_id: str, since: str | None, headers: dict[str, str] | None = None, **query: Any
) -> Any:
    params = "&".join(f"{k}={v}" for k, v in {**({"since": since} if since else {}), **query}.items())
    return api.request(
        "GET", f"/v1/agendas/{agenda_id}/changes" + (f"?{params}" if params else ""), headers=headers or {}
    )


def full(api: Any, agenda_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = api.request("GET", f"/v1/agendas/{agenda_id}", headers=headers or {})
    assert response.status == 200, response.body
    body = dict(response.json())
    assert body["changes_cursor"] == response.header("Changes-Cursor")
    return body


def all_changes(
    api: Any, agenda_id: str, since: str, headers: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Every change after ``since``, following ``pagination.next``; and the last cursor."""
    changes: list[dict[str, Any]] = []
    response = feed(api, agenda_id, since, headers, per_page=3)
    while True:
        assert response.status == 200, response.body
        page = response.json()
        changes += page["changes"]
        if page["pagination"]["next"] is None:
            return changes, page["cursor"]
        response = api.request(
            "GET", page["pagination"]["next"].removeprefix("http://testserver"), headers=headers or {}
        )


def applied(old: dict[str, Any], changes: list[dict[str, Any]], cursor: str) -> dict[str, Any]:
    """What a client does with the feed: each change in order, upserting or deleting by id."""
    state = {key: value for key, value in old.items()}
    for change in changes:
        if change["type"] == "agenda":
            lists = {key: state[key] for key in CONTENT_KEYS if key in state}
            state = {**change["object"], **lists}
        else:
            plural = PLURALS[change["type"]]
            kept = [item for item in state[plural] if item["id"] != change["id"]]
            state[plural] = kept + ([change["object"]] if change["action"] == "upserted" else [])
        state["version"] = change["version"]
    state["changes_cursor"] = cursor
    return state


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    """Order-free, and without what the feed leaves out on purpose: conflicts are derived from all
    sessions (services/changes.py), the full read shows them."""
    shown = {key: value for key, value in body.items() if key != "conflicts"}
    for plural in PLURALS.values():
        items = [{k: v for k, v in item.items() if k != "conflicts"} for item in body[plural]]
        shown[plural] = sorted(items, key=lambda item: item["id"])
    return shown


@pytest.fixture
def owner(api: Any) -> dict[str, Any]:
    return sign_up(api)


def test_without_since_the_feed_answers_no_changes_and_the_cursor_for_now(api, owner):
    agenda = create_agenda(api, owner, published=True)
    read = full(api, agenda["id"])

    response = feed(api, agenda["id"], None)

    assert response.status == 200, response.body
    assert response.json() == {
        "changes": [],
        "cursor": read["changes_cursor"],
        "pagination": {"next": None, "per_page": 20},
    }
    assert response.header("Cache-Control") == PUBLIC_CACHE
    assert feed(api, agenda["slug"], read["changes_cursor"]).json()["changes"] == []


def test_every_committed_write_is_one_change_in_commit_order(api, owner):
    agenda = create_agenda(api, owner, published=True)
    aid = agenda["id"]
    start = full(api, aid, owner["headers"])["changes_cursor"]

    track = create_track(api, owner, aid)
    speaker = create_speaker(api, owner, aid, email="ada@example.com")
    session = create_session(api, owner, aid, track_id=track["id"], speaker_ids=[speaker["id"]])
    path = content_path(aid, "sessions", session["id"])
    assert api.request("PATCH", path, json_body={"title": "Renamed"}, headers=owner["headers"]).status == 200
    assert (
        api.request(
            "PATCH", f"/v1/agendas/{aid}", json_body={"location": "Lisbon"}, headers=owner["headers"]
        ).status
        == 200
    )
    assert api.request("DELETE", path, headers=owner["headers"]).status == 204

    changes, _ = all_changes(api, aid, start, owner["headers"])

    assert [(c["type"], c["id"], c["action"], c["version"]) for c in changes] == [
        ("track", track["id"], "upserted", 2),
        ("speaker", speaker["id"], "upserted", 3),
        ("session", session["id"], "upserted", 4),
        ("session", session["id"], "upserted", 5),
        ("agenda", aid, "upserted", 6),
        ("session", session["id"], "deleted", 7),
    ]
    assert changes[3]["object"]["title"] == "Renamed"  # each object as of its change
    assert changes[2]["object"]["title"] == session["title"]
    assert changes[1]["object"]["email"] == "ada@example.com"  # members see what members see
    assert "object" not in changes[5]
    assert full(api, aid, owner["headers"])["version"] == 7


def test_a_write_that_fails_records_nothing(api, owner):
    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    before = full(api, aid, owner["headers"])
    session = create_session(api, owner, aid)
    stale = '"999999.x"'

    refused = [
        api.request(
            "POST",
            content_path(aid, "sessions"),
            json_body=session_body(track_id="trk_01JQ0000000000000000000000"),
            headers=owner["headers"],
        ),
        api.request(
            "POST",
            content_path(aid, "sessions"),
            json_body=session_body(start_at="2030-01-01T10:00:00Z", end_at="2030-01-01T11:00:00Z"),
            headers=owner["headers"],
        ),
        api.request(
            "PUT",
            content_path(aid, "sessions", session["id"]),
            json_body=session_body(),
            headers={**owner["headers"], "If-Match": stale},
        ),
        api.request("DELETE", f"/v1/agendas/{aid}", headers={**owner["headers"], "If-Match": stale}),
        api.request(
            "PATCH",
            f"/v1/agendas/{aid}",
            json_body={"duration": 1, "start_at": "2031-01-01", "timezone": "UTC"},
            headers=owner["headers"],
        ),
    ]

    assert [r.status for r in refused] == [422, 422, 412, 412, 422]
    changes, _ = all_changes(api, aid, before["changes_cursor"], owner["headers"])
    assert [(c["type"], c["version"]) for c in changes] == [("session", 2)]
    assert full(api, aid, owner["headers"])["version"] == 2


def test_the_public_sees_public_shapes_of_a_published_agenda_only(api, owner):
    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    start = full(api, aid, owner["headers"])["changes_cursor"]
    create_speaker(api, owner, aid, email="secret@example.com")

    hidden = feed(api, aid, start)
    api.request("PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=owner["headers"])
    shown = feed(api, aid, start)
    member = feed(api, aid, start, owner["headers"])

    assert hidden.status == 404
    assert shown.status == 200 and shown.header("Cache-Control") == PUBLIC_CACHE
    assert [c["type"] for c in shown.json()["changes"]] == ["speaker", "agenda"]
    assert "email" not in shown.json()["changes"][0]["object"]
    assert member.json()["changes"][0]["object"]["email"] == "secret@example.com"
    assert member.header("Cache-Control") == "private, no-store"
    assert shown.json()["changes"][1]["object"]["published"] is True


def test_if_none_match_is_a_304_until_the_agenda_changes(api, owner):
    agenda = create_agenda(api, owner, published=True)
    aid = agenda["id"]
    start = full(api, aid)["changes_cursor"]
    first = feed(api, aid, start)

    again = feed(api, aid, start, {"If-None-Match": first.header("ETag")})
    create_track(api, owner, aid)
    after = feed(api, aid, start, {"If-None-Match": first.header("ETag")})

    assert first.status == 200 and first.json()["changes"] == []
    assert again.status == 304 and again.body in ("", b"")
    assert after.status == 200 and len(after.json()["changes"]) == 1
    assert after.header("ETag") != first.header("ETag")


@pytest.mark.parametrize("junk", ["junk", "a.b", "", "%2C+", "x" * 3000])
def test_a_malformed_cursor_is_a_400(api, owner, junk):
    agenda = create_agenda(api, owner, published=True)

    response = api.request("GET", f"/v1/agendas/{agenda['id']}/changes?since={junk}")

    assert response.status == 400, response.body
    assert response.header("Content-Type") == "application/problem+json"
    if junk and len(junk) < 2048:
        assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("since", ["0", "junk"])
def test_an_unknown_slug_is_a_404_whatever_the_cursor(api, owner, since):
    # Found by fuzzing: an unknown slug with a cursor was a 500.
    response = api.request("GET", f"/v1/agendas/no-such-slug/changes?since={since}")

    assert response.status == 404, response.body
    assert response.json()["code"] == "not_found"


def test_a_tampered_or_foreign_cursor_is_a_400_invalid_cursor(api, owner):
    mine = create_agenda(api, owner, published=True)
    other = create_agenda(api, owner, published=True)
    cursor = full(api, mine["id"])["changes_cursor"]
    payload, signature = cursor.split(".")
    tampered = f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"

    foreign = feed(api, other["id"], cursor)
    forged = feed(api, mine["id"], tampered)

    assert [foreign.status, forged.status] == [400, 400]
    assert foreign.json()["code"] == forged.json()["code"] == "invalid_cursor"


def test_a_cursor_older_than_the_log_keeps_is_410_once_changes_followed_it(api, owner, monkeypatch):
    from agenda_core.services import changes

    agenda = create_agenda(api, owner, published=True)
    aid = agenda["id"]
    idle = full(api, aid)["changes_cursor"]
    other = create_agenda(api, owner, published=True)
    old = full(api, other["id"])["changes_cursor"]
    create_track(api, owner, other["id"])
    later = changes._now() + 36 * 86400
    monkeypatch.setattr(changes, "_now", lambda: later)

    expired = feed(api, other["id"], old)
    nothing_missed = feed(api, aid, idle)

    assert expired.status == 410, expired.body
    assert expired.json()["code"] == "cursor_expired"
    assert nothing_missed.status == 200 and nothing_missed.json()["changes"] == []


def test_concurrent_writers_get_gap_free_versions_and_every_acknowledged_write_is_recorded_once(
    aws, api, owner, atomic_requests
):
    from tests.conftest import new_gateway

    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    start = full(api, aid, owner["headers"])["changes_cursor"]
    containers = [new_gateway(aws) for _ in range(4)]
    acknowledged: list[str] = []
    barrier = threading.Barrier(len(containers), timeout=60)

    def write(container: Any) -> None:
        barrier.wait()
        for _ in range(5):
            response = container.request(
                "POST", content_path(aid, "tracks"), json_body={"name": "T"}, headers=owner["headers"]
            )
            if response.status == 201:
                acknowledged.append(response.json()["id"])

    threads = [threading.Thread(target=write, args=(c,)) for c in containers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    changes, _ = all_changes(api, aid, start, owner["headers"])
    assert [c["version"] for c in changes] == list(range(2, 2 + len(changes)))
    assert sorted(c["id"] for c in changes) == sorted(acknowledged)
    assert len(acknowledged) >= 1
    assert full(api, aid, owner["headers"])["version"] == 1 + len(acknowledged)


# --- the property: old full read + changes == new full read ------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_KINDS = ("sessions", "speakers", "tracks")
_OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(("create", "patch", "put", "delete", "agenda")),
        st.sampled_from(_KINDS),
        st.integers(0, 7),
    ),
    min_size=1,
    max_size=12,
)


def _body(plural: str, n: int, existing: dict[str, list[str]]) -> dict[str, Any]:
    if plural == "sessions":
        hour = 9 + n % 8
        body = session_body(
            start_at=f"2027-03-11T{hour:02d}:00:00+01:00", end_at=f"2027-03-11T{hour:02d}:30:00+01:00"
        )
        if existing["speakers"]:
            body["speaker_ids"] = [existing["speakers"][n % len(existing["speakers"])]]
        if existing["tracks"] and n % 2:
            body["track_id"] = existing["tracks"][n % len(existing["tracks"])]
        return body
    if plural == "speakers":
        return {"name": f"Speaker {n}", "email": f"s{n}@example.com", "bio": "x" * n}
    return {"name": f"Track {n}", "position": n}


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations=_OPERATIONS)
def test_an_old_full_read_plus_the_changes_is_the_new_full_read(api, owner, operations):
    agenda = create_agenda(api, owner, published=True)
    aid = agenda["id"]
    member_before, public_before = full(api, aid, owner["headers"]), full(api, aid)
    existing: dict[str, list[str]] = {plural: [] for plural in _KINDS}
    for step, (operation, plural, n) in enumerate(operations):
        ids = existing[plural]
        target = ids[n % len(ids)] if ids else None
        if operation == "agenda":
            response = api.request(
                "PATCH",
                f"/v1/agendas/{aid}",
                json_body={"description": f"step {step}"},
                headers=owner["headers"],
            )
        elif operation == "create" or target is None:
            response = api.request(
                "POST",
                content_path(aid, plural),
                json_body=_body(plural, n, existing),
                headers=owner["headers"],
            )
            if response.status == 201:
                ids.append(response.json()["id"])
        elif operation == "delete":
            response = api.request("DELETE", content_path(aid, plural, target), headers=owner["headers"])
            if response.status == 204:
                ids.remove(target)
        else:
            method, body = (
                ("PUT", _body(plural, n + step, existing))
                if operation == "put"
                else ("PATCH", {"name" if plural != "sessions" else "title": f"Step {step}"})
            )
            response = api.request(
                method, content_path(aid, plural, target), json_body=body, headers=owner["headers"]
            )
        assert response.status in (200, 201, 204, 409), response.body  # 409: still in use

    for headers, before in ((owner["headers"], member_before), ({}, public_before)):
        changes, cursor = all_changes(api, aid, before["changes_cursor"], headers)
        after = full(api, aid, headers)
        assert comparable(applied(before, changes, cursor)) == comparable(after)
        assert cursor == after["changes_cursor"]


def _events(agenda_id: str) -> list[str]:
    """The webhook events the change log holds for the agenda, in commit order."""
    from agenda_core.db import keys
    from agenda_core.db.commits import ChangeRecord

    return [str(r.event) for r in ChangeRecord.query(keys.changes_pk(agenda_id), consistent_read=True)]


def test_each_change_records_the_webhook_event_it_is(api, owner):
    agenda = create_agenda(api, owner)
    aid, headers = agenda["id"], owner["headers"]
    track = create_track(api, owner, aid)
    path = f"/v1/agendas/{aid}/tracks/{track['id']}"

    answers = [
        api.request("PATCH", path, json_body={"name": "Renamed"}, headers=headers),
        api.request("PUT", path, json_body={"name": "Replaced"}, headers=headers),
        api.request("PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=headers),
        api.request("PATCH", f"/v1/agendas/{aid}", json_body={"published": True}, headers=headers),
        api.request("PATCH", f"/v1/agendas/{aid}", json_body={"name": "Renamed"}, headers=headers),
        api.request(
            "PATCH",
            f"/v1/agendas/{aid}",
            json_body={"published": False, "slug": f"moved-{aid[-6:].lower()}"},
            headers=headers,
        ),
        api.request("DELETE", path, headers=headers),
    ]
    deleted = api.request("DELETE", f"/v1/agendas/{aid}", headers=headers)

    assert [a.status for a in answers] == [200, 200, 200, 200, 200, 200, 204], [a.body for a in answers]
    assert deleted.status == 204
    assert _events(aid) == [
        "agenda.created",
        "track.created",
        "track.updated",
        "track.updated",
        "agenda.published",
        "agenda.updated",  # published again: no change of state, an update all the same
        "agenda.updated",
        "agenda.unpublished",  # with a new slug: the careful path
        "track.deleted",
        "agenda.deleted",
    ]


def test_an_agenda_change_records_the_agenda_as_that_change_left_it(api, owner):
    from agenda_core.db import keys
    from agenda_core.db.commits import ChangeRecord

    agenda = create_agenda(api, owner)
    aid, headers = agenda["id"], owner["headers"]
    seen = {agenda["version"]: agenda}
    for body in (
        {"name": "Second"},
        {"published": True},
        {"slug": f"s-{aid[-8:].lower()}", "location": "Hall"},
    ):
        answer = api.request("PATCH", f"/v1/agendas/{aid}", json_body=body, headers=headers)
        assert answer.status == 200, answer.body
        seen[answer.json()["version"]] = answer.json()
    create_track(api, owner, aid)  # a content change: the agenda's state is not its to record

    records = {int(r.version): r for r in ChangeRecord.query(keys.changes_pk(aid), consistent_read=True)}
    stored = ("id", "slug", "name", "location", "published", "start_at", "duration", "timezone", "version")

    assert sorted(seen) == [v for v, r in sorted(records.items()) if r.kind == "agenda"]
    for version, read in seen.items():
        state = (
            records[version].state.as_dict()
            if hasattr(records[version].state, "as_dict")
            else records[version].state
        )
        assert {k: read.get(k) for k in stored} == {k: state.get(k) for k in stored}
        assert state["updated_at"] == read["updated_at"]
        assert not {"roles", "cursor_key", "pk", "sk"} & set(state)
