"""Exports of an agenda (API.md §5): its sessions as an RFC 5545 calendar, and the c3voc "frab"
schedule that conference apps read, as JSON and XML.

Each follows the full read (services/exports.py): its visibility, its ETag (derived, per format
and filters), its caching, and for anonymous readers its public snapshot (no DynamoDB request).
Bodies are gzip-coded when the client takes gzip. The renderers are imported for the format a
request asks (services/exports.py), so a cold start loads one of them.
"""

from __future__ import annotations

import gc

# No garbage collection while the cold start imports: nothing it allocates is garbage, and the
# collector's passes over it cost ~25 ms (bench/RESULTS.md). Re-enabled, after a freeze, below.
gc.disable()

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from agenda_core.content_names import SESSION, SPEAKER, TRACK, VENUE
from agenda_core.http.auth import current_caller
from agenda_core.http.params import ETAG_HEADER, AgendaIdOrSlug, IfNoneMatch, session_filter
from agenda_core.http.request import accepts_gzip, base_url, header
from agenda_core.http.resolver import make_handler
from agenda_core.http.responses import JSON, coded_response, documented, not_modified_any_coding
from agenda_core.routes.wiring import create_app
from agenda_core.schemas.common import ULID_PATTERN
from agenda_core.schemas.exports import FrabSchedule
from agenda_core.services import exports

app = create_app()

CALENDAR_TYPE = "text/calendar; charset=utf-8"
XML_TYPE = "application/xml"
NOT_MODIFIED: dict[int | str, Any] = {304: {"description": "Not modified."}}
_MAX_SESSION_IDS = 100
_SESSION_ID = f"{SESSION.prefix}_{ULID_PATTERN}"


def _text(media_type: str, description: str) -> dict[str, Any]:
    """A documented answer whose body is text of ``media_type``, not JSON."""
    bare = media_type.split(";")[0]
    return {
        "description": description,
        "content": {bare: {"schema": {"type": "string"}}},
        "headers": ETAG_HEADER,
    }


def _answer(export: exports.Export, if_none_match: str | None, content_type: str) -> Response[Any]:
    if export.not_modified:
        return not_modified_any_coding(export.etag, if_none_match, public=export.public)
    assert export.text is not None
    return coded_response(
        export.text,
        content_type=content_type,
        accepts_gzip=accepts_gzip(header(app, "Accept-Encoding")),
        etag=export.etag,
        public=export.public,
    )


@app.get(
    "/v1/agendas/<agenda_id>/calendar.ics",
    summary="The agenda's sessions as an iCalendar (RFC 5545) feed, optionally filtered",
    responses={200: _text(CALENDAR_TYPE, "The calendar."), **NOT_MODIFIED},
)
def handle_get_calendar(
    agenda_id: AgendaIdOrSlug,
    track_id: Annotated[str | None, session_filter(TRACK, "in this track")] = None,
    venue_id: Annotated[str | None, session_filter(VENUE, "in this venue")] = None,
    speaker_id: Annotated[str | None, session_filter(SPEAKER, "with this speaker")] = None,
    session_ids: Annotated[
        str | None,
        Query(
            pattern=rf"^{_SESSION_ID}(,{_SESSION_ID}){{0,{_MAX_SESSION_IDS - 1}}}$",
            description=f"Only these sessions: a comma-separated list of at most {_MAX_SESSION_IDS} "
            "session ids (a personal calendar). Filters combine; an unknown id matches nothing.",
        ),
    ] = None,
    if_none_match: IfNoneMatch = None,
) -> Response[Any]:
    selection = exports.SessionFilter.of(
        track_id=track_id, venue_id=venue_id, speaker_id=speaker_id, session_ids=session_ids
    )
    export = exports.read_export(
        current_caller(), agenda_id, base_url(app), exports.CALENDAR, if_none_match, selection
    )
    return _answer(export, if_none_match, CALENDAR_TYPE)


@app.get(
    "/v1/agendas/<agenda_id>/schedule.json",
    summary='The agenda as a c3voc "frab" schedule.json (what conference apps read)',
    responses={200: documented(FrabSchedule, "The schedule.", ETAG_HEADER), **NOT_MODIFIED},
)
def handle_get_schedule_json(agenda_id: AgendaIdOrSlug, if_none_match: IfNoneMatch = None) -> Response[Any]:
    export = exports.read_export(
        current_caller(), agenda_id, base_url(app), exports.SCHEDULE_JSON, if_none_match
    )
    return _answer(export, if_none_match, JSON)


@app.get(
    "/v1/agendas/<agenda_id>/schedule.xml",
    summary='The agenda as a "frab" schedule.xml (what conference apps read)',
    responses={200: _text(XML_TYPE, "The schedule."), **NOT_MODIFIED},
)
def handle_get_schedule_xml(agenda_id: AgendaIdOrSlug, if_none_match: IfNoneMatch = None) -> Response[Any]:
    export = exports.read_export(
        current_caller(), agenda_id, base_url(app), exports.SCHEDULE_XML, if_none_match
    )
    return _answer(export, if_none_match, XML_TYPE)


lambda_handler = make_handler(app)
gc.freeze()  # STYLE.md 5.13: import-time objects never need collecting; keep them out of GC passes
gc.enable()
