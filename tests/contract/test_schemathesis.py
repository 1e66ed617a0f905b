"""Schemathesis over every operation of the committed OpenAPI document (see fuzzing.py):
the examples, coverage and fuzzing phases, per operation, with every check on, as the WFC users.
Positive cases of the content routes act on a seeded agenda (fuzzing.use_seed)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis.wfc.escalation import escalating_provider

from tests.contract.fuzzing import (
    API,
    PEERS,
    SETTINGS,
    USERS,
    authenticate,
    documented_operations,
    prepare,
    schema,
    use_seed,
)


@pytest.fixture(autouse=True, scope="module")
def _route_to_gateway(gateway: Any) -> Any:
    API.start(gateway)
    yield
    API.stop()


def test_every_documented_operation_is_tested() -> None:
    generated = {result.ok().label for result in schema.get_all_operations()}
    assert generated == documented_operations()


def test_all_checks_are_enabled() -> None:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    names = set(CHECKS.get_all_names())
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
        "object_level_authorization",
    } <= names
    config = schema.config.checks_config_for()
    assert [name for name in sorted(names) if not config.get_by_name(name=name).enabled] == []


def test_two_users_are_configured_as_peers() -> None:
    """object_level_authorization needs an escalating provider with two peers (see fuzzing.py)."""
    provider = escalating_provider(schema)
    assert provider is not None
    assert provider.peers == PEERS
    assert set(PEERS) <= set(provider.names)
    assert set(PEERS) <= set(USERS)


@schema.parametrize()
@SETTINGS
def test_api(case: schemathesis.Case) -> None:
    authenticate(case)
    use_seed(case)
    prepare(case)
    case.call_and_validate()
