"""A path parameter holding a control character names nothing (found by the stateful run:
Powertools' route patterns end in `$`, which also matches before a trailing newline, so
`/v1/agendas/%0A` used to reach the collection's handlers)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import Account


@pytest.fixture(scope="module")
def agenda(gateway: Any, account: Account) -> dict[str, Any]:
    body = {"name": "Known problems", "start_at": "2027-03-10", "duration": 1}
    created = gateway.request("POST", "/v1/agendas", json_body=body, headers=account.headers)
    assert created.status == 201, created.body
    return dict(created.json())


@pytest.mark.parametrize(
    ("method", "path", "collection_methods"),
    [
        ("GET", "/v1/agendas/%0A", "GET, POST"),
        ("POST", "/v1/agendas/%0A", "GET, POST"),
        ("PUT", "/v1/agendas/%0A", "GET, POST"),
        ("DELETE", "/v1/agendas/%0A", "GET, POST"),
        ("GET", "/v1/agendas/{agenda_id}/members/%0A", "GET, POST"),
        ("DELETE", "/v1/agendas/{agenda_id}/members/%0A", "GET, POST"),
        ("GET", "/v1/users/me/tokens/%0A", "GET, POST"),
        ("DELETE", "/v1/users/me/tokens/%0A", "GET, POST"),
        ("GET", "/v1/docs/%0A", "GET"),
    ],
)
def test_a_path_parameter_that_is_a_newline_is_not_the_collection(
    gateway: Any, account: Account, agenda: dict[str, Any], method: str, path: str, collection_methods: str
) -> None:
    body = {"name": "x", "start_at": "2027-03-10", "duration": 1} if method in {"POST", "PUT"} else None
    response = gateway.request(
        method, path.format(agenda_id=agenda["id"]), json_body=body, headers=account.headers
    )

    # An id that names nothing (404), or a method the item does not have (405, with its methods).
    assert response.status in {404, 405}, response.body
    assert response.header("Allow") != collection_methods
