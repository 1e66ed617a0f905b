"""The whole agenda in one read (API.md §3, §4): every kind of content, built on the hot path
without pydantic (services/agendas.py ``_full_body``), must be exactly what the documented models
say and exactly what the single-item routes answer."""

from __future__ import annotations

from typing import Any

from agenda_core.schemas.agendas import AgendaFull
from tests.builders import (
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


def _get(api: Any, path: str, who: dict[str, Any] | None = None) -> Any:
    response = api.request("GET", path, headers=who["headers"] if who else {})
    assert response.status == 200, response.body
    return response.json()


def _populated(api: Any, owner: dict[str, Any], *, clash: bool) -> dict[str, Any]:
    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    track = create_track(api, owner, aid, color="#AA0000", position=2, description="Main track")
    create_track(api, owner, aid, name="Zeta")  # no position: sorts after positioned ones
    venue = create_venue(api, owner, aid, capacity=120, position=1)
    category = create_category(api, owner, aid, color="#00aa00")
    ada = create_speaker(
        api,
        owner,
        aid,
        name="Ada",
        email="ada@example.com",
        bio="Counts.",
        links=[{"title": "home", "url": "https://example.com/ada"}],
    )
    bob = create_speaker(api, owner, aid, name="Bob")
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
        description="Welcome.",
    )
    create_session(
        api,
        owner,
        aid,
        start_at="2027-03-10T10:00:00Z" if not clash else "2027-03-10T09:30:00Z",
        end_at="2027-03-10T11:00:00Z",
        track_id=track["id"],
        venue_id=venue["id"],
        speaker_ids=[ada["id"]],
        status="cancelled" if not clash else "confirmed",
    )
    return agenda


def test_the_full_agenda_is_what_the_models_document_for_every_audience(api: Any) -> None:
    owner, viewer = sign_up(api), sign_up(api)
    agenda = _populated(api, owner, clash=True)
    add_member(api, owner, agenda, viewer, "viewer")
    for who in (owner, viewer):
        body = _get(api, f"/v1/agendas/{agenda['id']}", who)
        # Validating and dumping again changes nothing: no extra, missing or mistyped field, and
        # empty optional fields left out exactly as PublicModel leaves them out.
        assert AgendaFull.model_validate(body).model_dump(mode="json") == body
        assert [len(body[k]) for k in ("sessions", "speakers", "tracks", "venues", "categories")] == [
            2,
            2,
            2,
            1,
            1,
        ]
        assert [c["code"] for c in body["conflicts"]] == ["speaker_overlap", "venue_overlap"]
        assert body["speakers"][0]["email"] == "ada@example.com"


def test_each_entry_of_the_full_agenda_is_what_its_own_route_answers(api: Any) -> None:
    owner = sign_up(api)
    agenda = _populated(api, owner, clash=True)
    full = _get(api, f"/v1/agendas/{agenda['id']}", owner)
    for plural in ("sessions", "speakers", "tracks", "venues", "categories"):
        for entry in full[plural]:
            assert _get(api, content_path(agenda["id"], plural, entry["id"]), owner) == entry
        # ... and the list route answers the same objects in the same order.
        listed = _get(api, content_path(agenda["id"], plural), owner)
        assert listed[plural] == full[plural]


def test_the_public_sees_no_emails_and_no_conflicts(api: Any) -> None:
    owner = sign_up(api)
    agenda = _populated(api, owner, clash=False)  # the second session is cancelled: publishable
    published = api.request(
        "PATCH", f"/v1/agendas/{agenda['id']}", json_body={"published": True}, headers=owner["headers"]
    )
    assert published.status == 200, published.body
    public = _get(api, f"/v1/agendas/{agenda['id']}")
    assert AgendaFull.model_validate(public).model_dump(mode="json") == public
    assert "conflicts" not in public
    assert all("email" not in speaker for speaker in public["speakers"])
    assert all("conflicts" not in session for session in public["sessions"])
    member_view = _get(api, f"/v1/agendas/{agenda['id']}", owner)
    assert [s.get("email") for s in member_view["speakers"]] == ["ada@example.com", None]
    # Apart from what only members see, both audiences get the same content.
    for plural in ("sessions", "tracks", "venues", "categories"):
        assert public[plural] == member_view[plural]
