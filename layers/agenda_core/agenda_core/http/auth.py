"""Bearer authentication shared by every function (API.md §1 "auth")."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from agenda_core.errors import Unauthorized
from agenda_core.http.request import header
from agenda_core.integrations.access_tokens import verify_access_token
from agenda_core.schemas.auth import ANONYMOUS, Caller

_MAX_TOKEN_LENGTH = 4096


def current_caller(app: APIGatewayRestResolver, *, required: bool) -> Caller:
    """The caller behind ``Authorization: Bearer``; anonymous when absent and not ``required``.

    A credential that is present but wrong is always a 401, never silently anonymous.
    """
    value = header(app, "authorization")
    if value is None:
        if required:
            raise Unauthorized("Send an access token: Authorization: Bearer <token>.")
        return ANONYMOUS
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN_LENGTH:
        raise Unauthorized("Use the Bearer scheme: Authorization: Bearer <token>.", code="invalid_token")
    claims = verify_access_token(token)
    return Caller(user_id=claims["sub"], scopes=frozenset({"read", "write"}))
