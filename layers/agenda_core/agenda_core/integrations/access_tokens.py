"""JWT access tokens (RFC 8725): one pinned algorithm, required claims, issuer and audience.

PyJWT is imported on first use, so anonymous requests never pay for it.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from agenda_core.errors import Unauthorized
from agenda_core.integrations.secrets import signing_key
from agenda_core.settings import get_settings

ALGORITHM = "HS256"
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti"]


def issue_access_token(user_id: str) -> tuple[str, int]:
    """A signed access token for ``user_id`` and its lifetime in seconds."""
    import jwt

    settings = get_settings()
    key = signing_key()
    now = int(time.time())
    claims = {
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "sub": user_id,
        "iat": now,
        "exp": now + settings.access_token_ttl_seconds,
        "jti": secrets.token_urlsafe(16),
        "typ": "access",
    }
    token = jwt.encode(claims, key.derive("jwt"), algorithm=ALGORITHM, headers={"kid": key.kid})
    return token, settings.access_token_ttl_seconds


def verify_access_token(token: str) -> dict[str, Any]:
    """The claims of a valid access token; ``Unauthorized`` for anything else."""
    import jwt

    settings = get_settings()
    try:
        header = jwt.get_unverified_header(token)
        key = signing_key()
        if header.get("alg") != ALGORITHM or header.get("kid") != key.kid:
            raise Unauthorized("The access token is not valid.", code="invalid_token")
        claims: dict[str, Any] = jwt.decode(
            token,
            key.derive("jwt"),
            algorithms=[ALGORITHM],
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            leeway=settings.token_leeway_seconds,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as error:
        raise Unauthorized("The access token has expired.", code="token_expired") from error
    except jwt.PyJWTError as error:
        raise Unauthorized("The access token is not valid.", code="invalid_token") from error
    if claims.get("typ") != "access" or not isinstance(claims.get("sub"), str):
        raise Unauthorized("The access token is not valid.", code="invalid_token")
    return claims
