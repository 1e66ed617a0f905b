"""``Idempotency-Key`` on creating POSTs (API.md §1, RELIABILITY.md), on Powertools idempotency.

Same key + same body within 24 h -> the first answer again with ``Idempotent-Replayed: true``;
same key + another body -> 422 ``idempotency_key_reused``; same key while the first request runs
-> 409 ``idempotency_in_progress``. Keys are scoped to (caller, route). STYLE.md 5.5: the header
is validated here first, and the persistence layer (which creates a boto3 client) is built lazily.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from agenda_core import create_claim
from agenda_core.errors import BadRequest, Conflict, ValidationFailed
from agenda_core.http.request import header
from agenda_core.integrations.aws import client
from agenda_core.settings import get_settings

_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
REPLAYED_HEADER = "Idempotent-Replayed"


def _mark_replayed(response: Any, idempotent_data: Any) -> Any:
    return {**response, "replayed": True}


@cache
def _config() -> Any:
    # Powertools' idempotency package imports boto3 (~60 ms): only creating POSTs with a key pay.
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[caller, route, key]",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=get_settings().idempotency_ttl_seconds,
        response_hook=_mark_replayed,
    )


@cache
def _persistence() -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    # Our client: the shared session, standard retries, short timeouts (RELIABILITY.md).
    return DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table_name, boto3_client=client("dynamodb")
    )


@cache
def _runner(route_key: str) -> Callable[..., dict[str, Any]]:
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    @idempotent_function(
        data_keyword_argument="request",
        persistence_store=_persistence(),
        config=_config(),
        key_prefix=f"agenda-api#{route_key}",
    )
    def run(request: dict[str, Any], create: Callable[[], Response[str]]) -> dict[str, Any]:
        response = create()
        return {"status": response.status_code, "body": response.body, "headers": dict(response.headers)}

    return run


def idempotent_create(
    app: APIGatewayRestResolver, *, caller_id: str, route_key: str, create: Callable[[], Response[str]]
) -> Response[str]:
    """Runs ``create`` at most once per (caller, route, Idempotency-Key, body)."""
    key = header(app, "idempotency-key")
    if key is None:
        return create()
    if not _KEY_RE.match(key):
        raise BadRequest(
            "Idempotency-Key must be 1-255 characters of A-Z, a-z, 0-9, _ and -.",
            code="invalid_idempotency_key",
        )
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    _config().register_lambda_context(app.lambda_context)
    request = {"caller": caller_id, "route": route_key, "key": key, "body": app.current_event.json_body}
    try:
        # The create also claims the key in its own transaction (db/create_claims.py): a retry
        # after an answer lost past the commit finds what the first attempt made.
        with create_claim.claiming(caller_id, route_key, key):
            stored = _runner(route_key)(request=request, create=create)
    except IdempotencyValidationError as error:
        raise ValidationFailed(
            [],
            "This Idempotency-Key was used with another request body.",
            code="idempotency_key_reused",
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed.", code="idempotency_in_progress"
        ) from error
    headers = dict(stored["headers"])
    if stored.get("replayed"):
        headers[REPLAYED_HEADER] = "true"
    return Response(
        status_code=stored["status"],
        content_type=headers.pop("Content-Type", "application/json"),
        body=stored["body"],
        headers=headers,
    )
