"""Authentication and scope, enforced from the policy table before any route runs.

``make_handler`` calls ``authenticate`` with the rule of the matched route; the route then reads
the result with ``current_caller``. Doing it before Powertools' request validation means an
unauthenticated request is a 401 whatever its body, and a credential that is present but wrong
is always a 401, never silently anonymous.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from agenda_core.errors import PermissionDenied, Unauthorized
from agenda_core.policy import Rule
from agenda_core.schemas.auth import ANONYMOUS, Caller, session_caller

_MAX_TOKEN_LENGTH = 4096
_caller: ContextVar[Caller] = ContextVar("caller", default=ANONYMOUS)

ApiTokenLookup = Callable[[str], Caller]
_api_tokens: ApiTokenLookup | None = None


def accept_api_tokens(lookup: ApiTokenLookup) -> None:
    """How an API token (``agt_…``, API.md §2) becomes a caller. Only the token service may look
    one up, and the edge imports no service: the functions' layer hands the lookup in
    (``agenda_core.routes.wiring``). Until then, every API token is refused."""
    global _api_tokens
    _api_tokens = lookup


def _authorization(event: dict[str, Any]) -> str | None:
    headers = event.get("headers") or {}
    return next((str(v) for k, v in headers.items() if k.lower() == "authorization"), None)


def identify(value: str) -> Caller:
    """The caller behind an ``Authorization`` header value. Raises ``Unauthorized``."""
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > _MAX_TOKEN_LENGTH:
        raise Unauthorized("Use the Bearer scheme: Authorization: Bearer <token>.", code="invalid_token")
    if token.startswith("agt_"):
        # An API token (API.md §2): checksum first, then one GetItem (or the container's cache).
        if _api_tokens is None:
            raise Unauthorized("API tokens are not accepted here.", code="invalid_token")
        return _api_tokens(token)
    # Imported when a token comes: an anonymous request (the apps' read) never loads the
    # signing-key and JWT code, nor pays its import in a cold start.
    from agenda_core.integrations.access_tokens import verify_access_token

    claims = verify_access_token(token)
    return session_caller(claims["sub"], claims.get("sid"))


def authenticate(event: dict[str, Any], rule: Rule) -> Caller:
    """Applies ``rule``'s auth and scope to the request. Raises ``Unauthorized`` (401) and
    ``PermissionDenied(insufficient_scope)`` (403)."""
    caller = ANONYMOUS
    if rule.auth != "none":
        value = _authorization(event)
        if value is not None:
            caller = identify(value)
        elif rule.auth == "required":
            raise Unauthorized("Send an access token: Authorization: Bearer <token>.")
    if not caller.is_anonymous and rule.scope and rule.scope not in caller.scopes:
        raise PermissionDenied(f"This token lacks the '{rule.scope}' scope.", code="insufficient_scope")
    _caller.set(caller)
    return caller


def current_caller() -> Caller:
    """The caller ``authenticate`` established for this request."""
    return _caller.get()


def forget_caller() -> None:
    _caller.set(ANONYMOUS)
