"""Schemathesis over every operation of the committed OpenAPI document (see fuzzing.py):
the examples, coverage and fuzzing phases, per operation, with every check on."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from tests.contract.conftest import Account
from tests.contract.fuzzing import (
    API,
    SETTINGS,
    documented_operations,
    prepare,
    schema,
)


@pytest.fixture(autouse=True)
def _route_to_gateway(gateway: Any) -> Any:
    API.target = gateway
    yield
    API.target = None


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
    } <= names
    config = schema.config.checks_config_for()
    assert [name for name in sorted(names) if not config.get_by_name(name=name).enabled] == []


@schema.parametrize()
@SETTINGS
def test_api(case: schemathesis.Case, account: Account) -> None:
    prepare(case)
    case.call_and_validate(headers=account.headers)
