"""Members of an agenda and their roles (API.md §3)."""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports: nothing it allocates is garbage, and the
# collector's passes over it cost ~25 ms (bench/RESULTS.md). Re-enabled, after a freeze, below.
gc.disable()

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from agenda_core.http.auth import current_caller
from agenda_core.http.idempotency import idempotent_create
from agenda_core.http.params import AgendaId, AgendaIdOrSlug, IdempotencyKey, UserId
from agenda_core.http.request import base_url, page_url_builder
from agenda_core.http.resolver import make_handler
from agenda_core.http.responses import documented, json_response, no_content
from agenda_core.routes.wiring import create_app
from agenda_core.schemas.common import PerPage
from agenda_core.schemas.members import MemberCreate, MemberPage, MemberPublic, MemberUpdate
from agenda_core.services import members

app = create_app()


@app.get(
    "/v1/agendas/<agenda_id>/members",
    summary="The agenda's members and their roles",
    responses={200: documented(MemberPage, "A page of members.")},
)
def handle_list_members(
    agenda_id: AgendaIdOrSlug,
    per_page: Annotated[PerPage, Query()] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[Any]:
    page = members.list_members(
        current_caller(),
        agenda_id,
        per_page=per_page,
        cursor=cursor,
        base_url=base_url(app),
        page_url=page_url_builder(app),
    )
    return json_response(page)


@app.post(
    "/v1/agendas/<agenda_id>/members",
    summary="Add a member (owners only)",
    responses={201: documented(MemberPublic, "The new member.")},
)
def handle_create_member(
    agenda_id: AgendaId, body: MemberCreate, idempotency_key: IdempotencyKey = None
) -> Response[Any]:
    caller = current_caller()
    assert caller.user_id is not None

    def create() -> Response[Any]:
        member = members.add_member(caller, agenda_id, body, base_url(app))
        return json_response(member, 201, location=member.url)

    # Scoped to this agenda's members collection: the same key on another agenda is another request.
    route_key = f"POST /v1/agendas/{agenda_id}/members"
    return idempotent_create(app, caller_id=caller.user_id, route_key=route_key, create=create)


@app.patch(
    "/v1/agendas/<agenda_id>/members/<user_id>",
    summary="Change a member's role (owners only; the last owner cannot be demoted)",
    responses={200: documented(MemberPublic, "The member.")},
)
def handle_update_member(agenda_id: AgendaId, user_id: UserId, body: MemberUpdate) -> Response[Any]:
    member = members.update_member(current_caller(), agenda_id, user_id, body, base_url(app))
    return json_response(member)


@app.delete(
    "/v1/agendas/<agenda_id>/members/<user_id>",
    summary="Remove a member (owners), or leave (yourself; not the last owner)",
    responses={204: {"description": "Removed."}},
)
def handle_delete_member(agenda_id: AgendaId, user_id: UserId) -> Response[Any]:
    members.remove_member(current_caller(), agenda_id, user_id)
    return no_content()


lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13: import-time objects never need collecting; keep them out of GC passes
gc.enable()
