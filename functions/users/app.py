"""Users (API.md §2): sign up, and the caller's own profile, agendas and API tokens."""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports: nothing it allocates is garbage, and the
# collector's passes over it cost ~25 ms (bench/RESULTS.md). Re-enabled, after a freeze, below.
gc.disable()

from typing import Any

from aws_lambda_powertools.event_handler import Response

from agenda_core.http.auth import current_caller
from agenda_core.http.idempotency import idempotent_create
from agenda_core.http.params import (
    ETAG_HEADER,
    Cursor,
    IdempotencyKey,
    IfMatch,
    IfNoneMatch,
    PageSize,
    TokenId,
)
from agenda_core.http.request import base_url, page_url_builder, source_ip
from agenda_core.http.resolver import make_handler
from agenda_core.http.responses import conditional_json, documented, json_response, no_content
from agenda_core.routes.wiring import create_app
from agenda_core.schemas.my_agendas import MyAgendaPage
from agenda_core.schemas.profile import UserUpdate
from agenda_core.schemas.tokens import ApiTokenCreate, ApiTokenCreated, ApiTokenPage
from agenda_core.schemas.users import UserCreate, UserPublic
from agenda_core.services import api_tokens, my_agendas, profile, users

app = create_app()


@app.post(
    "/v1/users",
    summary="Sign up",
    responses={201: documented(UserPublic, "The new user.")},
)
def handle_create_user(body: UserCreate, idempotency_key: IdempotencyKey = None) -> Response[Any]:
    def create() -> Response[Any]:
        user = users.create_user(body, base_url(app), source_ip(app.current_event.raw_event))
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


@app.patch(
    "/v1/users/me",
    summary="Change the signed-in user's name or password (JSON merge patch)",
    description=(
        "Changes the caller's name or password (JSON merge patch). A new `password` needs "
        "`current_password` (a wrong one is a 422 pointing at `/current_password`, and counts as a "
        "failed login); it ends every other session of the account, keeping the one this request "
        "comes from. The email cannot be changed here."
    ),
    responses={200: documented(UserPublic, "The caller.", ETAG_HEADER)},
)
def handle_update_me(body: UserUpdate, if_match: IfMatch = None) -> Response[Any]:
    caller = current_caller()
    user = profile.update_me(caller, body, if_match, source_ip(app.current_event.raw_event), base_url(app))
    return json_response(user, etag=profile.user_etag(user))


# --- the caller's agendas and API tokens (API.md §2) ----------------------------------------


@app.get(
    "/v1/users/me/agendas",
    summary="The agendas the caller is a member of, published or not, with the caller's role",
    responses={200: documented(MyAgendaPage, "A page of the caller's agendas.")},
)
def handle_list_my_agendas(per_page: PageSize = 20, cursor: Cursor = None) -> Response[Any]:
    page = my_agendas.list_my_agendas(
        current_caller(),
        per_page=per_page,
        cursor=cursor,
        base_url=base_url(app),
        page_url=page_url_builder(app),
    )
    return json_response(page)


@app.get(
    "/v1/users/me/tokens",
    summary="The caller's API tokens (never their secrets)",
    responses={200: documented(ApiTokenPage, "A page of the caller's API tokens.")},
)
def handle_list_tokens(per_page: PageSize = 20, cursor: Cursor = None) -> Response[Any]:
    page = api_tokens.list_tokens(
        current_caller(),
        per_page=per_page,
        cursor=cursor,
        base_url=base_url(app),
        page_url=page_url_builder(app),
    )
    return json_response(page)


@app.post(
    "/v1/users/me/tokens",
    summary="Create an API token for an integration (its secret is shown in this answer only)",
    responses={201: documented(ApiTokenCreated, "The new token, with its secret `token`.")},
)
def handle_create_token(body: ApiTokenCreate, idempotency_key: IdempotencyKey = None) -> Response[Any]:
    caller = current_caller()
    assert caller.user_id is not None

    def create() -> Response[Any]:
        created = api_tokens.create_token(caller, body, base_url(app))
        return json_response(created, 201, location=created.url)

    # A replay answers the original body, and so the secret again (Stripe does the same), which
    # means the idempotency record holds that secret for its 24 hours. Acceptable only because the
    # key is scoped to the caller: only the user who was already shown the secret can replay it.
    return idempotent_create(
        app, caller_id=caller.user_id, route_key="POST /v1/users/me/tokens", create=create
    )


@app.delete(
    "/v1/users/me/tokens/<token_id>",
    summary="Delete (revoke) one of the caller's API tokens",
    responses={204: {"description": "Deleted."}},
)
def handle_delete_token(token_id: TokenId) -> Response[Any]:
    api_tokens.delete_token(current_caller(), token_id)
    return no_content()


lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13: import-time objects never need collecting; keep them out of GC passes
gc.enable()
