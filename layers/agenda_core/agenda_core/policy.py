"""Who may do what: the one policy table every route of every function decides through.

Each route maps to an operation, each operation to a ``Rule``: whether a credential is needed,
which scope it must carry (API tokens are ``read`` or ``read`` + ``write``; a signed-in session
carries every scope), and, for operations on an agenda, which member roles may perform it. The
edge (``agenda_core.http.auth``) enforces authentication and scope before any route runs; the
services enforce roles with DynamoDB conditions built from the same rules. A route with no entry
here is refused at run time and fails ``tests/contract/test_policy.py`` and ``make openapi``.
(A leaf: imports nothing from agenda_core but the content kinds' names, content_names.py.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agenda_core.content_names import CONTENT

OWNER, EDITOR, VIEWER = "owner", "editor", "viewer"
ROLES = (OWNER, EDITOR, VIEWER)
ANY_MEMBER = frozenset(ROLES)
EDITORS = frozenset({OWNER, EDITOR})
OWNERS = frozenset({OWNER})

READ, WRITE, ACCOUNT = "read", "write", "account"
# What a signed-in session (JWT) may do; API tokens carry read or read + write, never account.
SESSION_SCOPES = frozenset({READ, WRITE, ACCOUNT})


@dataclass(frozen=True)
class Rule:
    auth: Literal["none", "optional", "required"]
    scope: str | None = None
    # Member roles allowed on the agenda the operation is about (None: not about an agenda).
    roles: frozenset[str] | None = None
    # Anyone (even anonymous) may do it when the agenda is published.
    public_when_published: bool = False
    # A member may do it to their own membership whatever their role (leaving an agenda).
    on_self: bool = False


OPERATIONS: dict[str, Rule] = {
    "users.create": Rule("none"),
    "users.me.read": Rule("required", READ),
    "users.me.update": Rule("required", ACCOUNT),
    "users.me.agendas": Rule("required", READ),
    "tokens.list": Rule("required", ACCOUNT),
    "tokens.create": Rule("required", ACCOUNT),
    "tokens.delete": Rule("required", ACCOUNT),
    "auth.token": Rule("none"),
    "auth.refresh": Rule("none"),
    "auth.revoke": Rule("none"),
    "agendas.list": Rule("optional", READ),
    "agendas.create": Rule("required", WRITE),
    "agenda.read": Rule("optional", READ, ANY_MEMBER, public_when_published=True),
    "agenda.changes": Rule("optional", READ, ANY_MEMBER, public_when_published=True),
    # Exports (API.md §5): the full read's visibility, in other formats.
    "agenda.calendar": Rule("optional", READ, ANY_MEMBER, public_when_published=True),
    "agenda.schedule_json": Rule("optional", READ, ANY_MEMBER, public_when_published=True),
    "agenda.schedule_xml": Rule("optional", READ, ANY_MEMBER, public_when_published=True),
    "agenda.replace": Rule("required", WRITE, EDITORS),
    "agenda.update": Rule("required", WRITE, EDITORS),
    "agenda.delete": Rule("required", WRITE, OWNERS),
    "members.list": Rule("required", READ, ANY_MEMBER),
    "members.create": Rule("required", WRITE, OWNERS),
    "members.update": Rule("required", WRITE, OWNERS),
    "members.delete": Rule("required", WRITE, OWNERS, on_self=True),
    # Webhooks (API.md §7): the organisers' own machinery, editors and owners only.
    "webhooks.list": Rule("required", READ, EDITORS),
    "webhooks.create": Rule("required", WRITE, EDITORS),
    "webhooks.read": Rule("required", READ, EDITORS),
    "webhooks.update": Rule("required", WRITE, EDITORS),
    "webhooks.delete": Rule("required", WRITE, EDITORS),
    "webhooks.rotate_secret": Rule("required", WRITE, EDITORS),
    "webhooks.deliveries": Rule("required", READ, EDITORS),
    "webhooks.redeliver": Rule("required", WRITE, EDITORS),
    "webhooks.ping": Rule("required", WRITE, EDITORS),
    # Uploads (API.md §6): a signed-in user's own files; ready images are public by their id.
    # Imports (API.md §8): editors sync the agenda with a schedule file; members see what ran.
    "imports.create": Rule("required", WRITE, EDITORS),
    "imports.list": Rule("required", READ, ANY_MEMBER),
    "imports.read": Rule("required", READ, ANY_MEMBER),
    "uploads.create": Rule("required", WRITE),
    "uploads.read": Rule("required", READ),
    "media.read": Rule("none"),
    "health.read": Rule("none"),
    "docs.read": Rule("none"),
}

# Agenda content (API.md §4): reads follow the agenda's visibility, writes need owner or editor.
CONTENT_PLURALS = tuple(kind.plural for kind in CONTENT)
for _plural in CONTENT_PLURALS:
    OPERATIONS[f"{_plural}.list"] = Rule("optional", READ, ANY_MEMBER, public_when_published=True)
    OPERATIONS[f"{_plural}.read"] = Rule("optional", READ, ANY_MEMBER, public_when_published=True)
    OPERATIONS[f"{_plural}.create"] = Rule("required", WRITE, EDITORS)
    OPERATIONS[f"{_plural}.replace"] = Rule("required", WRITE, EDITORS)
    OPERATIONS[f"{_plural}.update"] = Rule("required", WRITE, EDITORS)
    OPERATIONS[f"{_plural}.delete"] = Rule("required", WRITE, EDITORS)

# Every route of every function, exactly (tests/contract/test_policy.py): a route is added here
# in the same change that adds it to a function.
ROUTES: dict[str, str] = {
    "POST /v1/users": "users.create",
    "GET /v1/users/me": "users.me.read",
    "PATCH /v1/users/me": "users.me.update",
    "GET /v1/users/me/agendas": "users.me.agendas",
    "GET /v1/users/me/tokens": "tokens.list",
    "POST /v1/users/me/tokens": "tokens.create",
    "DELETE /v1/users/me/tokens/{token_id}": "tokens.delete",
    "POST /v1/auth/token": "auth.token",
    "POST /v1/auth/refresh": "auth.refresh",
    "POST /v1/auth/revoke": "auth.revoke",
    "GET /v1/agendas": "agendas.list",
    "POST /v1/agendas": "agendas.create",
    "GET /v1/agendas/{agenda_id}": "agenda.read",
    "GET /v1/agendas/{agenda_id}/changes": "agenda.changes",
    "GET /v1/agendas/{agenda_id}/calendar.ics": "agenda.calendar",
    "GET /v1/agendas/{agenda_id}/schedule.json": "agenda.schedule_json",
    "GET /v1/agendas/{agenda_id}/schedule.xml": "agenda.schedule_xml",
    "PUT /v1/agendas/{agenda_id}": "agenda.replace",
    "PATCH /v1/agendas/{agenda_id}": "agenda.update",
    "DELETE /v1/agendas/{agenda_id}": "agenda.delete",
    "GET /v1/agendas/{agenda_id}/members": "members.list",
    "POST /v1/agendas/{agenda_id}/members": "members.create",
    "PATCH /v1/agendas/{agenda_id}/members/{user_id}": "members.update",
    "DELETE /v1/agendas/{agenda_id}/members/{user_id}": "members.delete",
    "GET /v1/agendas/{agenda_id}/webhooks": "webhooks.list",
    "POST /v1/agendas/{agenda_id}/webhooks": "webhooks.create",
    "GET /v1/agendas/{agenda_id}/webhooks/{webhook_id}": "webhooks.read",
    "PATCH /v1/agendas/{agenda_id}/webhooks/{webhook_id}": "webhooks.update",
    "DELETE /v1/agendas/{agenda_id}/webhooks/{webhook_id}": "webhooks.delete",
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/rotate-secret": "webhooks.rotate_secret",
    "GET /v1/agendas/{agenda_id}/webhooks/{webhook_id}/deliveries": "webhooks.deliveries",
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": (
        "webhooks.redeliver"
    ),
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/ping": "webhooks.ping",
    "POST /v1/agendas/{agenda_id}/imports": "imports.create",
    "GET /v1/agendas/{agenda_id}/imports": "imports.list",
    "GET /v1/agendas/{agenda_id}/imports/{import_id}": "imports.read",
    "POST /v1/uploads": "uploads.create",
    "GET /v1/uploads/{upload_id}": "uploads.read",
    "GET /v1/media/{upload_id}": "media.read",
    "GET /v1/health": "health.read",
    "GET /v1/openapi.json": "docs.read",
    "GET /v1/docs": "docs.read",
    "GET /v1/docs/{asset}": "docs.read",
}
for _kind in CONTENT:
    _plural = _kind.plural
    _collection = f"/v1/agendas/{{agenda_id}}/{_plural}"
    _item = f"{_collection}/{{{_kind.id_param}}}"
    ROUTES[f"GET {_collection}"] = f"{_plural}.list"
    ROUTES[f"POST {_collection}"] = f"{_plural}.create"
    ROUTES[f"GET {_item}"] = f"{_plural}.read"
    ROUTES[f"PUT {_item}"] = f"{_plural}.replace"
    ROUTES[f"PATCH {_item}"] = f"{_plural}.update"
    ROUTES[f"DELETE {_item}"] = f"{_plural}.delete"


def rule_for_route(method: str, resource: str) -> Rule | None:
    operation = ROUTES.get(f"{method.upper()} {resource}")
    return OPERATIONS[operation] if operation else None


def roles_for(operation: str) -> frozenset[str]:
    """The member roles an agenda operation allows (services build their conditions on it)."""
    roles = OPERATIONS[operation].roles
    assert roles is not None, f"{operation} is not an agenda operation"
    return roles
