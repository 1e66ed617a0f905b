"""Auth (API.md §2): log in, refresh the session's tokens, log out."""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports: nothing it allocates is garbage, and the
# collector's passes over it cost ~25 ms (bench/RESULTS.md). Re-enabled, after a freeze, below.
gc.disable()

from typing import Any

from aws_lambda_powertools.event_handler import Response

from agenda_core.http.request import source_ip
from agenda_core.http.resolver import make_handler
from agenda_core.http.responses import documented, json_response, no_content
from agenda_core.routes.wiring import create_app
from agenda_core.schemas.login_sessions import TokenRefresh, TokenRevoke
from agenda_core.schemas.users import TokenCreate, TokenPublic
from agenda_core.services import login_sessions

app = create_app()


@app.post(
    "/v1/auth/token",
    summary="Log in: email and password for an access token and a refresh token",
    responses={200: documented(TokenPublic, "A new session's tokens.")},
)
def handle_create_token(body: TokenCreate) -> Response[Any]:
    return json_response(login_sessions.log_in(body, source_ip(app.current_event.raw_event)))


@app.post(
    "/v1/auth/refresh",
    summary="Exchange a refresh token for a new pair (the one sent is spent)",
    responses={200: documented(TokenPublic, "The session's new tokens.")},
)
def handle_refresh_token(body: TokenRefresh) -> Response[Any]:
    return json_response(login_sessions.refresh(body.refresh_token))


@app.post(
    "/v1/auth/revoke",
    summary="Log out: end the session a refresh token belongs to",
    responses={204: {"description": "Done (also for a token that was not valid)."}},
)
def handle_revoke_token(body: TokenRevoke) -> Response[Any]:
    login_sessions.revoke(body.refresh_token)
    return no_content()


lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13: import-time objects never need collecting; keep them out of GC passes
gc.enable()
