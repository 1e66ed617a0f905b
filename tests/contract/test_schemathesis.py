"""Schemathesis over every operation of the committed OpenAPI document (see fuzzing.py).

- `test_api`: the examples, coverage and fuzzing phases, per operation, all checks.
- `test_api_with_open_failures`: the same for the operations that fail now (OPEN_FAILURES in
  fuzzing.py, reported to the lead), xfail and strict: an operation that stops failing XPASSes,
  which fails until it moves back to `test_api` (delete this test with the last one: a filter
  that matches nothing is an error).
- `test_api_apart_from_open_failures`: every operation again, skipping only the cases that
  reproduce an open failure, so nothing else can regress on those operations meanwhile.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from tests.contract.conftest import Account
from tests.contract.fuzzing import (
    API,
    OPEN_FAILURES,
    OPEN_OPERATIONS,
    SETTINGS,
    documented_operations,
    open_failure,
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
    assert set(OPEN_OPERATIONS) <= generated


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


@schema.exclude(name=OPEN_OPERATIONS).parametrize()
@SETTINGS
def test_api(case: schemathesis.Case, account: Account) -> None:
    prepare(case)
    case.call_and_validate(headers=account.headers)


@pytest.mark.xfail(
    strict=True, reason="open failures: " + "; ".join(f"{k} {v}" for k, v in OPEN_FAILURES.items())
)
@schema.include(name=OPEN_OPERATIONS).parametrize()
@SETTINGS
def test_api_with_open_failures(case: schemathesis.Case, account: Account) -> None:
    prepare(case)
    case.call_and_validate(headers=account.headers)


@schema.parametrize()
@SETTINGS
def test_api_apart_from_open_failures(case: schemathesis.Case, account: Account) -> None:
    prepare(case)
    if open_failure(case) is not None:
        return
    case.call_and_validate(headers=account.headers)
