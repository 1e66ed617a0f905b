"""Faults injected into AWS calls, at the one place every HTTP attempt of every botocore client
passes: ``botocore.endpoint.Endpoint._do_get_response`` (the hook bench/ddb_requests.py counts
with). pynamodb's client, ours (integrations/aws.py), the Powertools idempotency store's, S3,
SQS and Secrets Manager all go through it, however and whenever they were made.

A *call* is one API call as the code makes it (botocore's ``invocation-id``); it may take several
*attempts* (standard retry mode, ``total_max_attempts`` 3). A ``Fault`` names the call by its
index in the request and applies to every attempt of it ("after the SDK's retries") or to the
first only ("transient": the SDK's retries must absorb it). What the stream pump sends
(local/streams.py) is not the request's: it is neither counted nor faulted.

moto does not implement ``ClientRequestToken`` on TransactWriteItems, which botocore fills in once
per call (an idempotency token) and sends again on every retry: DynamoDB answers a repeat of an
applied transaction with success and changes nothing (for 10 minutes). The injector emulates that,
so that a retry after "a read timeout after the write was applied" meets what it would meet on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

THROTTLED, CONFLICT, INTERNAL, TIMEOUT_BEFORE, TIMEOUT_AFTER = (
    "throttled",
    "conflict",
    "internal",
    "timeout_before",
    "timeout_after",
)
# DynamoDB's throttling answers (issue 14): each is used in turn, call after call.
DYNAMODB_THROTTLING = (
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
)
# Each other service's own throttling and internal-error answers: (HTTP status, code).
_THROTTLING = {"s3": (503, "SlowDown"), "sqs": (400, "RequestThrottled")}
_INTERNAL = {"dynamodb": "InternalServerError", "secretsmanager": "InternalServiceError"}
_READ_PREFIXES = ("Get", "Query", "Scan", "BatchGet", "TransactGet", "Describe", "List", "Head")
_DYNAMODB_ERROR = "com.amazonaws.dynamodb.v20120810#"


def is_read(operation: str) -> bool:
    return operation.startswith(_READ_PREFIXES)


@dataclass(frozen=True)
class Fault:
    """What happens to the attempts of one call: ``kind`` (THROTTLED... TIMEOUT_AFTER), ``code``
    for THROTTLED, on ``every`` attempt or the first only."""

    kind: str
    every: bool = True
    code: str | None = None

    @property
    def label(self) -> str:
        what = f"{self.kind}:{self.code}" if self.code else self.kind
        return what if self.every else f"{what} (first attempt)"


@dataclass
class Call:
    """One API call of a request: its attempts, how many reached the emulator, how many were faulted."""

    service: str
    operation: str
    tables: tuple[str, ...] = ()
    attempts: int = 0
    applied: int = 0
    faulted: int = 0

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"


@dataclass
class Injector:
    """Records the calls of the request under way and faults call ``target`` with ``fault``."""

    target: int | None = None
    fault: Fault | None = None
    calls: list[Call] = field(default_factory=list)
    _by_invocation: dict[str, int] = field(default_factory=dict)
    # TransactWriteItems tokens DynamoDB has applied: a repeat answers this, changing nothing.
    _applied_tokens: dict[str, Any] = field(default_factory=dict)

    def arm(self, target: int | None = None, fault: Fault | None = None) -> None:
        """Start a request: no calls yet, call ``target`` (if any) faulted with ``fault``."""
        self.target, self.fault = target, fault
        self.calls, self._by_invocation = [], {}

    def answer(self, endpoint: Any, original: Any, request: Any, operation_model: Any, context: Any) -> Any:
        from local.streams import pumping

        if pumping():
            return original(endpoint, request, operation_model, context)
        retries = context.setdefault("retries", {})
        invocation = str(retries.get("invocation-id") or id(context))
        if invocation not in self._by_invocation:
            self._by_invocation[invocation] = len(self.calls)
            service = operation_model.service_model.service_name
            tables = _tables(_body(request)) if service == "dynamodb" else ()
            self.calls.append(Call(service, operation_model.name, tables))
        index = self._by_invocation[invocation]
        call = self.calls[index]
        call.attempts += 1
        fault = self.fault if index == self.target else None
        if fault is not None and not fault.every and call.attempts > 1:
            fault = None
        if fault is not None:
            call.faulted += 1
        if fault is None or fault.kind == TIMEOUT_AFTER:
            result = self._send(endpoint, original, request, operation_model, context, call)
            if fault is None:
                return result
        if fault.kind in (TIMEOUT_BEFORE, TIMEOUT_AFTER):
            from botocore.exceptions import ReadTimeoutError

            return None, ReadTimeoutError(endpoint_url=request.url)
        status, code, extra = _error(fault, call, request)
        return _parsed(endpoint, request, operation_model, status, code, extra)

    def _send(
        self, endpoint: Any, original: Any, request: Any, operation_model: Any, context: Any, call: Call
    ) -> Any:
        token = _transaction_token(call, request)
        if token is not None and token in self._applied_tokens:
            return self._applied_tokens[token]  # DynamoDB: applied already, nothing changes
        result = original(endpoint, request, operation_model, context)
        call.applied += 1
        success, _exception = result
        if token is not None and success is not None and success[0].status_code == 200:
            self._applied_tokens[token] = result
        return result


def _transaction_token(call: Call, request: Any) -> str | None:
    if call.operation != "TransactWriteItems":
        return None
    token = _body(request).get("ClientRequestToken")
    return str(token) if token else None


def _body(request: Any) -> dict[str, Any]:
    try:
        return dict(json.loads(request.body or b"{}"))
    except (TypeError, ValueError):
        return {}


def _tables(body: dict[str, Any]) -> tuple[str, ...]:
    """The tables a DynamoDB request names."""
    if "TableName" in body:
        return (str(body["TableName"]),)
    if "RequestItems" in body:  # BatchGetItem, BatchWriteItem
        return tuple(sorted(body["RequestItems"]))
    items = body.get("TransactItems") or []
    return tuple(sorted({str(op.get("TableName")) for item in items for op in item.values()}))


def _error(fault: Fault, call: Call, request: Any) -> tuple[int, str, dict[str, Any]]:
    """(HTTP status, error code, extra members of the error body) for the call's service."""
    if fault.kind == THROTTLED:
        if call.service == "dynamodb":
            return 400, str(fault.code), {}
        status, code = _THROTTLING.get(call.service, (400, "ThrottlingException"))
        return status, code, {}
    if fault.kind == INTERNAL:
        return 500, _INTERNAL.get(call.service, "InternalError"), {}
    assert fault.kind == CONFLICT and call.service == "dynamodb", fault
    if call.operation in ("TransactWriteItems", "TransactGetItems"):
        # One reason per item, in request order: the first item is in another transaction.
        count = len(_body(request).get("TransactItems") or [None])
        reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
        reasons += [{"Code": "None"}] * (count - 1)
        return 400, "TransactionCanceledException", {"CancellationReasons": reasons}
    # A single-item write that touches an item a transaction holds.
    return 400, "TransactionConflictException", {}


