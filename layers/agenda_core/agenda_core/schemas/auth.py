"""Who is asking: built by the http edge from the bearer token, passed to every service."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("owner", "editor", "viewer")
EDITOR_ROLES = frozenset({"owner", "editor"})


@dataclass(frozen=True)
class Caller:
    user_id: str | None = None
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"read", "write"}))

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None


ANONYMOUS = Caller(user_id=None, scopes=frozenset({"read"}))
