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


def test_an_api_token_whose_answer_was_lost_is_made_once_and_shown_again(api, lost_answers):
    """Only a token's hash is stored; a keyed create derives its secret (services/api_tokens.py),
    so the retry shows the very token the first attempt made, and it works."""
    owner = sign_up(api)
    body = {"name": "CI", "scopes": ["read"]}

    first, retry = _retried(api, lost_answers, "/v1/users/me/tokens", body, owner["headers"])

    assert first.status == 503
    assert retry.status == 201, retry.body
    made = retry.json()
    listed = api.request("GET", "/v1/users/me/tokens", headers=owner["headers"]).json()["tokens"]
    assert [t["id"] for t in listed] == [made["id"]]
    assert retry.header("Location") == made["url"]
    me = api.request("GET", "/v1/users/me", headers={"Authorization": f"Bearer {made['token']}"})
    assert me.status == 200 and me.json()["id"] == owner["user"]["id"]


def test_a_token_deleted_before_the_retry_is_not_shown_again(api, lost_answers):
    owner = sign_up(api)
    keyed = {**owner["headers"], "Idempotency-Key": "deleted-since"}
    body = {"name": "CI", "scopes": ["read"]}
    lost_answers["TransactWriteItems"] = 1
    assert api.request("POST", "/v1/users/me/tokens", json_body=body, headers=keyed).status == 503
    (made,) = api.request("GET", "/v1/users/me/tokens", headers=owner["headers"]).json()["tokens"]
    assert api.request("DELETE", f"/v1/users/me/tokens/{made['id']}", headers=owner["headers"]).status == 204

    retry = api.request("POST", "/v1/users/me/tokens", json_body=body, headers=keyed)

    assert retry.status == 404, retry.body
    assert "token" not in retry.json()
    assert api.request("GET", "/v1/users/me/tokens", headers=owner["headers"]).json()["tokens"] == []


class Killed(BaseException):
    """The container dying mid-request: no handler's `except Exception` sees it."""


def test_a_create_whose_container_died_after_the_commit_is_answered_once_its_deadline_passed(
    api, monkeypatch
):
    """Killed after the commit and before the answer, the create leaves Powertools' record in
    progress: a retry is 409 `idempotency_in_progress` until the invocation's deadline, and then
    meets the create's claim and answers with the session the first attempt made."""
    import datetime as dt

    from aws_lambda_powertools.utilities.idempotency.persistence import dynamodb as store
    from botocore.client import BaseClient

    owner = sign_up(api)
    agenda = create_agenda(api, owner)
    path = f"/v1/agendas/{agenda['id']}/sessions"
    keyed = {**owner["headers"], "Idempotency-Key": "killed-1"}
    real = BaseClient._make_api_call

    def dies_after_the_commit(self: Any, operation_name: str, api_params: Any) -> Any:
        answer = real(self, operation_name, api_params)
        if operation_name == "TransactWriteItems":
            raise Killed
        return answer

    with monkeypatch.context() as dying:
        dying.setattr(BaseClient, "_make_api_call", dies_after_the_commit)
        with pytest.raises(Killed):
            api.request("POST", path, json_body=session_body(title="Once"), headers=keyed)

    early = api.request("POST", path, json_body=session_body(title="Once"), headers=keyed)
    assert early.status == 409 and early.json()["code"] == "idempotency_in_progress"

    class LaterClock(dt.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:  # past any Lambda deadline (at most 15 minutes)
            return dt.datetime.now(tz) + dt.timedelta(minutes=16)

    monkeypatch.setattr(store, "dt", type("LaterDt", (), {"datetime": LaterClock, "timedelta": dt.timedelta}))
    retry = api.request("POST", path, json_body=session_body(title="Once"), headers=keyed)

    assert retry.status == 201, retry.body
    sessions = api.request("GET", path, headers=owner["headers"]).json()["sessions"]
    assert [s["id"] for s in sessions] == [retry.json()["id"]]


def test_an_idempotency_record_that_landed_but_timed_out_does_not_hold_the_retry(api, lost_answers):
    """The in-progress record's put applied, every attempt's answer lost: the create never ran
    (503), and the record is withdrawn, so the retry runs at once rather than meeting 409 until
    the invocation's deadline."""
    owner = sign_up(api)
    agenda = create_agenda(api, owner)
    path = f"/v1/agendas/{agenda['id']}/sessions"
    keyed = {**owner["headers"], "Idempotency-Key": "record-lost-1"}
    lost_answers["PutItem"] = 1

    first = api.request("POST", path, json_body=session_body(title="Once"), headers=keyed)
    assert lost_answers["PutItem"] == 0, "the create put no idempotency record"
    retry = api.request("POST", path, json_body=session_body(title="Once"), headers=keyed)

    assert first.status == 503
    assert retry.status == 201, retry.body
    sessions = api.request("GET", path, headers=owner["headers"]).json()["sessions"]
    assert [s["id"] for s in sessions] == [retry.json()["id"]]


def test_a_sign_up_whose_answer_was_lost_is_answered_with_the_account_it_made(api, lost_answers):
    body = {"email": "once@example.com", "password": "canary: correct horse battery staple", "name": "Once"}

    first, retry = _retried(api, lost_answers, "/v1/users", body, {})

    assert first.status == 503
    assert retry.status == 201, retry.body  # not 409 email_taken: the answer the first attempt lost
    login = api.request("POST", "/v1/auth/token", json_body={k: body[k] for k in ("email", "password")})
    me = api.request(
        "GET", "/v1/users/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert me.json() == retry.json()
