"""The peers `make bench` measures beside ours (bench/peers/) answer the anonymous full-agenda read
with our data: a peer that answered less, or something else, would look cheaper than it is, and
every ratio in bench/RESULTS.md's peers section would compare unlike with unlike."""

from __future__ import annotations

import importlib
import json
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from bench.harness import api_event
from bench.peer_bench import PEERS, Peer, differences
from tests.builders import (
    create_agenda,
    create_category,
    create_session,
    create_speaker,
    create_track,
    create_venue,
    sign_up,
)

# What a peer imports beyond our runtime packages comes with pyproject's `bench` extra, which
# `make bench` installs and `make install` does not: without it, that peer is skipped.
BENCH_EXTRA = {"fastapi": ("fastapi", "mangum"), "chalice": ("chalice",)}
CONTEXT = SimpleNamespace(
    function_name="peer",
    function_version="$LATEST",
    memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:peer",
    aws_request_id="00000000-0000-4000-8000-000000000001",
)


def _published_agenda(api: Any, owner: dict[str, Any]) -> dict[str, Any]:
    """A published agenda with every kind of content and the optional fields filled in or not."""
    agenda = create_agenda(api, owner, published=True, description="Two rooms.", location="Berlin")
    aid = agenda["id"]
    track = create_track(api, owner, aid, color="#AA0000", position=2, description="Main track")
    create_track(api, owner, aid, name="Zeta")
    venue = create_venue(api, owner, aid, capacity=120, position=1)
    category = create_category(api, owner, aid, color="#00aa00")
    ada = create_speaker(
        api,
        owner,
        aid,
        name="Ada",
        email="ada@example.com",  # members only: no peer may show it to an anonymous reader
        bio="Counts.",
        links=[{"title": "home", "url": "https://example.com/ada"}],
    )
    bob = create_speaker(api, owner, aid, name="bob")
    create_session(
        api,
        owner,
        aid,
        title="Opening",
        start_at="2027-03-10T09:00:00Z",
        end_at="2027-03-10T10:00:00Z",
        kind="keynote",
        plenary=True,
        speaker_ids=[bob["id"], ada["id"]],
        category_ids=[category["id"]],
        language="en",
    )
    create_session(
        api,
        owner,
        aid,
        start_at="2027-03-11T10:00:00Z",
        end_at="2027-03-11T11:00:00Z",
        track_id=track["id"],
        venue_id=venue["id"],
        speaker_ids=[ada["id"]],
    )
    return agenda


def _handler(peer: Peer) -> Any:
    """The peer's handler, imported afresh inside the emulated account (its clients are made at
    import, STYLE.md 5.6), as `bench.peers.*` rather than the children's top-level `peers.*`."""
    module_name, _, attribute = peer.handler.rpartition(".")
    for name in [name for name in sys.modules if name.startswith("bench.peers.")]:
        del sys.modules[name]
    return getattr(importlib.import_module(f"bench.{module_name}"), attribute)


@pytest.mark.parametrize("peer", PEERS, ids=[peer.name for peer in PEERS])
def test_each_peer_answers_the_anonymous_full_read_with_our_data(api: Any, peer: Peer) -> None:
    for package in BENCH_EXTRA.get(peer.site or "", ()):
        pytest.importorskip(package, reason="the `bench` extra is not installed (make bench installs it)")
    owner = sign_up(api)
    agenda = _published_agenda(api, owner)
    hidden = create_agenda(api, owner)  # not published: 404 to an anonymous reader
    ours = api.request("GET", f"/v1/agendas/{agenda['id']}")
    assert ours.status == 200, ours.body
    handler = _handler(peer)

    _, event = api_event(api, "GET", f"/v1/agendas/{agenda['id']}")
    response = handler(event, CONTEXT)
    _, unpublished = api_event(api, "GET", f"/v1/agendas/{hidden['id']}")
    refused = handler(unpublished, CONTEXT)

    assert response["statusCode"] == 200, response["body"]
    theirs = json.loads(response["body"])
    assert differences(ours.json(), theirs) == []
    for plural in ("sessions", "speakers", "tracks", "venues", "categories"):
        assert [item["id"] for item in theirs[plural]] == [item["id"] for item in ours.json()[plural]]
    assert [len(theirs[plural]) for plural in ("sessions", "speakers", "tracks")] == [2, 2, 2]
    assert "email" not in json.dumps(theirs["speakers"])
    assert refused["statusCode"] == 404


def test_differences_name_what_a_peer_got_wrong() -> None:
    ours = {
        "id": "agd_1",
        "created_at": "2027-01-01T10:00:00.000Z",
        "sessions": [{"id": "ses_1", "title": "A", "start_at": "2027-03-10T10:00:00+01:00"}],
        "speakers": [{"id": "spk_1"}, {"id": "spk_2"}],
    }
    same = {
        "id": "agd_1",
        "created_at": "2027-01-01T10:00:00Z",  # the same instant, written otherwise
        "description": None,  # empty fields are absent
        "sessions": [{"id": "ses_1", "title": "A", "start_at": "2027-03-10T09:00:00Z", "track_id": None}],
        "speakers": [{"id": "spk_1", "links": []}, {"id": "spk_2"}],
    }
    wrong = {**same, "sessions": [{"id": "ses_1", "title": "B"}], "speakers": [{"id": "spk_2"}]}

    assert differences(ours, same) == []
    assert differences(ours, wrong) == [
        "sessions ses_1 start_at: ours datetime.datetime(2027, 3, 10, 10, 0, "
        "tzinfo=datetime.timezone(datetime.timedelta(seconds=3600))), theirs None",
        "sessions ses_1 title: ours 'A', theirs 'B'",
        "speakers: 1 ids, ours 2, or another order",
    ]
