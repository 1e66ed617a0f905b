"""Schemathesis' stateful tests: chains along the document's links (see fuzzing.py).

Create an agenda, then read, replace, change and delete it, then read it again: the sequences
where use_after_free and ensure_resource_availability have something to check, and where
object_level_authorization does: when `alice` reads what the step before made, the read is sent
again as `bob` (once per operation in each scenario). Each scenario starts from tables emptied of
everything but the users' profiles and credentials (signed up once per module, so Schemathesis'
logins stay good), so the same choices meet the same answers (Hypothesis refuses generation that
depends on leftovers of earlier scenarios).

A second machine walks the agenda content (API.md §4) only, a third an agenda's webhook
subscriptions (API.md §7): an agenda, its sessions, speakers,
tracks, venues and categories, and the agenda's own writes (publishing with conflicts, new days
with sessions in them). In the machine over the whole document these chains are a few of many
links, so few scenarios would get past creating an agenda.
"""

from __future__ import annotations

import re
from typing import Any

import hypothesis
import pytest
import schemathesis

from tests.conftest import reset_process_caches
from tests.contract.conftest import empty_tables
from tests.contract.fuzzing import API, SETTINGS, CheckLog, forget_probes, prepare, schema

SCENARIOS = 30
STEPS = 10
AGENDA = re.compile(r"^/v1/agendas/(agd_[0-9A-Z]{26})$")
UNDER_AN_AGENDA = re.compile(r"^/v1/agendas/(agd_[0-9A-Z]{26})(/[a-z]+(/[a-z]{3}_[0-9A-Z]{26})?)?$")
CONTENT_SCENARIOS = 50
CONTENT_STEPS = 12
# POST /v1/agendas (where chains start), the agenda item's operations and the content routes.
CONTENT_PATHS = (
    r"^/v1/agendas(/\{agenda_id\}(/(sessions|speakers|tracks|venues|categories)(/\{[a-z]+_id\})?)?)?$"
)
# The webhooks machine: an agenda and its subscriptions (API.md §7), kept out of the first machine
# for the same reason as the content.
WEBHOOK_SCENARIOS = 12
WEBHOOK_STEPS = 8
WEBHOOK_PATHS = (
    r"^/v1/agendas(/\{agenda_id\}(/webhooks(/\{webhook_id\}"
    r"(/rotate-secret|/ping|/deliveries(/\{delivery_id\}/redeliver)?)?)?)?)?$"
)


@pytest.fixture(autouse=True, scope="module")
def _route_to_gateway(gateway: Any) -> Any:
    API.start(gateway)
    yield
    API.stop()


def run_state_machine(machine_schema: Any, scenarios: int, steps: int) -> None:
    class Workflow(machine_schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            empty_tables(keep=API.user_items)
            API.uploads.clear()  # their items went with the tables
            reset_process_caches()
            forget_probes()  # each scenario is a run of its own for object_level_authorization

        def before_call(self, case: schemathesis.Case) -> None:
            prepare(case)

    settings = hypothesis.settings(SETTINGS, max_examples=scenarios, stateful_step_count=steps)
    with CheckLog(machine_schema) as checks:
        try:
            Workflow.run(settings=settings)
        finally:
            # object_level_authorization ran on alice's reads; whatever it replayed as bob was refused.
            assert "object_level_authorization" in {
                run.check
                for run in checks.runs
                if run.identity == "alice" and run.operation.startswith("GET ")
            }
            replayed = [e for e in checks.exchanges if e.caller == "bob"]
            assert {e.method for e in replayed} <= {"GET"}
            assert {e.status for e in replayed if AGENDA.match(e.path)} <= {200, 404}  # 200: published
            assert {e.status for e in replayed if UNDER_AN_AGENDA.match(e.path)} <= {200, 404}


def test_stateful(gateway: Any) -> None:
    run_state_machine(schema.exclude(path_regex="/webhooks"), SCENARIOS, STEPS)


def test_stateful_content(gateway: Any) -> None:
    content = schema.include(path_regex=CONTENT_PATHS)
    labels = {result.ok().label for result in content.get_all_operations()}
    assert len(labels) == 2 + 4 + 5 * 6, sorted(labels)  # POST, GET /v1/agendas; the agenda; content
    run_state_machine(content, CONTENT_SCENARIOS, CONTENT_STEPS)


def test_stateful_webhooks(gateway: Any) -> None:
    webhooks = schema.include(path_regex=WEBHOOK_PATHS)
    labels = {result.ok().label for result in webhooks.get_all_operations()}
    assert len(labels) == 2 + 4 + 9, sorted(labels)  # POST, GET /v1/agendas; the agenda; webhooks
    run_state_machine(webhooks, WEBHOOK_SCENARIOS, WEBHOOK_STEPS)
