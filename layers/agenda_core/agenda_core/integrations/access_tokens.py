"""JWT access tokens to RFC 8725 (JSON Web Token Best Current Practices).

- One pinned algorithm (HS256): the header's ``alg`` must be exactly it, so ``none``, another
  HMAC or an asymmetric algorithm is refused before any key is touched (§2.1, §3.1).
- Explicit typing (§3.11, RFC 9068 §2.1): ``typ: at+jwt``, so no other JWT of ours can pass as
  an access token.
- The key is named by ``kid`` and looked up in the signing key ring (current, and previous while
  a rotation overlaps); an unknown kid is refused. Keys are ≥ 256 bits (integrations/secrets.py).
- Required claims: ``iss``, ``aud`` (both checked, §3.9), ``sub``, ``exp`` (with ≤ 60 s leeway),
  ``iat``, ``jti`` and ``sid`` (the session, i.e. the refresh-token family it was issued for).

Every refusal is the same ``Unauthorized(invalid_token)`` (``token_expired`` for an expired one).
PyJWT is imported on first use, so anonymous requests never pay for it.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from agenda_core.errors import Unauthorized
from agenda_core.integrations.secrets import signing_key, verification_key
from agenda_core.settings import get_settings

ALGORITHM = "HS256"
TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "jti", "sid")
_KEY_PURPOSE = "jwt"
_USER_ID = re.compile(r"usr_[0-9A-HJKMNP-TV-Z]{26}")
_SESSION_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_MAX_KID_LENGTH = 64


def _invalid() -> Unauthorized:
    return Unauthorized("The access token is not valid.", code="invalid_token")


def issue_access_token(user_id: str, session_id: str) -> tuple[str, int]:
    """A signed access token for ``user_id`` in session ``session_id``, and its lifetime (s)."""
    import jwt

    settings = get_settings()
    key = signing_key()
    now = int(time.time())
    claims = {
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "sub": user_id,
        "sid": session_id,
        "iat": now,
        "exp": now + settings.access_token_ttl_seconds,
        "jti": secrets.token_urlsafe(16),
    }
    headers = {"kid": key.kid, "typ": TOKEN_TYPE}
    token = jwt.encode(claims, key.derive(_KEY_PURPOSE), algorithm=ALGORITHM, headers=headers)
    return token, settings.access_token_ttl_seconds


def verify_access_token(token: str) -> dict[str, Any]:
    """The claims of a valid access token; ``Unauthorized`` for anything else."""
    import jwt

    settings = get_settings()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise _invalid() from error
    kid = header.get("kid")
    if (
        header.get("alg") != ALGORITHM
        or header.get("typ") != TOKEN_TYPE
        or not isinstance(kid, str)
        or not 0 < len(kid) <= _MAX_KID_LENGTH
    ):
        raise _invalid()
    key = verification_key(kid)
    if key is None:
        raise _invalid()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.derive(_KEY_PURPOSE),
            algorithms=[ALGORITHM],
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            leeway=settings.token_leeway_seconds,
            options={"require": list(REQUIRED_CLAIMS), "strict_aud": True},
        )
    except jwt.ExpiredSignatureError as error:
        raise Unauthorized("The access token has expired.", code="token_expired") from error
    except jwt.PyJWTError as error:
        raise _invalid() from error
    sub, sid = claims.get("sub"), claims.get("sid")
    if not (
        isinstance(sub, str)
        and _USER_ID.fullmatch(sub)
        and isinstance(sid, str)
        and _SESSION_ID.fullmatch(sid)
    ):
        raise _invalid()
    return claims
