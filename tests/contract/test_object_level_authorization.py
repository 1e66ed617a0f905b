"""object_level_authorization runs with both users, and is not vacuous.

The chain the check needs, made deterministic: `alice` creates an agenda and reads it (two cases
Schemathesis generates for the documented operations, sent through the same in-process gateway,
with the credentials of the WFC document); then the check, as in every Schemathesis run, replays
the read as `bob`. On the real code bob gets a 404 (or, once the agenda is published, what anyone
gets, which is no violation); on a variant with the classic broken object-level authorization
(API Security Top 10 2023, API1: any signed-in caller may read any agenda) Schemathesis reports it.
The same for what an agenda holds (API.md §4): a session alice made in her agenda, read by her;
there the planted bug is in the item route alone (Schemathesis rightly takes what a list shows bob
as his to see, and the lists ask the same question).
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.core.failures import FailureGroup
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.openapi.checks import ObjectLevelAuthorizationViolation
from schemathesis.specs.openapi.checks import object_level_authorization

from tests.contract.fuzzing import API, Exchange, forget_probes, schema

FIND = hypothesis.settings(database=None, derandomize=True, deadline=None)
AGENDA = {"name": "Owned by alice", "start_at": "2027-03-10", "duration": 2}
SESSION = {"title": "Alice's talk", "start_at": "2027-03-10T09:00:00Z", "end_at": "2027-03-10T10:00:00Z"}
SESSION_ITEM = "/v1/agendas/{agenda_id}/sessions/{session_id}"


@pytest.fixture(autouse=True, scope="module")
def _route_to_gateway(gateway: Any) -> Any:
    API.start(gateway)
    yield
    API.stop()


def generated(label: str, **fixed: Any) -> schemathesis.Case:
    """The simplest case Schemathesis generates for `label` with the `fixed` parts, sent as the
    first WFC user (its credentials are put on at generation)."""
    method, path = label.split(" ", 1)
    strategy = schema[path][method].as_strategy(**fixed)
    return hypothesis.find(strategy, lambda case: True, settings=FIND)


def send(recorder: ScenarioRecorder, case: schemathesis.Case, parent: schemathesis.Case | None = None) -> Any:
    recorder.record_case(case=case, parent_id=parent.id if parent is not None else None)
    response = case.call()
    recorder.record_response(case_id=case.id, response=response)
    return response


def alice_reads_her_agenda(**agenda: Any) -> tuple[ScenarioRecorder, schemathesis.Case, Any]:
    """The chain object_level_authorization looks at: a read whose previous step made the object."""
    forget_probes()
    recorder = ScenarioRecorder(label="object-level authorization")
    create = generated("POST /v1/agendas", body={**AGENDA, **agenda}, headers={})
    created = send(recorder, create)
    assert (create.auth_identity, created.status_code) == ("alice", 201), created.text
    path = {"agenda_id": created.json()["id"]}
    read = generated("GET /v1/agendas/{agenda_id}", path_parameters=path, headers={}, query={})
    response = send(recorder, read, parent=create)
    assert (read.auth_identity, response.status_code) == ("alice", 200), response.text
    return recorder, read, response


def alice_reads_her_session(**agenda: Any) -> tuple[ScenarioRecorder, schemathesis.Case, Any]:
    """The chain for content: alice's agenda, a session she makes in it, and her read of it."""
    forget_probes()
    recorder = ScenarioRecorder(label="object-level authorization, content")
    created_agenda = send(recorder, generated("POST /v1/agendas", body={**AGENDA, **agenda}, headers={}))
    assert created_agenda.status_code == 201, created_agenda.text
    path = {"agenda_id": created_agenda.json()["id"]}
    create = generated(
        "POST /v1/agendas/{agenda_id}/sessions", path_parameters=path, body=SESSION, headers={}
    )
    created = send(recorder, create)
    assert (create.auth_identity, created.status_code) == ("alice", 201), created.text
    path = {**path, "session_id": created.json()["id"]}
    read = generated(f"GET {SESSION_ITEM}", path_parameters=path, headers={}, query={})
    response = send(recorder, read, parent=create)
    assert (read.auth_identity, response.status_code) == ("alice", 200), response.text
    return recorder, read, response


