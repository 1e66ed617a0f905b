"""Exactly-once creates under ambiguity (issue 14 item 2; db/create_claims.py): a create whose
transaction DynamoDB committed but whose answer was lost (a read timeout after the commit, on
every attempt the SDK makes) answers 503; the client's retry with the same `Idempotency-Key`
then yields the object the first attempt made, answered as a clean first try would have been,
and no twin. Without a key a retry is a new create (API.md §1: send one)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ReadTimeoutError

from tests.builders import create_agenda, ready_file, session_body, sign_up


@pytest.fixture
def lost_answers(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """While ``armed["TransactWriteItems"]`` > 0, that many transactions commit and then time out
    (the answer lost on the way back, as a dropped connection loses it)."""
    armed: dict[str, int] = {}
    real = BaseClient._make_api_call

    def call(self: Any, operation_name: str, api_params: Any) -> Any:
        answer = real(self, operation_name, api_params)
        if armed.get(operation_name, 0) > 0:
            armed[operation_name] -= 1
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")
        return answer

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    return armed


def _retried(
    api: Any, armed: dict[str, int], path: str, body: Any, headers: dict[str, str]
) -> tuple[Any, Any]:
    """The create sent twice with one key: the first answer lost after the commit, then the retry."""
    keyed = {**headers, "Idempotency-Key": "exactly-once-1"}
    armed["TransactWriteItems"] = 1
    first = api.request("POST", path, json_body=body, headers=keyed)
    assert armed["TransactWriteItems"] == 0, "the create sent no transaction"
    return first, api.request("POST", path, json_body=body, headers=keyed)


def test_a_session_whose_answer_was_lost_is_made_once(api, lost_answers):
    owner = sign_up(api)
    agenda = create_agenda(api, owner)
    path = f"/v1/agendas/{agenda['id']}/sessions"

    first, retry = _retried(api, lost_answers, path, session_body(title="Once"), owner["headers"])

    assert first.status == 503 and first.header("Retry-After")
    assert retry.status == 201, retry.body
    sessions = api.request("GET", path, headers=owner["headers"]).json()["sessions"]
    assert [s["title"] for s in sessions] == ["Once"]
    made = sessions[0]
    assert retry.json()["id"] == made["id"]
    assert retry.header("Location").endswith(f"{path}/{made['id']}")
    read = api.request("GET", f"{path}/{made['id']}", headers=owner["headers"])
    assert retry.json() == read.json() and retry.header("ETag") == read.header("ETag")
    # A third send replays the stored answer (Powertools' record, completed by the retry).
    again = api.request("POST", path, json_body=session_body(title="Once"), headers={
        **owner["headers"], "Idempotency-Key": "exactly-once-1"})  # fmt: skip
    assert (
        again.status == 201 and again.json() == retry.json() and again.header("Idempotent-Replayed") == "true"
    )


def test_an_agenda_whose_answer_was_lost_is_made_once(api, lost_answers):
    owner = sign_up(api)
    body = {"name": "Once", "slug": "once-only", "start_at": "2027-03-10", "duration": 2, "timezone": "UTC"}

    first, retry = _retried(api, lost_answers, "/v1/agendas", body, owner["headers"])

    assert first.status == 503
    assert retry.status == 201, retry.body
    mine = api.request("GET", "/v1/users/me/agendas", headers=owner["headers"]).json()["agendas"]
    assert [a["id"] for a in mine] == [retry.json()["id"]]
    assert retry.json()["slug"] == "once-only"


def test_an_import_whose_answer_was_lost_is_started_once(api, aws, lost_answers):
    owner = sign_up(api)
    agenda = create_agenda(api, owner)
    schedule = json.dumps({"schedule": {"conference": {"acronym": "once", "title": "Once", "days": []}}})
    upload = ready_file(api, aws, owner, schedule.encode(), "application/json", "schedule_import")
    path = f"/v1/agendas/{agenda['id']}/imports"

    first, retry = _retried(api, lost_answers, path, {"upload_id": upload["id"]}, owner["headers"])

    assert first.status == 503
    assert retry.status == 202, retry.body
    listed = api.request("GET", path, headers=owner["headers"]).json()["imports"]
    assert [i["id"] for i in listed] == [retry.json()["id"]]


def test_without_a_key_a_retry_is_a_new_create(api, lost_answers):
    """Documented (API.md §1, README): a client that may retry a create sends an Idempotency-Key."""
    owner = sign_up(api)
    agenda = create_agenda(api, owner)
    path = f"/v1/agendas/{agenda['id']}/sessions"
    lost_answers["TransactWriteItems"] = 1
    assert api.request("POST", path, json_body=session_body(), headers=owner["headers"]).status == 503
    assert api.request("POST", path, json_body=session_body(), headers=owner["headers"]).status == 201
    assert len(api.request("GET", path, headers=owner["headers"]).json()["sessions"]) == 2


def test_a_webhook_whose_answer_was_lost_is_made_once_and_shows_its_secret_again(api, lost_answers):
    owner = sign_up(api)
    agenda = create_agenda(api, owner)
    path = f"/v1/agendas/{agenda['id']}/webhooks"
    body = {"url": "https://example.com/hook", "events": ["*"]}

    first, retry = _retried(api, lost_answers, path, body, owner["headers"])

    assert first.status == 503
    assert retry.status == 201, retry.body
    assert retry.json()["secret"].startswith("whsec_")
    listed = api.request("GET", path, headers=owner["headers"]).json()["webhooks"]
    assert [w["id"] for w in listed] == [retry.json()["id"]]


def test_an_upload_whose_answer_was_lost_is_asked_for_once(api, lost_answers):
    owner = sign_up(api)
    body = {"purpose": "agenda_icon", "content_type": "image/png", "content_length": 1234}

    first, retry = _retried(api, lost_answers, "/v1/uploads", body, owner["headers"])

    assert first.status == 503
    assert retry.status == 201, retry.body
    made = retry.json()
    assert made["upload"]["fields"]["key"] == f"incoming/{made['id']}"  # a POST for that very upload
    read = api.request("GET", f"/v1/uploads/{made['id']}", headers=owner["headers"])
    assert read.status == 200 and read.json()["status"] == "pending"


def test_a_member_whose_answer_was_lost_is_added_once(api, lost_answers):
    owner, member = sign_up(api), sign_up(api, name="Grace Hopper")
    agenda = create_agenda(api, owner)
    path = f"/v1/agendas/{agenda['id']}/members"
    body = {"email": member["user"]["email"], "role": "editor"}

    first, retry = _retried(api, lost_answers, path, body, owner["headers"])

    assert first.status == 503
    assert retry.status == 201, retry.body  # not 409 member_exists: the answer the first attempt lost
    assert retry.json()["id"] == member["user"]["id"] and retry.json()["role"] == "editor"
    listed = api.request("GET", path, headers=owner["headers"]).json()["members"]
    assert sorted(m["role"] for m in listed) == ["editor", "owner"]
