"""RELIABILITY.md's figures at their stated scale: 1 000 idempotent replays with no double
effect, and 100 racing If-Match pairs with no lost update."""

from __future__ import annotations

import threading

from tests.builders import agenda_body, sign_up
from tests.conftest import new_gateway


def test_a_thousand_replays_have_no_double_effect(api):
    owner = sign_up(api)
    body, headers = agenda_body(published=True), {**owner["headers"], "Idempotency-Key": "one-thousand"}

    first = api.request("POST", "/v1/agendas", json_body=body, headers=headers)
    replays = [api.request("POST", "/v1/agendas", json_body=body, headers=headers) for _ in range(1000)]

    assert first.status == 201
    assert {(r.status, r.body, r.header("Idempotent-Replayed")) for r in replays} == {
        (201, first.body, "true")
    }
    assert [a["id"] for a in api.request("GET", "/v1/agendas?per_page=100").json()["agendas"]] == [
        first.json()["id"]
    ]


def test_a_hundred_racing_if_match_pairs_lose_no_update(api, aws, atomic_requests):
    """Two containers PATCH the same version at once, 100 times: each time exactly one wins, the
    other gets 412, and the agenda holds the winner's value at the winner's version."""

    owner = sign_up(api)
    created = api.request("POST", "/v1/agendas", json_body=agenda_body(), headers=owner["headers"])
    agenda_id, etag = created.json()["id"], created.header("ETag")
    containers = [new_gateway(aws) for _ in range(2)]
    lost = []
    for round_ in range(100):
        # A generous bound: the barrier only waits for the other thread to start.
        barrier, answers = threading.Barrier(2, timeout=120), {}

        def patch(side: int, etag: str, barrier: threading.Barrier, answers: dict, label: str) -> None:
            barrier.wait()
            answers[side] = containers[side].request(
                "PATCH",
                f"/v1/agendas/{agenda_id}",
                json_body={"location": f"{label} side {side}"},
                headers={**owner["headers"], "If-Match": etag},
            )

        threads = [
            threading.Thread(target=patch, args=(side, etag, barrier, answers, f"round {round_}"))
            for side in (0, 1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(answers[side].status for side in (0, 1))
        winner = next(answers[side] for side in (0, 1) if answers[side].status == 200)
        now = api.request("GET", f"/v1/agendas/{agenda_id}", headers=owner["headers"]).json()
        if (
            statuses != [200, 412]
            or now["location"] != winner.json()["location"]
            or now["version"] != round_ + 2
        ):
            lost.append((round_, statuses, now["location"], now["version"]))
        etag = winner.header("ETag")

    assert lost == []
