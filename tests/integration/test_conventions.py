"""API.md §1 conventions every route shares: media types, limits, methods, headers, CORS."""

from __future__ import annotations

import json

from tests.builders import PRIVATE_CACHE, PUBLIC_CACHE, agenda_body, create_agenda, sign_up


def test_public_answers_are_cacheable_and_everything_else_private_and_all_vary_by_caller(api):
    """API.md §1 "caching": what anyone may read is public (stale while revalidating or while the
    origin fails), everything else private and never stored, errors included."""
    owner = sign_up(api)
    agenda = create_agenda(api, owner, published=True)
    path = f"/v1/agendas/{agenda['id']}"

    answers = {
        "anonymous read": api.request("GET", path),
        "anonymous 304": api.request(
            "GET", path, headers={"If-None-Match": api.request("GET", path).header("ETag")}
        ),
        "anonymous list": api.request("GET", "/v1/agendas"),
        "member read": api.request("GET", path, headers=owner["headers"]),
        "profile": api.request("GET", "/v1/users/me", headers=owner["headers"]),
        "not found": api.request("GET", "/v1/agendas/nope"),
        "refused write": api.request("DELETE", path),
    }

    assert {
        name: (answer.status, answer.header("Cache-Control"), answer.header("Vary"))
        for name, answer in answers.items()
    } == {
        # The public snapshot is served gzip or plain: caches must key on Accept-Encoding too.
        "anonymous read": (200, PUBLIC_CACHE, "Authorization, Accept-Encoding"),
        "anonymous 304": (304, PUBLIC_CACHE, "Authorization, Accept-Encoding"),
        "anonymous list": (200, PUBLIC_CACHE, "Authorization"),
        "member read": (200, PRIVATE_CACHE, "Authorization"),
        "profile": (200, PRIVATE_CACHE, "Authorization"),
        "not found": (404, PRIVATE_CACHE, "Authorization"),
        "refused write": (401, PRIVATE_CACHE, "Authorization"),
    }


def test_every_response_carries_request_id_and_nosniff(api):
    for method, path in (("GET", "/v1/health"), ("GET", "/v1/agendas/nope"), ("POST", "/v1/users")):
        response = api.request(method, path, json_body={} if method == "POST" else None)
        assert response.header("X-Request-Id")
        assert response.header("X-Content-Type-Options") == "nosniff"


def test_problem_details_have_the_documented_shape(api):
    response = api.request("GET", "/v1/agendas/agd_01HZZZZZZZZZZZZZZZZZZZZZZZ")

    assert response.status == 404
    assert response.header("Content-Type") == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No agenda with this id or slug.",
        "instance": "/v1/agendas/agd_01HZZZZZZZZZZZZZZZZZZZZZZZ",
        "code": "not_found",
        "request_id": response.header("X-Request-Id"),
    }


def test_a_body_that_is_not_json_is_a_415(api):
    account = sign_up(api)

    response = api.request(
        "POST",
        "/v1/agendas",
        body=b"name=x",
        headers={**account["headers"], "Content-Type": "application/x-www-form-urlencoded"},
    )
    merge_patch_on_post = api.request(
        "POST",
        "/v1/agendas",
        body=json.dumps(agenda_body()).encode(),
        headers={**account["headers"], "Content-Type": "application/merge-patch+json"},
    )

    assert (response.status, merge_patch_on_post.status) == (415, 415)
    assert response.json()["code"] == "unsupported_media_type"


def test_malformed_json_is_a_400(api):
    response = api.request(
        "POST", "/v1/users", body=b'{"email": ', headers={"Content-Type": "application/json"}
    )

    assert response.status == 400
    assert response.json()["code"] == "malformed_json"


def test_a_body_over_64_kib_is_a_413_before_anything_else(api):
    account = sign_up(api)
    body = agenda_body(description="x" * (65 * 1024))

    response = api.request("POST", "/v1/agendas", json_body=body, headers=account["headers"])

    assert response.status == 413
    assert response.json()["code"] == "payload_too_large"
    assert api.request("GET", "/v1/agendas").json()["agendas"] == []


def test_a_wrong_method_is_a_405_with_allow(api):
    response = api.request("DELETE", "/v1/agendas")

    assert response.status == 405
    assert response.header("Allow") == "GET, POST"
    assert response.json()["code"] == "method_not_allowed"


def test_an_unknown_path_is_a_404_problem(api):
    response = api.request("GET", "/v1/nothing-here")

    assert response.status == 404
    assert response.header("Content-Type") == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_cors_only_for_allow_listed_origins(api):
    allowed = api.request("GET", "/v1/agendas", headers={"Origin": "https://app.example.com"})
    other = api.request("GET", "/v1/agendas", headers={"Origin": "https://evil.example"})
    preflight = api.request(
        "OPTIONS",
        "/v1/agendas",
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
    )

    assert allowed.header("Access-Control-Allow-Origin") == "https://app.example.com"
    assert "ETag" in allowed.header("Access-Control-Expose-Headers")
    assert allowed.header("Vary") == "Authorization, Origin"
    assert other.header("Access-Control-Allow-Origin") is None
    assert other.header("Vary") == "Authorization"
    assert preflight.status == 204
    assert preflight.header("Access-Control-Allow-Methods") == "GET, POST, OPTIONS"
    assert "Idempotency-Key" in preflight.header("Access-Control-Allow-Headers")


def test_health_touches_every_dependency(api):
    response = api.request("GET", "/v1/health")

    assert response.status == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"dynamodb": "ok", "idempotency_store": "ok", "secrets": "ok"},
    }


def test_health_is_503_naming_the_dependency_that_failed(api, aws):
    import boto3

    boto3.client("dynamodb").delete_table(TableName=aws["IdempotencyTable"])

    response = api.request("GET", "/v1/health")

    assert response.status == 503
    assert response.header("Retry-After") == "5"
    body = response.json()
    assert (body["code"], body["status"], body["checks"]) == (
        "service_unavailable",
        503,
        {"dynamodb": "ok", "idempotency_store": "unavailable", "secrets": "ok"},
    )


def test_a_bug_is_a_500_problem_that_reveals_nothing(api, monkeypatch):
    from agenda_core.services import agendas

    def broken(**_kwargs):
        raise RuntimeError("secret-internal-detail in AgendaTable")

    monkeypatch.setattr(agendas, "list_published", broken)

    response = api.request("GET", "/v1/agendas")

    assert response.status == 500
    body = response.json()
    assert body == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "Something went wrong on our side.",
        "instance": "/v1/agendas",
        "code": "internal_error",
        "request_id": response.header("X-Request-Id"),
    }
    assert b"secret-internal" not in response.body and b"RuntimeError" not in response.body


def test_dynamodb_throttling_is_a_503_with_retry_after(api):
    from botocore.awsrequest import AWSResponse

    from agenda_core.db.base import TableItem

    api.request("GET", "/v1/agendas")  # creates pynamodb's client
    attempts = []

    def throttle(request, **_kwargs):
        attempts.append(request.url)
        body = b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}'
        return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(body))

    events = TableItem._get_connection().connection.client.meta.events
    events.register_first("before-send.dynamodb", throttle, unique_id="throttle")
    try:
        response = api.request("GET", "/v1/agendas")
    finally:
        events.unregister("before-send.dynamodb", unique_id="throttle")

    assert response.status == 503
    assert response.header("Retry-After") == "1"
    assert response.json()["code"] == "service_unavailable"
    assert len(attempts) == 3  # RELIABILITY.md: standard retries, 3 attempts in all


class _Raw:
    """The smallest raw body botocore's AWSResponse reads."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs):
        yield self._data
