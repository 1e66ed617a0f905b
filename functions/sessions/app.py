"""Sessions (API.md §4): what happens when, where and by whom; lists filter and sort by time."""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports: nothing it allocates is garbage, and the
# collector's passes over it cost ~25 ms (bench/RESULTS.md). Re-enabled, after a freeze, below.
gc.disable()

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from agenda_core.http.auth import current_caller
from agenda_core.http.params import (
    ETAG_HEADER,
    AgendaIdOrSlug,
    Cursor,
    IfNoneMatch,
    PageSize,
    session_filter,
)
from agenda_core.http.request import base_url, page_url_builder
from agenda_core.http.resolver import make_handler
from agenda_core.http.responses import documented
from agenda_core.routes.content import NOT_MODIFIED, add_content_routes, read_response
from agenda_core.routes.wiring import create_app
from agenda_core.schemas.common import LocalDate
from agenda_core.services import content_reads
from agenda_core.services.content_kinds import CATEGORIES, SESSIONS, SPEAKERS, TRACKS, VENUES
from agenda_core.services.content_reads import ListQuery, SessionFilters

app = create_app()


@app.get(
    "/v1/agendas/<agenda_id>/sessions",
    summary="List the agenda's sessions, by start time",
    responses={200: documented(SESSIONS.page, "A page of sessions.", ETAG_HEADER), **NOT_MODIFIED},
)
def handle_list_sessions(
    agenda_id: AgendaIdOrSlug,
    track_id: Annotated[str | None, session_filter(TRACKS.names, "in this track")] = None,
    venue_id: Annotated[str | None, session_filter(VENUES.names, "in this venue")] = None,
    speaker_id: Annotated[str | None, session_filter(SPEAKERS.names, "with this speaker")] = None,
    category_id: Annotated[str | None, session_filter(CATEGORIES.names, "in this category")] = None,
    day: Annotated[
        LocalDate | None, Query(description="Only sessions starting on this local date (the agenda's zone).")
    ] = None,
    per_page: PageSize = 20,
    cursor: Cursor = None,
    if_none_match: IfNoneMatch = None,
) -> Response[Any]:
    filters = SessionFilters(
        track_id=track_id, venue_id=venue_id, speaker_id=speaker_id, category_id=category_id, day=day
    )
    listed = content_reads.list_items(
        current_caller(),
        agenda_id,
        ListQuery(SESSIONS, per_page, cursor, filters),
        base_url=base_url(app),
        page_url=page_url_builder(app),
        if_none_match=if_none_match,
    )
    return read_response(listed)


add_content_routes(app, SESSIONS, list_route=False)

lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13: import-time objects never need collecting; keep them out of GC passes
gc.enable()
