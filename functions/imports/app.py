"""Schedule imports of an agenda (API.md §8): owners and editors start one with an uploaded
schedule file; members read what each did. The work itself runs off the request path
(functions/import_runs)."""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports (see functions/members/app.py).
gc.disable()

from typing import Any

from aws_lambda_powertools.event_handler import Response

from agenda_core.http.auth import current_caller
from agenda_core.http.idempotency import idempotent_create
from agenda_core.http.params import AgendaId, Cursor, IdempotencyKey, ImportId, PageSize
from agenda_core.http.request import base_url, page_url_builder
from agenda_core.http.resolver import make_handler
from agenda_core.http.responses import documented, json_response
from agenda_core.routes.wiring import create_app
from agenda_core.schemas.imports import ImportCreate, ImportPage, ImportPublic
from agenda_core.services import imports

app = create_app()


@app.post(
    "/v1/agendas/<agenda_id>/imports",
    summary="Import a schedule file into the agenda, or sync it again (owners and editors)",
    responses={202: documented(ImportPublic, "Accepted: the import runs shortly; poll its `url`.")},
)
def handle_create_import(
    agenda_id: AgendaId, body: ImportCreate, idempotency_key: IdempotencyKey = None
) -> Response[Any]:
    caller = current_caller()
    assert caller.user_id is not None

    def create() -> Response[Any]:
        started = imports.start_import(caller, agenda_id, body, base_url(app))
        return json_response(started, 202, location=started.url)

    route_key = f"POST /v1/agendas/{agenda_id}/imports"
    return idempotent_create(app, caller_id=caller.user_id, route_key=route_key, create=create)


@app.get(
    "/v1/agendas/<agenda_id>/imports",
    summary="The agenda's imports, newest first (members)",
    responses={200: documented(ImportPage, "A page of imports.")},
)
def handle_list_imports(agenda_id: AgendaId, per_page: PageSize = 20, cursor: Cursor = None) -> Response[Any]:
    page = imports.list_imports(
        current_caller(),
        agenda_id,
        per_page=per_page,
        cursor=cursor,
        base_url=base_url(app),
        page_url=page_url_builder(app),
    )
    return json_response(page)


@app.get(
    "/v1/agendas/<agenda_id>/imports/<import_id>",
    summary="One import: its status and report (members)",
    responses={200: documented(ImportPublic, "The import.")},
)
def handle_read_import(agenda_id: AgendaId, import_id: ImportId) -> Response[Any]:
    return json_response(imports.read_import(current_caller(), agenda_id, import_id, base_url(app)))


lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13
gc.enable()