def replays_as_bob(read: schemathesis.Case, start: int) -> list[Exchange]:
    path = read.formatted_path
    return [e for e in API.exchanges[start:] if e.caller == "bob" and e.method == "GET" and e.path == path]


def test_bob_gets_a_404_for_alices_unpublished_agenda() -> None:
    recorder, read, response = alice_reads_her_agenda()
    start = len(API.exchanges)

    read.validate_response(response, checks=[object_level_authorization], recorder=recorder)

    assert [e.status for e in replays_as_bob(read, start)] == [404]


def test_a_published_agenda_bob_reads_like_anyone_is_no_violation() -> None:
    recorder, read, response = alice_reads_her_agenda(published=True)
    start = len(API.exchanges)

    read.validate_response(response, checks=[object_level_authorization], recorder=recorder)

    assert [e.status for e in replays_as_bob(read, start)] == [200]
    anonymous = [
        e for e in API.exchanges[start:] if e.caller == "anonymous" and e.path == read.formatted_path
    ]
    assert [e.status for e in anonymous] == [200]


def test_a_reader_who_is_not_a_member_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from agenda_core.services import full_agenda

    visible = full_agenda.is_visible

    def signed_in_is_enough(record: Any, caller: Any) -> bool:
        """The bug: authenticated taken for authorized."""
        return visible(record, caller) or caller.user_id is not None

    monkeypatch.setattr(full_agenda, "is_visible", signed_in_is_enough)
    recorder, read, response = alice_reads_her_agenda()
    start = len(API.exchanges)

    with pytest.raises(FailureGroup) as raised:
        read.validate_response(response, checks=[object_level_authorization], recorder=recorder)

    (violation,) = raised.value.exceptions
    assert isinstance(violation, ObjectLevelAuthorizationViolation)
    assert (violation.owner, violation.peer) == ("alice", "bob")
    assert violation.operation == "GET /v1/agendas/{agenda_id}"
    assert [e.status for e in replays_as_bob(read, start)] == [200]


def test_bob_gets_a_404_for_a_session_of_alices_unpublished_agenda() -> None:
    recorder, read, response = alice_reads_her_session()
    start = len(API.exchanges)

    read.validate_response(response, checks=[object_level_authorization], recorder=recorder)

    assert [e.status for e in replays_as_bob(read, start)] == [404]


def test_a_session_of_a_published_agenda_bob_reads_like_anyone_is_no_violation() -> None:
    recorder, read, response = alice_reads_her_session(published=True)
    start = len(API.exchanges)

    read.validate_response(response, checks=[object_level_authorization], recorder=recorder)

    assert [e.status for e in replays_as_bob(read, start)] == [200]


def test_a_content_reader_who_is_not_a_member_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from agenda_core.services import content_reads

    read_item, require_visible = content_reads.get_item, content_reads._require_visible

    def signed_in_is_enough(agenda: Any, caller: Any) -> None:
        """The bug: authenticated taken for authorized."""
        if caller.user_id is None:
            require_visible(agenda, caller)

    def get_item_with_the_bug(*args: Any, **kwargs: Any) -> Any:
        # Only the item route: a list that showed bob the session would make it his to see.
        with monkeypatch.context() as patched:
            patched.setattr(content_reads, "_require_visible", signed_in_is_enough)
            return read_item(*args, **kwargs)

    monkeypatch.setattr(content_reads, "get_item", get_item_with_the_bug)
    recorder, read, response = alice_reads_her_session()
    start = len(API.exchanges)

    with pytest.raises(FailureGroup) as raised:
        read.validate_response(response, checks=[object_level_authorization], recorder=recorder)

    (violation,) = raised.value.exceptions
    assert isinstance(violation, ObjectLevelAuthorizationViolation)
    assert (violation.owner, violation.peer) == ("alice", "bob")
    assert violation.operation == f"GET {SESSION_ITEM}"
    assert [e.status for e in replays_as_bob(read, start)] == [200]
