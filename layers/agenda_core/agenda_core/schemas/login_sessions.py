"""Refresh and log out (API.md §2): the bodies of POST /v1/auth/refresh and /v1/auth/revoke.

The token is opaque to clients, so the schema promises nothing about its shape beyond a length
cap: any string of the right size is a well-formed request, and one that is not a live refresh
token is a 401 (refresh) or a 204 that changes nothing (revoke), never a 422 that would tell
token shapes apart.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictStr, StringConstraints

from agenda_core.schemas.common import RequestModel

RefreshToken = Annotated[
    StrictStr,
    StringConstraints(min_length=1, max_length=512),
    Field(description="A refresh_token from POST /v1/auth/token or /v1/auth/refresh."),
]


class TokenRefresh(RequestModel):
    """POST /v1/auth/refresh."""

    refresh_token: RefreshToken


class TokenRevoke(RequestModel):
    """POST /v1/auth/revoke (log out: the token's whole session ends)."""

    refresh_token: RefreshToken
