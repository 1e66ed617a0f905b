"""API tokens for integrations (API.md §2): ``/v1/users/me/tokens``.

Named ``ApiToken…`` because ``TokenCreate`` / ``TokenPublic`` are the login contract of
``POST /v1/auth/token`` (model names are unique across the API, STYLE.md §3).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StrictStr, StringConstraints, WithJsonSchema

from agenda_core.schemas.common import Pagination, PublicModel, RequestModel, Timestamp

Scope = Literal["read", "write"]
SCOPE_ORDER: tuple[Scope, ...] = ("read", "write")


def _scopes(value: list[Scope]) -> list[Scope]:
    if len(set(value)) != len(value) or "read" not in value:
        raise ValueError('must be ["read"] or ["read", "write"]')
    return [scope for scope in SCOPE_ORDER if scope in value]  # one spelling for ["write", "read"]


Scopes = Annotated[
    list[Scope],
    Field(min_length=1, max_length=2),
    AfterValidator(_scopes),
    # What _scopes accepts, said in JSON Schema: every token can read; "write" comes on top.
    WithJsonSchema(
        {
            "type": "array",
            "items": {"type": "string", "enum": list(SCOPE_ORDER)},
            "minItems": 1,
            "maxItems": 2,
            "uniqueItems": True,
            "contains": {"const": "read"},
            "description": '`["read"]` or `["read", "write"]`.',
            "example": ["read"],
        }
    ),
]

# RFC 3339 exactly: a date, "T", a time, an offset (pydantic's lax datetime would also take
# numbers, dates alone and offset-less times, which JSON Schema's "date-time" refuses).
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: Any) -> datetime:
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-12-31T23:59:59Z")
    text = value.upper().replace("Z", "+00:00")
    head, dot, tail = text.partition(".")
    if dot:  # Python parses at most 6 fractional digits; RFC 3339 allows more.
        digits = re.match(r"\d+", tail)
        assert digits is not None
        text = f"{head}.{digits.group()[:6].ljust(6, '0')}{tail[digits.end() :]}"
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ValueError("must be a valid RFC 3339 date-time") from error


DateTime = Annotated[
    datetime,
    BeforeValidator(_rfc3339),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-12-31T23:59:59Z"}),
]
TokenName = Annotated[StrictStr, StringConstraints(min_length=1, max_length=100)]


class ApiTokenCreate(RequestModel):
    """POST /v1/users/me/tokens."""

    name: TokenName = Field(description="What the token is for, e.g. the integration's name.")
    scopes: Scopes
    expires_at: DateTime | None = Field(
        default=None, description="When the token stops working: in the future, at most a year away."
    )


class ApiTokenPublic(PublicModel):
    id: str
    url: str
    name: str
    scopes: list[Scope]
    expires_at: Timestamp | None = None
    last_used_at: Timestamp | None = Field(
        default=None, description="When the token was last used, to within a few minutes."
    )
    created_at: Timestamp
    updated_at: Timestamp


class ApiTokenCreated(ApiTokenPublic):
    """The answer to the creating POST: the only time the secret is ever shown."""

    token: str = Field(
        description="The secret (`agt_…`): send it as `Authorization: Bearer <token>`. "
        "Shown in this answer only; store it now.",
        pattern=r"^agt_[0-9A-Za-z]{72}$",
    )


class ApiTokenPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"tokens"})

    tokens: list[ApiTokenPublic]
    pagination: Pagination