def applicable(service: str, operation: str) -> list[Fault]:
    """The faults one call can meet, all on every attempt (the SDK gives up)."""
    faults = [Fault(THROTTLED), Fault(INTERNAL), Fault(TIMEOUT_BEFORE)]
    if service == "dynamodb" and (
        operation in ("TransactWriteItems", "TransactGetItems", "PutItem", "UpdateItem", "DeleteItem")
    ):
        faults.append(Fault(CONFLICT))
    if not is_read(operation):
        faults.append(Fault(TIMEOUT_AFTER))
    return faults


class _Raw:
    """The smallest raw body botocore's AWSResponse reads."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self._data


def _parsed(
    endpoint: Any, request: Any, operation_model: Any, status: int, code: str, extra: dict[str, Any]
) -> Any:
    """An error answer as the service would send it, parsed as botocore parses a real one."""
    from botocore.awsrequest import AWSResponse
    from botocore.endpoint import convert_to_response_dict

    service_model = operation_model.service_model
    protocol = service_model.resolved_protocol
    message = f"injected {code}"
    if protocol == "rest-xml":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        headers = {"Content-Type": "application/xml"}
    else:
        prefix = _DYNAMODB_ERROR if service_model.service_name == "dynamodb" else ""
        body = json.dumps({"__type": prefix + code, "message": message, **extra}).encode()
        version = service_model.metadata.get("jsonVersion", "1.0")
        headers = {"Content-Type": f"application/x-amz-json-{version}"}
        if service_model.metadata.get("awsQueryCompatible") is not None:
            headers["x-amzn-query-error"] = f"{code};{'Receiver' if status >= 500 else 'Sender'}"
    http_response = AWSResponse(request.url, status, headers, _Raw(body))
    response_dict = convert_to_response_dict(http_response, operation_model)
    parser = endpoint._response_parser_factory.create_parser(protocol)
    parsed = parser.parse(response_dict, operation_model.output_shape)
    endpoint._add_modeled_error_fields(response_dict, parsed, operation_model, parser)
    return (http_response, parsed), None


@contextmanager
def injecting(injector: Injector) -> Iterator[Injector]:
    """While active, every AWS HTTP attempt goes through ``injector``; botocore's retries do not
    sleep (the backoff is botocore's business, not what is tested) and its retry quota never runs
    out (over thousands of faulted calls it would, and later retries would silently not happen)."""
    from botocore.endpoint import Endpoint
    from botocore.retries import quota, standard

    original = Endpoint._do_get_response
    saved = (standard.ExponentialBackoff.delay_amount, quota.RetryQuota.acquire)

    def hooked(endpoint: Any, request: Any, operation_model: Any, context: Any) -> Any:
        return injector.answer(endpoint, original, request, operation_model, context)

    Endpoint._do_get_response = hooked  # type: ignore[method-assign]
    standard.ExponentialBackoff.delay_amount = lambda _self, _context: 0  # type: ignore[method-assign]
    quota.RetryQuota.acquire = lambda _self, _amount: True  # type: ignore[method-assign]
    try:
        yield injector
    finally:
        Endpoint._do_get_response = original  # type: ignore[method-assign]
        standard.ExponentialBackoff.delay_amount, quota.RetryQuota.acquire = saved  # type: ignore[method-assign]
