"""Agendas (API.md §3) and the public reads of API.md §5: the reference resource for every
convention.

Services are imported in the routes that use them, not here: the cold start serves the apps'
read (the public snapshot, services/full_read.py), which needs neither the table's modules nor
the write paths (docs/design.md "Cold starts"). Python imports each module once per container.
"""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports: nothing it allocates is garbage, and the
# collector's passes over it cost ~25 ms (bench/RESULTS.md). Re-enabled, after a freeze, below.
gc.disable()

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from agenda_core.etags import if_none_match_hit
from agenda_core.http.auth import current_caller
from agenda_core.http.idempotency import idempotent_create
from agenda_core.http.params import (
    ETAG_HEADER,
    AgendaId,
    AgendaIdOrSlug,
    IdempotencyKey,
    IfMatch,
    IfNoneMatch,
    PageSize,
)
from agenda_core.http.request import accepts_gzip, base_url, header, page_url_builder
from agenda_core.http.resolver import make_handler
from agenda_core.http.responses import (
    documented,
    json_response,
    no_content,
    not_modified,
    not_modified_any_coding,
    stored_json,
)
from agenda_core.routes.wiring import create_app
from agenda_core.schemas.agendas import (
    AgendaCreate,
    AgendaFull,
    AgendaPage,
    AgendaPublic,
    AgendaReplace,
    AgendaUpdate,
    ChangesPage,
)
from agenda_core.schemas.common import LocalDate, PerPage
from agenda_core.services import full_read

app = create_app()


@app.get(
    "/v1/agendas",
    summary="List published agendas, soonest first",
    responses={200: documented(AgendaPage, "A page of published agendas.")},
)
def handle_list_agendas(
    starts_after: Annotated[
        LocalDate | None, Query(description="Only agendas starting after this date.")
    ] = None,
    starts_before: Annotated[
        LocalDate | None, Query(description="Only agendas starting before this date.")
    ] = None,
    per_page: Annotated[PerPage, Query()] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[Any]:
    from agenda_core.services import agendas

    page = agendas.list_published(
        starts_after=starts_after,
        starts_before=starts_before,
        per_page=per_page,
        cursor=cursor,
        base_url=base_url(app),
        page_url=page_url_builder(app),
    )
    return json_response(page, public=True)


@app.post(
    "/v1/agendas",
    summary="Create an agenda (the caller becomes its owner)",
    responses={201: documented(AgendaPublic, "The new agenda.", ETAG_HEADER)},
)
def handle_create_agenda(body: AgendaCreate, idempotency_key: IdempotencyKey = None) -> Response[Any]:
    caller = current_caller()
    assert caller.user_id is not None

    def create() -> Response[Any]:
        from agenda_core.services import agendas

        created = agendas.create_agenda(caller, body, base_url(app))
        return json_response(created.body, 201, etag=created.etag, location=created.body.url)

    return idempotent_create(app, caller_id=caller.user_id, route_key="POST /v1/agendas", create=create)


@app.get(
    "/v1/agendas/<agenda_id>",
    summary="The full agenda: the agenda with all its sessions, speakers, tracks, venues, categories",
    responses={
        200: documented(AgendaFull, "The full agenda.", ETAG_HEADER),
        304: {"description": "Not modified."},
    },
)
def handle_get_agenda(agenda_id: AgendaIdOrSlug, if_none_match: IfNoneMatch = None) -> Response[Any]:
    read = full_read.read(current_caller(), agenda_id, base_url(app), if_none_match)
    if read.not_modified:
        # The tag the client holds: the gzip-coded snapshot has its own (etags.gzip_variant).
        return not_modified_any_coding(read.etag, if_none_match, public=read.public, vary=read.public)
    if read.stored is not None:
        return stored_json(
            read.stored.gzip,
            read.stored.text,
            accepts_gzip=accepts_gzip(header(app, "Accept-Encoding")),
            etag=read.etag,
            headers={"Changes-Cursor": read.stored.changes_cursor},
        )
    assert read.rendered is not None
    cursor = str(read.rendered["changes_cursor"])
    return json_response(
        read.rendered, etag=read.etag, public=read.public, headers={"Changes-Cursor": cursor}
    )


@app.get(
    "/v1/agendas/<agenda_id>/changes",
    summary="What changed since a cursor, in commit order (the change feed)",
    responses={
        200: documented(ChangesPage, "Changes after the cursor.", ETAG_HEADER),
        304: {"description": "Not modified."},
    },
)
def handle_get_changes(
    agenda_id: AgendaIdOrSlug,
    since: Annotated[
        str | None,
        Query(
            max_length=2048,
            description="A cursor from a full read (`changes_cursor`) or a previous page (`cursor`); "
            "without it, no changes and the cursor for now.",
        ),
    ] = None,
    per_page: PageSize = 20,
    if_none_match: IfNoneMatch = None,
) -> Response[Any]:
    from agenda_core.services import changes

    caller = current_caller()
    root = base_url(app)
    if if_none_match:
        # One small read of the agenda item: the log is append-only, so a page changes only when
        # the agenda's version does.
        etag, public = changes.changes_etag(caller, agenda_id, since, per_page, root)
        if if_none_match_hit(if_none_match, etag):
            return not_modified(etag, public=public)
    page = changes.read_changes(
        caller,
        agenda_id,
        since,
        per_page=per_page,
        base_url=root,
        page_url=page_url_builder(app, "since"),
    )
    return json_response(page.body, etag=page.etag, public=page.public)


@app.put(
    "/v1/agendas/<agenda_id>",
    summary="Replace an agenda's writable fields",
    responses={200: documented(AgendaPublic, "The agenda.", ETAG_HEADER)},
)
def handle_replace_agenda(
    agenda_id: AgendaId, body: AgendaReplace, if_match: IfMatch = None
) -> Response[Any]:
    caller = current_caller()
    from agenda_core.services import agenda_updates

    updated = agenda_updates.replace_agenda(caller, agenda_id, body, if_match, base_url(app))
    return json_response(updated.body, etag=updated.etag)


@app.patch(
    "/v1/agendas/<agenda_id>",
    summary="Change some fields of an agenda (JSON merge patch)",
    responses={200: documented(AgendaPublic, "The agenda.", ETAG_HEADER)},
)
def handle_update_agenda(agenda_id: AgendaId, body: AgendaUpdate, if_match: IfMatch = None) -> Response[Any]:
    caller = current_caller()
    from agenda_core.services import agenda_updates

    updated = agenda_updates.update_agenda(caller, agenda_id, body, if_match, base_url(app))
    return json_response(updated.body, etag=updated.etag)


@app.delete(
    "/v1/agendas/<agenda_id>",
    summary="Delete an agenda and everything in it (owner only)",
    responses={204: {"description": "Deleted."}},
)
def handle_delete_agenda(agenda_id: AgendaId, if_match: IfMatch = None) -> Response[Any]:
    caller = current_caller()
    from agenda_core.services import agendas

    agendas.delete_agenda(caller, agenda_id, if_match)
    return no_content()


lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13: import-time objects never need collecting; keep them out of GC passes
gc.enable()
