"""Each agenda signs its cursors with a key of its own (services/cursor_keys.py, API.md §1, §5).

The key rides on the agenda item every agenda-scoped read fetches, so the public's paged lists
and change feed sign and check cursors with no Secrets Manager call; a cursor of one agenda is
foreign to every other; a forged position is refused before anything is answered; an agenda
whose item predates its key keeps working on the service's key. The key itself never leaves the
table (the canary watch, tests/canaries.py, holds every one the code uses).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from agenda_core.db.cursors import _b64, _unb64
from tests.builders import create_agenda, create_track, sign_up


@pytest.fixture
def owner(api: Any) -> dict[str, Any]:
    return sign_up(api)


def _local(url: str) -> str:
    """An absolute link of the API as the path the gateway takes."""
    return url[url.index("/v1/") :]


def _follow(api: Any, path: str, plural: str) -> list[str]:
    """Every id of a list, page by page (per_page=2), anonymously."""
    ids: list[str] = []
    url: str | None = f"{path}?per_page=2"
    while url:
        response = api.request("GET", url)
        assert response.status == 200, response.body
        body = response.json()
        ids += [item["id"] for item in body[plural]]
        url = body["pagination"]["next"] and _local(body["pagination"]["next"])
    return ids


def test_the_public_pages_lists_and_the_feed_with_no_secrets_manager_call(api, owner, aws_calls):
    agenda = create_agenda(api, owner, published=True)
    aid = agenda["id"]
    tracks = [create_track(api, owner, aid)["id"] for _ in range(5)]
    start = api.request("GET", f"/v1/agendas/{aid}").json()["changes_cursor"]
    create_track(api, owner, aid)
    create_track(api, owner, aid)
    aws_calls.clear()

    listed = _follow(api, f"/v1/agendas/{aid}/tracks", "tracks")
    changes = api.request("GET", f"/v1/agendas/{aid}/changes?since={start}&per_page=1")
    following = api.request("GET", _local(changes.json()["pagination"]["next"]))

    assert set(tracks) < set(listed) and len(listed) == 7
    assert changes.status == following.status == 200
    assert [c["type"] for c in changes.json()["changes"]] == ["track"]
    assert not [call for call in aws_calls if call.startswith("secretsmanager:")], aws_calls


def test_a_cursor_of_one_agenda_is_foreign_to_another_even_for_the_same_query(api, owner):
    first = create_agenda(api, owner, published=True)
    second = create_agenda(api, owner, published=True)
    for agenda in (first, second):
        for _ in range(3):
            create_track(api, owner, agenda["id"])
    page = api.request("GET", f"/v1/agendas/{first['id']}/tracks?per_page=2").json()
    cursor = page["pagination"]["next"].split("cursor=", 1)[1].split("&", 1)[0]

    replayed = api.request("GET", f"/v1/agendas/{second['id']}/tracks?per_page=2&cursor={cursor}")

    assert replayed.status == 400 and replayed.json()["code"] == "invalid_cursor"


def _forge(cursor: str, position: dict[str, Any], key: bytes) -> str:
    """``cursor``'s query fingerprint with another position, signed with ``key``."""
    payload = json.loads(_unb64(cursor.split(".")[0]))
    forged = json.dumps({"k": position, "q": payload["q"]}, separators=(",", ":")).encode()
    return f"{_b64(forged)}.{_b64(hmac.new(key, forged, hashlib.sha256).digest()[:16])}"


def test_a_forged_feed_position_is_refused_before_any_change_is_answered(api, owner):
    agenda = create_agenda(api, owner, published=True)
    aid = agenda["id"]
    cursor = api.request("GET", f"/v1/agendas/{aid}").json()["changes_cursor"]
    create_track(api, owner, aid, name="Not for forgers")
    claimed = json.loads(_unb64(cursor.split(".")[0]))

    forged = _forge(cursor, claimed["k"], b"k" * 32)  # the right position, the wrong key
    response = api.request("GET", f"/v1/agendas/{aid}/changes?since={forged}")
    revalidated = api.request(
        "GET", f"/v1/agendas/{aid}/changes?since={forged}", headers={"If-None-Match": "*"}
    )

    assert response.status == 400 and response.json()["code"] == "invalid_cursor"
    assert "Not for forgers" not in str(response.body)
    assert revalidated.status == 400


def test_an_agenda_whose_item_has_no_key_signs_with_the_service_key(api, owner):
    from agenda_core.db import keys
    from agenda_core.db.records import AgendaRecord
    from agenda_core.services.agenda_partition import forget_remembered

    agenda = create_agenda(api, owner, published=True)
    aid = agenda["id"]
    for _ in range(3):
        create_track(api, owner, aid)
    record = AgendaRecord(keys.agenda_pk(aid), keys.AGENDA_SK)
    record.update(actions=[AgendaRecord.cursor_key.remove()])
    forget_remembered()  # a container that never saw the key

    listed = _follow(api, f"/v1/agendas/{aid}/tracks", "tracks")
    now = api.request("GET", f"/v1/agendas/{aid}/changes").json()["cursor"]
    feed = api.request("GET", f"/v1/agendas/{aid}/changes?since={now}")

    assert len(listed) == 3
    assert feed.status == 200 and feed.json()["changes"] == []
