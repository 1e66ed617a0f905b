"""``Idempotency-Key`` on creating POSTs (API.md §1, RELIABILITY.md), on Powertools idempotency.

Same key + same body within 24 h -> the first answer again with ``Idempotent-Replayed: true``;
same key + another body -> 422 ``idempotency_key_reused``; same key while the first request runs
-> 409 ``idempotency_in_progress``. Keys are scoped to (caller, route). STYLE.md 5.5: the header
is validated here first, and the persistence layer (which creates a boto3 client) is built lazily.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from agenda_core import create_claim
from agenda_core.errors import BadRequest, Conflict, ServiceUnavailable, ValidationFailed
from agenda_core.http.request import header
from agenda_core.integrations.aws import client
from agenda_core.observability import logger
from agenda_core.settings import get_settings

_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY_ATTRIBUTE = "id"  # the idempotency table's partition key (template.yaml IdempotencyTable)


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
        table_name=get_settings().idempotency_table_name,
        key_attr=_KEY_ATTRIBUTE,
        boto3_client=_OwnWrites(client("dynamodb")),
    )


class _OwnWrites:
    """The idempotency store's client, whose PutItem knows its own write when a retry meets it.

    The in-progress record is put under a condition (no live record for this key). When an
    attempt is applied but its answer is lost (a read timeout), the SDK retries and the condition
    fails on the record that very attempt wrote: Powertools would then answer the request with
    409 ``idempotency_in_progress`` about itself (found by tests/faults). Each put carries a
    token of its own; the failed condition returns the stored item (Powertools asks for
    ``ReturnValuesOnConditionCheckFailure``), and when it carries our token the put did succeed.

    The token also lets ``withdraw`` delete the record of a put that failed for good but may have
    landed (every attempt timing out): left there, it would refuse the client's retry with 409
    until the invocation's deadline, for a create that never ran.
    """

    _TOKEN = "put_token"

    def __init__(self, dynamodb: Any) -> None:
        self._client = dynamodb
        # The DeleteItem that undoes this thread's last put: one request per Lambda container,
        # but make dev's server and the tests run several containers' requests in one process.
        self._last = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError

        token = {"S": secrets.token_hex(16)}
        kwargs["Item"] = {**kwargs["Item"], self._TOKEN: token}
        self._last.put = {
            "TableName": kwargs["TableName"],
            "Key": {_KEY_ATTRIBUTE: kwargs["Item"][_KEY_ATTRIBUTE]},
            "ConditionExpression": "#token = :token",
            "ExpressionAttributeNames": {"#token": self._TOKEN},
            "ExpressionAttributeValues": {":token": token},
        }
        try:
            return self._client.put_item(**kwargs)
        except ClientError as error:
            stored = error.response.get("Item") or {}
            if stored.get(self._TOKEN) == token:
                return {}
            raise

    def withdraw(self) -> None:
        """Deletes the record of this container's last put if it is still that put's (best effort:
        what stays expires at the invocation's deadline)."""
        from botocore.exceptions import BotoCoreError, ClientError

        undo, self._last.put = getattr(self._last, "put", None), None
        if undo is None:
            return
        try:
            self._client.delete_item(**undo)
        except (BotoCoreError, ClientError):
            logger.warning("an idempotency record that may have landed stays until its deadline")


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
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    _config().register_lambda_context(app.lambda_context)
    request = {"caller": caller_id, "route": route_key, "key": key, "body": app.current_event.json_body}
    created: list[Response[str]] = []

    def create_once() -> Response[str]:
        created.append(create())
        return created[-1]

    try:
        # The create also claims the key in its own transaction (db/create_claims.py): a retry
        # after an answer lost past the commit finds what the first attempt made.
        with create_claim.claiming(caller_id, route_key, key):
            stored = _runner(route_key)(request=request, create=create_once)
    except IdempotencyPersistenceLayerError as error:
        # The idempotency table is throttled or unreachable after the SDK's retries (found by
        # tests/faults: a 500). Before the create ran, nothing was written: a 503 to retry. After
        # it, the object exists and only its record could not be completed: the create's own
        # answer, rather than a 503 that would send the client to make it again.
        logger.warning("idempotency store unavailable", extra={"object_created": bool(created)})
        if created:
            return created[-1]
        _persistence().client.withdraw()  # the in-progress record may have landed all the same
        raise ServiceUnavailable(get_settings().retry_after_seconds) from error
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
