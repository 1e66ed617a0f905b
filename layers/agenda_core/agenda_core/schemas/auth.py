"""Who is asking: built by the http edge from the bearer token, passed to every service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agenda_core.policy import SESSION_SCOPES


@dataclass(frozen=True)
class Caller:
    user_id: str | None = None
    scopes: frozenset[str] = frozenset()
    # How the caller proved who they are: a session's access token (JWT) or an API token.
    via: Literal["anonymous", "session", "api_token"] = "anonymous"
    # The session family (JWT ``sid``) or the API token id: what a revocation names.
    credential_id: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Caller()


def session_caller(user_id: str, session_id: str | None = None) -> Caller:
    return Caller(user_id=user_id, scopes=SESSION_SCOPES, via="session", credential_id=session_id)
