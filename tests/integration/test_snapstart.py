"""SnapStart priming (routes/snapstart.py): registered only under SnapStart, and warming builds
every route's validation and imports every service, with no AWS request."""

from __future__ import annotations

import sys
import types
from typing import Any

from agenda_core.routes import snapstart
from agenda_core.routes.wiring import create_app


def _app() -> Any:
    app = create_app()

    @app.get("/v1/things/<thing_id>")
    def handle_thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    return app


def test_outside_snapstart_nothing_is_registered(monkeypatch):
    monkeypatch.delitem(sys.modules, "snapshot_restore_py", raising=False)
    registered: list[Any] = []
    monkeypatch.setattr(snapstart, "warm_up", registered.append)

    snapstart.register(_app())

    assert registered == []


def test_under_snapstart_the_hook_warms_the_app_before_the_snapshot(monkeypatch, aws, aws_calls):
    hooks: list[Any] = []
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = hooks.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    app = create_app()

    @app.get("/v1/things/<thing_id>")
    def handle_thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    (hook,) = hooks
    aws_calls.clear()  # the test's own world was made above
    hook()

    routes = [*app._static_routes, *app._dynamic_routes]
    assert routes and all(route._dependant is not None for route in routes)
    assert "agenda_core.services.agenda_updates" in sys.modules
    assert aws_calls == []  # clients made, no request sent
