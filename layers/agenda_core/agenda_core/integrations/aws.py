"""boto3 clients, created lazily (STYLE.md 5.6: a client made before ``mock_aws`` talks to AWS)
and configured as RELIABILITY.md asks: standard retries, 3 attempts in all, short timeouts."""

from __future__ import annotations

from functools import cache
from typing import Any

from agenda_core.aws_session import botocore_session
from agenda_core.settings import get_settings


@cache
def client(service: str) -> Any:
    """A botocore client from the shared session (no boto3 import: ~20 ms less cold start)."""
    from botocore.config import Config

    settings = get_settings()
    config = Config(
        retries={"mode": "standard", "total_max_attempts": settings.aws_total_max_attempts},
        connect_timeout=settings.aws_connect_timeout_seconds,
        read_timeout=settings.aws_read_timeout_seconds,
    )
    return botocore_session().create_client(service, config=config)


# The answers that mean "busy or down, try again shortly" from any AWS service, after the SDK's
# own retries: botocore's throttling codes (botocore/retries/standard.py) and any 5xx.
_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestThrottled",
        "SlowDown",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
    }
)


def is_unavailable(error: Any) -> bool:
    """Whether a botocore ``ClientError`` means the service is throttled or failing (a 503 for
    our callers) rather than a request or deployment mistake (a bug)."""
    response = getattr(error, "response", None) or {}
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return status >= 500 or response.get("Error", {}).get("Code") in _THROTTLING_CODES
