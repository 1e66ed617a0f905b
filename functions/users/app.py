"""Users (API.md §2): sign up, and the caller's own profile."""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports: nothing it allocates is garbage, and the
# collector's passes over it cost ~25 ms (bench/RESULTS.md). Re-enabled, after a freeze, below.
gc.disable()

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header

from agenda_core.http.auth import current_caller
from agenda_core.http.idempotency import idempotent_create
from agenda_core.http.request import base_url
from agenda_core.http.resolver import create_app, make_handler
from agenda_core.http.responses import conditional_json, documented, json_response
from agenda_core.schemas.users import UserCreate, UserPublic
from agenda_core.services import users

app = create_app()

IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", max_length=1024)]
ETAG_HEADER = {
    "ETag": {"description": "Strong validator of this representation.", "schema": {"type": "string"}}
}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="1-255 of A-Z a-z 0-9 _ -; replays within 24 h.",
        # Documented here, checked by http/idempotency.py (400 invalid_idempotency_key).
        json_schema_extra={"pattern": r"^[A-Za-z0-9_-]{1,255}$"},
    ),
]


@app.post(
    "/v1/users",
    summary="Sign up",
    responses={201: documented(UserPublic, "The new user.")},
)
def handle_create_user(body: UserCreate, idempotency_key: IdempotencyKey = None) -> Response[Any]:
    def create() -> Response[Any]:
        user = users.create_user(body, base_url(app))
        return json_response(user, 201, location=user.url)

    # Nobody is signed in yet: the key is scoped to the email being registered.
    return idempotent_create(app, caller_id=f"signup:{body.email}", route_key="POST /v1/users", create=create)


@app.get(
    "/v1/users/me",
    summary="The signed-in user",
    responses={
        200: documented(UserPublic, "The caller.", ETAG_HEADER),
        304: {"description": "Not modified."},
    },
)
def handle_get_me(if_none_match: IfNoneMatch = None) -> Response[Any]:
    caller = current_caller()
    return conditional_json(users.get_me(caller, base_url(app)), if_none_match)


lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13: import-time objects never need collecting; keep them out of GC passes
gc.enable()
