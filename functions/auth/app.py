"""Auth (API.md §2): exchange email and password for an access token."""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports: nothing it allocates is garbage, and the
# collector's passes over it cost ~25 ms (bench/RESULTS.md). Re-enabled, after a freeze, below.
gc.disable()

from typing import Any

from aws_lambda_powertools.event_handler import Response

from agenda_core.http.resolver import create_app, make_handler
from agenda_core.http.responses import documented, json_response
from agenda_core.schemas.users import TokenCreate, TokenPublic
from agenda_core.services import users

app = create_app()


@app.post(
    "/v1/auth/token",
    summary="Log in: email and password for an access token",
    responses={200: documented(TokenPublic, "An access token.")},
)
def handle_create_token(body: TokenCreate) -> Response[Any]:
    return json_response(users.issue_token(body))


lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13: import-time objects never need collecting; keep them out of GC passes
gc.enable()
