"""Idempotency-Key on creating POSTs (API.md §1, RELIABILITY.md)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.builders import agenda_body, sign_up


@pytest.fixture
def owner(api):
    return sign_up(api)


def test_same_key_and_body_replays_the_first_answer(api, owner):
    body = agenda_body(published=True)
    headers = {**owner["headers"], "Idempotency-Key": "create-1"}

    first = api.request("POST", "/v1/agendas", json_body=body, headers=headers)
    replays = [api.request("POST", "/v1/agendas", json_body=body, headers=headers) for _ in range(20)]

    assert first.status == 201 and first.header("Idempotent-Replayed") is None
    for replay in replays:
        assert (replay.status, replay.json()) == (201, first.json())
        assert replay.header("Idempotent-Replayed") == "true"
        assert replay.header("Location") == first.header("Location")
        assert replay.header("ETag") == first.header("ETag")
    listed = api.request("GET", "/v1/agendas").json()["agendas"]
    assert [a["id"] for a in listed] == [first.json()["id"]]  # no double effect


def test_same_key_with_another_body_is_a_422(api, owner):
    headers = {**owner["headers"], "Idempotency-Key": "create-2"}
    api.request("POST", "/v1/agendas", json_body=agenda_body(name="A"), headers=headers)

    response = api.request("POST", "/v1/agendas", json_body=agenda_body(name="B"), headers=headers)

    assert response.status == 422
    assert response.json()["code"] == "idempotency_key_reused"


def test_keys_are_scoped_to_the_caller(api, owner):
    other = sign_up(api)
    body = agenda_body(name="Shared key")

    mine = api.request(
        "POST", "/v1/agendas", json_body=body, headers={**owner["headers"], "Idempotency-Key": "k"}
    )
    theirs = api.request(
        "POST", "/v1/agendas", json_body=body, headers={**other["headers"], "Idempotency-Key": "k"}
    )

    assert (mine.status, theirs.status) == (201, 201)
    assert theirs.header("Idempotent-Replayed") is None
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ünïcode"])
def test_a_malformed_key_is_a_400(api, owner, key):
    response = api.request(
        "POST", "/v1/agendas", json_body=agenda_body(), headers={**owner["headers"], "Idempotency-Key": key}
    )

    assert response.status == 400
    assert response.json()["code"] == "invalid_idempotency_key"


def test_concurrent_requests_with_one_key_execute_once(api, aws, monkeypatch, owner):
    """20 containers race one key: the first runs, the others get 409 while it runs, and every
    later request replays its answer. The create is held open so the race is real."""
    from agenda_core.services import agendas
    from tests.conftest import new_gateway

    containers = [new_gateway(aws) for _ in range(20)]
    started, release, executions = threading.Event(), threading.Event(), []
    original = agendas.create_agenda

    def held_open(*args, **kwargs):
        executions.append(1)
        started.set()
        assert release.wait(10)
        return original(*args, **kwargs)

    monkeypatch.setattr(agendas, "create_agenda", held_open)
    body, headers = agenda_body(published=True), {**owner["headers"], "Idempotency-Key": "race"}
    with ThreadPoolExecutor(max_workers=20) as pool:
        first = pool.submit(containers[0].request, "POST", "/v1/agendas", json_body=body, headers=headers)
        assert started.wait(10)
        racing = list(
            pool.map(
                lambda c: c.request("POST", "/v1/agendas", json_body=body, headers=headers), containers[1:]
            )
        )
        release.set()
        winner = first.result()
    replay = containers[5].request("POST", "/v1/agendas", json_body=body, headers=headers)

    assert winner.status == 201
    assert [(r.status, r.json()["code"]) for r in racing] == [(409, "idempotency_in_progress")] * 19
    assert (replay.status, replay.json(), replay.header("Idempotent-Replayed")) == (
        201,
        winner.json(),
        "true",
    )
    assert len(executions) == 1
    assert [a["id"] for a in api.request("GET", "/v1/agendas").json()["agendas"]] == [winner.json()["id"]]
