"""Schemathesis' stateful tests: chains along the document's links (see fuzzing.py).

Create an agenda, then read, replace, change and delete it, then read it again: the sequences
where use_after_free and ensure_resource_availability have something to check. Each scenario
starts from empty tables and a freshly signed-up user, so the same choices meet the same answers
(Hypothesis refuses generation that depends on leftovers of earlier scenarios).
"""

from __future__ import annotations

import itertools
from typing import Any

import hypothesis
import pytest
import schemathesis

from tests.contract.conftest import Account, empty_tables, reset_process_caches, sign_up_and_log_in
from tests.contract.fuzzing import API, SETTINGS, prepare, schema

SCENARIOS = 30
STEPS = 10
_USERS = itertools.count()


@pytest.fixture(autouse=True)
def _route_to_gateway(gateway: Any) -> Any:
    API.target = gateway
    yield
    API.target = None


def test_stateful(gateway: Any) -> None:
    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        account: Account

        def setup(self) -> None:
            empty_tables()
            reset_process_caches()
            n = next(_USERS)
            self.account = sign_up_and_log_in(
                gateway, f"stateful-{n}@example.com", "stateful-password", "Stateful"
            )

        def before_call(self, case: schemathesis.Case) -> None:
            prepare(case)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"headers": self.account.headers}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            # `headers` too, not only the transport's: the auth checks must see the token as explicit.
            case.validate_response(
                response,
                headers=self.account.headers,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Workflow.run(settings=hypothesis.settings(SETTINGS, max_examples=SCENARIOS, stateful_step_count=STEPS))
