"""Health (API.md §8): 200 when every dependency answers, 503 naming the one that did not."""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports: nothing it allocates is garbage, and the
# collector's passes over it cost ~25 ms (bench/RESULTS.md). Re-enabled, after a freeze, below.
gc.disable()

from typing import Any

from aws_lambda_powertools.event_handler import Response

from agenda_core.http.resolver import make_handler
from agenda_core.http.responses import documented, json_response
from agenda_core.routes.wiring import create_app
from agenda_core.schemas.health import HealthPublic
from agenda_core.services import health

app = create_app()


@app.get(
    "/v1/health",
    summary="Health of the API and its dependencies",
    responses={
        200: documented(HealthPublic, "Every dependency answered."),
        503: {"description": "A dependency failed (problem+json with `checks`)."},
    },
)
def handle_get_health() -> Response[Any]:
    return json_response(health.check_health())


lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13: import-time objects never need collecting; keep them out of GC passes
gc.enable()
