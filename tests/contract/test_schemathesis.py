"""Schemathesis over every operation of the committed OpenAPI document, in-process.

The document (functions/docs/openapi.json) drives the generation; each request goes through the
in-process API Gateway (`GatewayApp`, WSGI) to the real handlers over moto, with a valid bearer
token, and every built-in check of Schemathesis 4 runs on every response (its default: all
enabled). Bounded and repeatable: a fixed seed, derandomized Hypothesis, 40 examples per
operation for the fuzzing phase, no deadline.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck

from tests.contract.conftest import Account, committed_document

MAX_EXAMPLES = 40

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260601,
        "generation": {"max-examples": MAX_EXAMPLES},
        # Every phase the pytest integration runs: explicit examples, coverage, fuzzing.
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
    }
)
# Values only the API itself can issue, so no generated value is "valid" in the sense that
# matters: a cursor is opaque and tamper-proof (API.md §1: a forged one is a 400), an upload id
# must name a ready upload of the caller (API.md §6: otherwise 422). Positive cases leave them
# out (a positive case stays positive without an optional field); negative cases still send them.
SERVER_ISSUED_QUERY: dict[str, tuple[str, ...]] = {"GET /v1/agendas": ("cursor",)}
SERVER_ISSUED_BODY: dict[str, tuple[str, ...]] = {
    "POST /v1/agendas": ("icon",),
    "PUT /v1/agendas/{agenda_id}": ("icon",),
    "PATCH /v1/agendas/{agenda_id}": ("icon",),
}


class ApiUnderTest:
    """The WSGI app Schemathesis calls (its probes too): the gateway of this module's fixture."""

    target: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.target is not None, "the gateway fixture is not active"
        return self.target(environ, start_response)


API = ApiUnderTest()
schema = schemathesis.openapi.from_dict(committed_document(), config=CONFIG)
schema.app = API


@pytest.fixture(autouse=True)
def _route_to_gateway(gateway: Any) -> Any:
    API.target = gateway
    yield
    API.target = None


def test_every_documented_operation_is_tested() -> None:
    documented = {
        f"{method.upper()} {path}"
        for path, item in committed_document()["paths"].items()
        for method in item
        if method in {"get", "put", "post", "patch", "delete"}
    }
    generated = {result.ok().label for result in schema.get_all_operations()}
    assert generated == documented
    assert len(generated) >= 13


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
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_api(case: schemathesis.Case, gateway: Any, account: Account) -> None:
    if case.meta is not None and case.meta.generation.mode.is_positive:
        for name in SERVER_ISSUED_QUERY.get(case.operation.label, ()):
            if case.query:
                case.query.pop(name, None)
        for name in SERVER_ISSUED_BODY.get(case.operation.label, ()):
            if isinstance(case.body, dict):
                case.body.pop(name, None)
    case.call_and_validate(headers=account.headers)
