"""The one error hierarchy (a leaf: imports nothing from agenda_core).

Services raise by meaning; ``agenda_core.http.problems`` turns any ``ApiError`` into RFC 9457
problem+json. Each class carries its HTTP status and a stable, machine-readable ``code``;
``detail`` is for people and must never carry internals (class names, tables, secrets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class FieldError:
    """One entry of a 422's ``errors``: ``pointer`` is a JSON Pointer into the request body."""

    pointer: str
    code: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "code": self.code, "detail": self.detail}


class ApiError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    title: ClassVar[str] = "Internal Server Error"
    default_detail: ClassVar[str] = "Something went wrong on our side."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.error_code = code or self.code
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.detail)

    def with_extra(self, extra: dict[str, Any]) -> ApiError:
        """Adds RFC 9457 extension members to the problem body."""
        self.extra = {**self.extra, **extra}
        return self


class BadRequest(ApiError):
    status, code, title = 400, "bad_request", "Bad Request"
    default_detail = "The request is malformed."


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    default_detail = "The cursor is not valid for this query."


class Unauthorized(ApiError):
    status, code, title = 401, "unauthorized", "Unauthorized"
    default_detail = "Valid credentials are required."

    def __init__(self, detail: str | None = None, *, code: str | None = None) -> None:
        # RFC 6750 section 3: every 401 names the scheme.
        super().__init__(detail, code=code, headers={"WWW-Authenticate": 'Bearer realm="agenda-api"'})


class PermissionDenied(ApiError):
    status, code, title = 403, "forbidden", "Forbidden"
    default_detail = "You do not have permission to do this."


class NotFound(ApiError):
    status, code, title = 404, "not_found", "Not Found"
    default_detail = "The resource does not exist."


class MethodNotAllowed(ApiError):
    status, code, title = 405, "method_not_allowed", "Method Not Allowed"
    default_detail = "This method is not allowed on this resource."

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(f"Allowed methods: {', '.join(allowed)}.", headers={"Allow": ", ".join(allowed)})


class Conflict(ApiError):
    status, code, title = 409, "conflict", "Conflict"
    default_detail = "The request conflicts with the current state of the resource."


class Gone(ApiError):
    status, code, title = 410, "gone", "Gone"
    default_detail = "The resource is no longer available."


class CursorExpired(Gone):
    """A change cursor older than the change log keeps (API.md §5)."""

    code = "cursor_expired"
    default_detail = "This change cursor is older than the change log keeps; read the full agenda again."


class PreconditionFailed(ApiError):
    status, code, title = 412, "precondition_failed", "Precondition Failed"
    default_detail = "The resource has changed since you last read it (If-Match)."


class PayloadTooLarge(ApiError):
    status, code, title = 413, "payload_too_large", "Content Too Large"
    default_detail = "The request body is too large."


class UnsupportedMediaType(ApiError):
    status, code, title = 415, "unsupported_media_type", "Unsupported Media Type"
    default_detail = "Send the body as application/json."


class ValidationFailed(ApiError):
    status, code, title = 422, "validation_failed", "Unprocessable Content"
    default_detail = "The request body is not valid."

    def __init__(
        self, errors: list[FieldError], detail: str | None = None, *, code: str | None = None
    ) -> None:
        super().__init__(detail or "; ".join(e.detail for e in errors), code=code)
        self.errors = errors


class RateLimited(ApiError):
    status, code, title = 429, "rate_limited", "Too Many Requests"
    default_detail = "Too many requests; try again later."

    def __init__(self, retry_after: int, detail: str | None = None, *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(ApiError):
    status, code, title = 503, "service_unavailable", "Service Unavailable"
    default_detail = "A dependency is busy or unavailable; try again shortly."

    def __init__(self, retry_after: int = 1, detail: str | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
