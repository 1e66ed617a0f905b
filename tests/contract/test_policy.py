"""The policy table covers every route exactly (issue: "a route without an entry fails the build")."""

from __future__ import annotations

from agenda_core.policy import OPERATIONS, ROLES, ROUTES
from local.template import api_routes
from tests.contract.conftest import TEMPLATE


def test_every_route_of_every_function_has_a_policy_entry_and_no_other():
    routes = {f"{r.method} {r.path}" for r in api_routes(TEMPLATE) if r.method != "ANY"}

    assert sorted(routes - set(ROUTES)) == [], "routes with no policy entry"
    assert sorted(set(ROUTES) - routes) == [], "policy entries for routes that do not exist"


def test_every_route_names_a_known_operation_and_agenda_operations_name_their_agenda():
    for route, operation in ROUTES.items():
        rule = OPERATIONS[operation]
        assert rule.auth in {"none", "optional", "required"}
        if rule.roles is not None:
            assert "{agenda_id}" in route, f"{route} decides by agenda role but names no agenda"
            assert rule.roles <= set(ROLES)
        if rule.public_when_published:
            assert rule.auth == "optional" and route.startswith("GET "), route
