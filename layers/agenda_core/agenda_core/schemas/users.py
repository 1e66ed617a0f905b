"""Accounts and tokens (API.md §2)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictStr, StringConstraints

from agenda_core.schemas.common import PublicModel, RequestModel, Timestamp

# A deliberately plain check (RFC 5321 limits, one @, a dot in the domain): deliverability is
# proven by mail, not by a regex.
_EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f]{1,64}@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$")


def normalise_email(value: str) -> str:
    return value.strip().lower()


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL_RE.match(value):
        raise ValueError("must be an email address")
    return normalise_email(value)


Email = Annotated[
    StrictStr,
    StringConstraints(max_length=254),
    AfterValidator(_email),
    # Documented as an email; checked by _email (deliverability is proven by mail, not here).
    Field(examples=["ada@example.com"], json_schema_extra={"format": "email"}),
]
# RELIABILITY.md: 12-256 characters, any Unicode, no composition rules.
Password = Annotated[StrictStr, StringConstraints(min_length=12, max_length=256)]
PersonName = Annotated[StrictStr, StringConstraints(min_length=1, max_length=200)]


class UserCreate(RequestModel):
    email: Email
    password: Password
    name: PersonName


class UserPublic(PublicModel):
    id: str
    url: str
    email: str
    name: str
    created_at: Timestamp
    updated_at: Timestamp


class TokenCreate(RequestModel):
    """POST /v1/auth/token. Lengths are capped so nobody makes us hash a megabyte."""

    email: Annotated[StrictStr, StringConstraints(min_length=1, max_length=254)]
    password: Annotated[StrictStr, StringConstraints(min_length=1, max_length=256)]


class TokenPublic(PublicModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(
        description=(
            "Opaque; exchange it at POST /v1/auth/refresh for a new pair (it is then spent) and "
            "revoke it at POST /v1/auth/revoke to log out."
        )
    )
