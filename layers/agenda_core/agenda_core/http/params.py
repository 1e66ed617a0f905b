"""Request parameters every function declares the same way: path ids, conditional-request and
idempotency headers, paging. One declaration each, so the OpenAPI document says the same thing
everywhere (and a malformed id in a path is a 404: http/validation.py)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from agenda_core.content_names import ContentName
from agenda_core.schemas.common import AGENDA_ID_OR_SLUG_PATTERN, PerPage, prefixed_id_pattern

AgendaIdOrSlug = Annotated[
    str, Path(pattern=AGENDA_ID_OR_SLUG_PATTERN, max_length=64, description="An agenda id or its slug.")
]
AgendaId = Annotated[str, Path(pattern=prefixed_id_pattern("agd"), description="An agenda id (`agd_…`).")]
UserId = Annotated[
    str, Path(pattern=prefixed_id_pattern("usr"), description="The member's user id (`usr_…`).")
]
TokenId = Annotated[str, Path(pattern=prefixed_id_pattern("tok"), description="An API token id (`tok_…`).")]
WebhookId = Annotated[str, Path(pattern=prefixed_id_pattern("whk"), description="A webhook id (`whk_…`).")]
UploadIdParam = Annotated[
    str, Path(pattern=prefixed_id_pattern("upl"), description="An upload id (`upl_…`).")
]
ImportId = Annotated[str, Path(pattern=prefixed_id_pattern("imp"), description="An import id (`imp_…`).")]
DeliveryId = Annotated[
    str, Path(pattern=prefixed_id_pattern("msg"), description="A delivery's id (`msg_…`, its `webhook-id`).")
]

IfMatch = Annotated[
    str | None, Header(alias="If-Match", max_length=1024, description="Write only if current.")
]
IfNoneMatch = Annotated[
    str | None, Header(alias="If-None-Match", max_length=1024, description="ETags the client holds.")
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="1-255 of A-Z a-z 0-9 _ -; replays within 24 h.",
        # Documented here, checked by http/idempotency.py (400 invalid_idempotency_key).
        json_schema_extra={"pattern": r"^[A-Za-z0-9_-]{1,255}$"},
    ),
]

PageSize = Annotated[PerPage, Query(description="Items per page (1-100).")]


def session_filter(kind: ContentName, what: str) -> Any:
    """A filter of sessions by the id of an item they reference (``track_id=trk_…``): the session
    list's and the calendar's; a malformed id is a 400."""
    return Query(pattern=prefixed_id_pattern(kind.prefix), description=f"Only sessions {what}.")


Cursor = Annotated[str | None, Query(max_length=2048, description="From `pagination.next`.")]

ETAG_HEADER: dict[str, Any] = {
    "ETag": {"description": "Strong validator of this representation.", "schema": {"type": "string"}}
}
