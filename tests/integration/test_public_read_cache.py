"""The few-seconds memory for anonymous reads of published agendas (http/public_cache.py)."""

from __future__ import annotations

import pytest

from tests.builders import PUBLIC_CACHE, create_agenda, sign_up
from tests.conftest import new_gateway


@pytest.fixture
def cached_api(aws, monkeypatch):
    from agenda_core.settings import get_settings

    monkeypatch.setenv("PUBLIC_READ_CACHE_SECONDS", "60")
    get_settings.cache_clear()
    yield new_gateway(aws)
    get_settings.cache_clear()


def _count_queries(monkeypatch):
    from agenda_core.services import agenda_partition

    calls = []
    original = agenda_partition._content_values
    monkeypatch.setattr(agenda_partition, "_content_values", lambda *a: calls.append(a) or original(*a))
    return calls


def test_anonymous_bursts_are_served_from_memory_members_are_not(cached_api, monkeypatch):
    owner = sign_up(cached_api)
    agenda = create_agenda(cached_api, owner, published=True)
    queries = _count_queries(monkeypatch)

    first = cached_api.request("GET", f"/v1/agendas/{agenda['id']}")
    burst = [cached_api.request("GET", f"/v1/agendas/{agenda['id']}") for _ in range(10)]
    conditional = cached_api.request(
        "GET", f"/v1/agendas/{agenda['id']}", headers={"If-None-Match": first.header("ETag")}
    )
    cached_api.request(
        "PATCH", f"/v1/agendas/{agenda['id']}", json_body={"name": "New"}, headers=owner["headers"]
    )
    member = cached_api.request("GET", f"/v1/agendas/{agenda['id']}", headers=owner["headers"])

    assert len(queries) == 2  # the first anonymous read and the member's read
    assert all((r.status, r.body, r.header("ETag")) == (200, first.body, first.header("ETag")) for r in burst)
    assert all(r.header("Cache-Control") == PUBLIC_CACHE for r in burst)
    assert conditional.status == 304
    assert member.json()["name"] == "New"


def test_unpublished_agendas_are_never_cached(cached_api):
    owner = sign_up(cached_api)
    agenda = create_agenda(cached_api, owner, published=True)
    cached_api.request("GET", f"/v1/agendas/{agenda['id']}")
    hidden = create_agenda(cached_api, owner)

    misses = [cached_api.request("GET", f"/v1/agendas/{hidden['id']}") for _ in range(2)]
    cached_api.request(
        "PATCH", f"/v1/agendas/{hidden['id']}", json_body={"published": True}, headers=owner["headers"]
    )
    now_public = cached_api.request("GET", f"/v1/agendas/{hidden['id']}")

    assert [r.status for r in misses] == [404, 404]
    assert now_public.status == 200
