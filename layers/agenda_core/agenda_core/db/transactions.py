"""Transactions and error translation shared by the services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from agenda_core.db.base import TableItem
from agenda_core.errors import ServiceUnavailable
from agenda_core.observability import logger
from agenda_core.settings import get_settings

# Error codes that mean "DynamoDB is busy or unreachable": the client may retry (503), it is
# not our bug (500). botocore already retried them (standard mode, 3 attempts in all).
_UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
        # A single-item write touching an item a transaction holds at that moment: the same
        # "try again shortly" as a cancelled transaction's TransactionConflict (below).
        "TransactionConflictException",
    }
)


def _connection() -> Connection:
    # The records' own connection: one DynamoDB client for reads, writes and transactions.
    return TableItem._get_connection().connection


class Transaction(TransactWrite):
    """A TransactWrite whose items carry names, so a cancelled one says which condition failed.

    pynamodb sends the items grouped by kind (condition checks, deletes, puts, updates), not in
    call order, so DynamoDB's CancellationReasons cannot be read by call position.
    """

    _KINDS = ("condition_check", "delete", "put", "update")

    def __init__(self) -> None:
        super().__init__(connection=_connection())
        self._names: dict[str, list[str]] = {kind: [] for kind in self._KINDS}

    def check(self, name: str, *args: Any, **kwargs: Any) -> None:
        self._names["condition_check"].append(name)
        self.condition_check(*args, **kwargs)

    def put(self, name: str, *args: Any, **kwargs: Any) -> None:
        self._names["put"].append(name)
        self.save(*args, **kwargs)

    def change(self, name: str, *args: Any, **kwargs: Any) -> None:
        self._names["update"].append(name)
        self.update(*args, **kwargs)

    def remove(self, name: str, *args: Any, **kwargs: Any) -> None:
        self._names["delete"].append(name)
        self.delete(*args, **kwargs)

    def names_in_request_order(self) -> list[str]:
        return [name for kind in self._KINDS for name in self._names[kind]]


class TransactionFailed(Exception):
    """A cancelled transaction, with the names of the items whose condition failed."""

    def __init__(self, failed: frozenset[str], cause: TransactWriteError) -> None:
        super().__init__(f"transaction cancelled: {sorted(failed)}")
        self.failed = failed
        self.cause = cause


@contextmanager
def transaction() -> Iterator[Transaction]:
    """One TransactWriteItems call. Raises ``TransactionFailed`` when conditions fail, 503 when
    DynamoDB is busy."""
    tx = Transaction()
    try:
        with storage_errors(), tx:
            yield tx
    except TransactWriteError as error:
        reasons = error.cancellation_reasons or []
        names = tx.names_in_request_order()
        failed = frozenset(
            name
            for name, reason in zip(names, reasons, strict=False)
            if reason is not None and reason.code == "ConditionalCheckFailed"
        )
        if failed:
            raise TransactionFailed(failed, error) from error
        raise


def response_code(error: PynamoDBException) -> str | None:
    """DynamoDB's error code, or None when no answer came back (a timeout, a lost connection).

    Not pynamodb's ``cause_response_code``: it assumes a ClientError and raises AttributeError on
    a botocore timeout, whose ``response`` is None (found by tests/faults: every read timeout was
    a 500)."""
    response = getattr(error.cause, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def is_condition_failure(error: PynamoDBException) -> bool:
    return response_code(error) in {"ConditionalCheckFailedException", "TransactionCanceledException"}


def save_new(record: TableItem) -> None:
    """Puts ``record``, whose key holds a fresh random id, on the condition that it is new; 503
    when DynamoDB is busy.

    The SDK retries a put whose answer was lost (a read timeout after the write was applied), and
    the retry meets the very item its first attempt wrote: the condition fails. No one else can
    hold a fresh random id, so a failed condition here means the put happened (found by
    tests/faults: the retry's failure was a 500 for a create that succeeded)."""
    try:
        with storage_errors():
            record.save(condition=TableItem.pk.does_not_exist())
    except PutError as error:
        if not is_condition_failure(error):
            raise


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turns DynamoDB throttling and outages into a 503 with Retry-After (never a 500)."""
    try:
        yield
    except PynamoDBException as error:
        code = response_code(error)
        if code in _UNAVAILABLE_CODES or _is_connection_problem(error):
            logger.warning("dynamodb unavailable", extra={"code": code})
            raise ServiceUnavailable(get_settings().retry_after_seconds) from error
        if code == "TransactionCanceledException" and isinstance(error, TransactWriteError):
            codes = {r.code for r in (error.cancellation_reasons or []) if r}
            if codes & {"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"}:
                raise ServiceUnavailable(get_settings().retry_after_seconds) from error
        raise


def _is_connection_problem(error: PynamoDBException) -> bool:
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import ReadTimeoutError

    return isinstance(error.cause, BotoConnectionError | ReadTimeoutError)
