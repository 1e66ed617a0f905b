"""Webhook subscriptions (API.md §7, services/webhooks.py): owners and editors manage them; the
secret is shown by the create and a rotation only; targets are checked for their form; at most 10
per agenda; each read is one request."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.builders import add_member, create_agenda, sign_up

SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$")
BODY = {"url": "https://example.com/hooks/agenda", "events": ["session.created", "agenda.published"]}


@pytest.fixture
def owner(api: Any) -> dict[str, Any]:
    return sign_up(api)


def _hooks(agenda_id: str) -> str:
    return f"/v1/agendas/{agenda_id}/webhooks"


def _create(api: Any, owner: dict[str, Any], agenda_id: str, **changes: Any) -> Any:
    return api.request("POST", _hooks(agenda_id), json_body={**BODY, **changes}, headers=owner["headers"])


def test_the_secret_is_shown_by_the_create_only_and_reads_are_one_request(api, owner, aws_calls):
    agenda = create_agenda(api, owner)
    created = _create(api, owner, agenda["id"], description="Site rebuild")
    hook = created.json()
    path = f"{_hooks(agenda['id'])}/{hook['id']}"
    aws_calls.clear()

    listed = api.request("GET", _hooks(agenda["id"]), headers=owner["headers"])
    list_calls = [c for c in aws_calls if c.startswith("dynamodb:")]
    aws_calls.clear()
    read = api.request("GET", path, headers=owner["headers"])
    read_calls = [c for c in aws_calls if c.startswith("dynamodb:")]

    assert created.status == 201 and created.header("Location").endswith(path)
    assert SECRET.match(hook["secret"]) and hook["status"] == "active" and hook["active"] is True
    assert hook["events"] == BODY["events"] and hook["description"] == "Site rebuild"
    assert read.status == 200 and read.json() == {k: v for k, v in hook.items() if k != "secret"}
    assert listed.json() == {"webhooks": [read.json()], "pagination": {"next": None, "per_page": 20}}
    assert hook["secret"] not in str(read.body) + str(listed.body)
    assert list_calls == ["dynamodb:Query"] and read_calls == ["dynamodb:BatchGetItem"]


def test_pages_follow_the_cursor_oldest_first(api, owner):
    agenda = create_agenda(api, owner)
    ids = [_create(api, owner, agenda["id"]).json()["id"] for _ in range(5)]

    seen: list[str] = []
    url: str | None = f"{_hooks(agenda['id'])}?per_page=2"
    while url:
        page = api.request("GET", url, headers=owner["headers"]).json()
        seen += [hook["id"] for hook in page["webhooks"]]
        url = (
            page["pagination"]["next"]
            and page["pagination"]["next"][page["pagination"]["next"].index("/v1/") :]
        )

    assert seen == sorted(ids)


@pytest.mark.parametrize(
    ("changes", "pointer", "code"),
    [
        ({"url": "http://example.com/hook"}, "/url", "not_https"),
        ({"url": "https://user:pw@example.com/hook"}, "/url", "userinfo"),
        ({"url": "https://169.254.169.254/latest"}, "/url", "private_address"),
        ({"url": "https://[::ffff:127.0.0.1]/"}, "/url", "private_address"),
        ({"url": "https://x.localhost/"}, "/url", "private_address"),
        ({"events": ["session.created", "session.renamed"]}, "/events/1", "unknown_event"),
    ],
)
def test_a_refused_target_or_event_is_a_422_naming_it_and_creates_nothing(api, owner, changes, pointer, code):
    agenda = create_agenda(api, owner)

    refused = _create(api, owner, agenda["id"], **changes)
    listed = api.request("GET", _hooks(agenda["id"]), headers=owner["headers"])

    assert refused.status == 422 and refused.header("Content-Type") == "application/problem+json"
    assert [(e["pointer"], e["code"]) for e in refused.json()["errors"]] == [(pointer, code)]
    assert listed.json()["webhooks"] == []


def test_an_agenda_has_at_most_ten_and_a_delete_frees_a_place(api, owner):
    agenda = create_agenda(api, owner)
    ids = [_create(api, owner, agenda["id"]).json()["id"] for _ in range(10)]

    eleventh = _create(api, owner, agenda["id"])
    deleted = api.request("DELETE", f"{_hooks(agenda['id'])}/{ids[0]}", headers=owner["headers"])
    again = api.request("DELETE", f"{_hooks(agenda['id'])}/{ids[0]}", headers=owner["headers"])
    replacement = _create(api, owner, agenda["id"])

    assert eleventh.status == 409 and eleventh.json()["code"] == "too_many_webhooks"
    assert deleted.status == 204 and again.status == 404
    assert replacement.status == 201


def test_a_patch_pauses_resumes_and_refuses_null_where_there_is_no_absent_state(api, owner):
    agenda = create_agenda(api, owner)
    hook = _create(api, owner, agenda["id"], description="Old").json()
    path = f"{_hooks(agenda['id'])}/{hook['id']}"

    paused = api.request(
        "PATCH", path, json_body={"active": False, "description": None}, headers=owner["headers"]
    )
    everything = api.request(
        "PATCH", path, json_body={"events": ["*", "session.created"]}, headers=owner["headers"]
    )
    nulled = api.request("PATCH", path, json_body={"url": None}, headers=owner["headers"])
    private = api.request("PATCH", path, json_body={"url": "https://10.0.0.1/"}, headers=owner["headers"])
    resumed = api.request("PATCH", path, json_body={"active": True}, headers=owner["headers"])

    assert paused.status == 200 and paused.json()["status"] == "paused" and "description" not in paused.json()
    assert everything.json()["events"] == ["*"]
    assert nulled.status == 422 and private.status == 422
    assert resumed.json()["status"] == "active" and resumed.json()["url"] == BODY["url"]


def test_a_rotation_shows_a_new_secret_and_keeps_the_old_one_signing_for_a_day(api, owner):
    from agenda_core.db.webhook_records import SECRET_SK, WebhookSecretRecord, webhook_secret_pk

    agenda = create_agenda(api, owner)
    hook = _create(api, owner, agenda["id"]).json()

    rotated = api.request(
        "POST", f"{_hooks(agenda['id'])}/{hook['id']}/rotate-secret", headers=owner["headers"]
    )
    stored = WebhookSecretRecord.get(webhook_secret_pk(hook["id"]), SECRET_SK, consistent_read=True)

    assert rotated.status == 200 and SECRET.match(rotated.json()["secret"])
    assert rotated.json()["secret"] != hook["secret"]
    assert (stored.secret, stored.previous_secret) == (rotated.json()["secret"], hook["secret"])
    assert stored.previous_secret_until > rotated.json()["updated_at"]


def test_editors_manage_them_viewers_and_strangers_do_not(api, owner):
    agenda = create_agenda(api, owner)
    editor, viewer, stranger = sign_up(api), sign_up(api), sign_up(api)
    add_member(api, owner, agenda, editor, "editor")
    add_member(api, owner, agenda, viewer, "viewer")

    by_editor = _create(api, editor, agenda["id"])
    by_viewer = api.request("GET", _hooks(agenda["id"]), headers=viewer["headers"])
    by_stranger = api.request("GET", _hooks(agenda["id"]), headers=stranger["headers"])
    anonymous = api.request("GET", _hooks(agenda["id"]))

    assert by_editor.status == 201
    assert by_viewer.status == 403 and by_viewer.json()["code"] == "insufficient_role"
    assert by_stranger.status == 404 and anonymous.status == 401


def test_deleting_the_agenda_takes_its_subscriptions_and_their_secrets(api, owner):
    from agenda_core.db.webhook_records import SECRET_SK, WebhookSecretRecord, webhook_secret_pk

    agenda = create_agenda(api, owner)
    hook = _create(api, owner, agenda["id"]).json()

    deleted = api.request("DELETE", f"/v1/agendas/{agenda['id']}", headers=owner["headers"])

    assert deleted.status == 204
    assert WebhookSecretRecord.count(webhook_secret_pk(hook["id"]), WebhookSecretRecord.sk == SECRET_SK) == 0
