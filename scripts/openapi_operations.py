"""What each operation is called and says in the OpenAPI document (scripts/build_openapi.py):
its `operationId`, the name a generated client gives its method (`createAgenda` ->
`create_agenda.sync(...)`), and its `description`, what it does and who may call it.

Both start from the one table of routes, `agenda_core.policy.ROUTES`:

- operationId: derived from the route's policy operation, `<resource>.<verb>[_<words>]`: the verb
  (`read` -> `get`), the resource (singular, or plural for `list`), the other words. So
  "agendas.create" -> createAgenda, "agenda.read" -> getAgenda, "sessions.list" -> listSessions,
  "webhooks.rotate_secret" -> rotateWebhookSecret. Where that would mislead or collide (an
  operation serving several routes, a verb the rule does not know), `IRREGULAR_OPERATION_IDS`
  names the route's id. A route neither gives a name fails the build and
  tests/contract/test_openapi.py: a new route gets its name in the change that adds it.
- description: what the route does (its app's `description=`, or else `WHAT` below: one of the
  two, never both) followed by who may call it, a sentence written from the operation's policy
  `Rule` (`who_may`), so the document says what the edge enforces and it is declared once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agenda_core.content_names import CONTENT, SESSION
from agenda_core.policy import OPERATIONS, ROLES, ROUTES, Rule

# The verbs the rule turns into an operationId's first word; any other needs an irregular name.
VERBS = {
    "list": "list",
    "create": "create",
    "read": "get",
    "replace": "replace",
    "update": "update",
    "delete": "delete",
    "ping": "ping",
    "rotate": "rotate",
}
_SINGULAR = {kind.plural: kind.name for kind in CONTENT}  # categories -> category

# Routes whose operationId the rule cannot give: an operation with several routes (docs.read), a
# nested resource (users.me.*), a noun for a verb (agenda.changes), or a name that would mislead
# (tokens.* are API tokens; "createToken" is signing in, as in OAuth's token endpoint).
IRREGULAR_OPERATION_IDS: dict[str, str] = {
    "GET /v1/users/me": "getMe",
    "PATCH /v1/users/me": "updateMe",
    "GET /v1/users/me/agendas": "listMyAgendas",
    "GET /v1/users/me/tokens": "listApiTokens",
    "POST /v1/users/me/tokens": "createApiToken",
    "DELETE /v1/users/me/tokens/{token_id}": "deleteApiToken",
    "POST /v1/auth/token": "createToken",
    "POST /v1/auth/refresh": "refreshToken",
    "POST /v1/auth/revoke": "revokeToken",
    "GET /v1/agendas/{agenda_id}/changes": "listChanges",
    "GET /v1/agendas/{agenda_id}/webhooks/{webhook_id}/deliveries": "listWebhookDeliveries",
    "POST /v1/agendas/{agenda_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": (
        "redeliverWebhookDelivery"
    ),
    "GET /v1/agendas/{agenda_id}/calendar.ics": "getAgendaCalendar",
    "GET /v1/agendas/{agenda_id}/schedule.json": "getAgendaScheduleJson",
    "GET /v1/agendas/{agenda_id}/schedule.xml": "getAgendaScheduleXml",
    "GET /v1/openapi.json": "getOpenApiDocument",
    "GET /v1/docs": "getDocsPage",
    "GET /v1/docs/{asset}": "getDocsAsset",
}
OPERATION_ID_PATTERN = re.compile(r"^[a-z]+([A-Z][a-z0-9]*)+$")


class NamingError(Exception):
    """A route has no operationId or description, or two routes share one."""


def derived_operation_id(operation: str) -> str | None:
    """The rule: "sessions.list" -> "listSessions", "webhooks.rotate_secret" ->
    "rotateWebhookSecret"; None where it does not apply."""
    resource, _, action = operation.rpartition(".")
    verb, *rest = action.split("_")
    if not resource or "." in resource or verb not in VERBS:
        return None
    noun = resource if verb == "list" else _SINGULAR.get(resource, resource.removesuffix("s"))
    return VERBS[verb] + "".join(word.title() for word in (*noun.split("_"), *rest))


def operation_ids(routes: Mapping[str, str] = ROUTES) -> dict[str, str]:
    """route ("METHOD /path") -> operationId, for every route. Raises NamingError."""
    ids: dict[str, str] = {}
    unnamed = []
    for route, operation in routes.items():
        name = IRREGULAR_OPERATION_IDS.get(route) or derived_operation_id(operation)
        if name is None:
            unnamed.append(f"{route} ({operation})")
        else:
            ids[route] = name
    problems = []
    if unnamed:
        problems.append(
            f"no operationId for {', '.join(unnamed)}: add it to IRREGULAR_OPERATION_IDS in "
            "scripts/openapi_operations.py"
        )
    problems += [
        f"IRREGULAR_OPERATION_IDS names no route: {route}"
        for route in sorted(IRREGULAR_OPERATION_IDS.keys() - routes.keys())
    ]
    seen: dict[str, str] = {}
    for route, name in ids.items():
        if not OPERATION_ID_PATTERN.match(name):
            problems.append(f"operationId {name!r} of {route} is not lowerCamelCase")
        if name in seen:
            problems.append(f"operationId {name!r} of {route} is also {seen[name]}'s")
        seen.setdefault(name, route)
    if problems:
        raise NamingError("\n  ".join(problems))
    return ids


# -- who may call it ------------------------------------------------------------------------------

_TOKENS = {
    "read": "a bearer token with the `read` scope (an access token, or any API token)",
    "write": "a bearer token with the `write` scope (an access token, or an API token with `write`)",
    "account": "an access token from signing in (POST /v1/auth/token); API tokens are refused",
    None: "a bearer token",
}


def _members(rule: Rule) -> str:
    assert rule.roles is not None
    if rule.roles == frozenset(ROLES):
        who = "a member of the agenda (" + ", ".join(ROLES[:-1]) + f" or {ROLES[-1]})"
    else:
        who = " or ".join(f"an {role}" for role in ROLES if role in rule.roles) + " of the agenda"
    if rule.on_self:
        who += ", or the member themself (to leave the agenda)"
    return who


def who_may(rule: Rule) -> str:
    """The sentence saying who may call an operation with this rule (agenda_core/policy.py)."""
    token = _TOKENS[rule.scope]
    if rule.auth == "none":
        return "Anyone may call it: no credentials are needed, and an `Authorization` header is ignored."
    if rule.auth == "optional":
        if rule.roles is not None and rule.public_when_published:
            return (
                "Anyone may call it on a published agenda, without credentials. On an unpublished "
                f"one only {_members(rule)} may, with {token}; anyone else gets a 404."
            )
        if rule.roles is not None:
            return f"Only {_members(rule)} may call it, with {token}; anyone else gets a 404."
        scope = f" and carry the `{rule.scope}` scope" if rule.scope else ""
        return f"Anyone may call it, without credentials; a bearer token, if sent, must be valid{scope}."
    if rule.roles is None:
        return f"Needs {token}."
    return f"Needs {token}; the caller must be {_members(rule)}."


# -- what it does ---------------------------------------------------------------------------------

_AGENDA = "/v1/agendas/{agenda_id}"
_WEBHOOK = _AGENDA + "/webhooks/{webhook_id}"
# route -> what it does, for the routes whose app does not say it (`description=`).
WHAT: dict[str, str] = {
    "POST /v1/users": "Signs up a new user with an email, a password (12 to 256 characters) and a name.",
    "GET /v1/users/me": "Returns the signed-in user: email and name (never a password hash).",
    "GET /v1/users/me/agendas": (
        "Lists the agendas the caller is a member of, published or not, each with the caller's role."
    ),
    "GET /v1/users/me/tokens": "Lists the caller's API tokens: names, scopes, expiry and last use, never secrets.",
    "POST /v1/users/me/tokens": (
        "Creates an API token (`agt_…`) for an integration, with the `read` or the `read` and "
        "`write` scopes and an optional expiry; its secret `token` is in this answer only."
    ),
    "DELETE /v1/users/me/tokens/{token_id}": (
        "Deletes (revokes) one of the caller's API tokens; a warm container may still accept it "
        "for up to 60 seconds."
    ),
    "POST /v1/auth/token": (
        "Signs in with an email and a password, for a short-lived access token (send it as "
        "`Authorization: Bearer <token>`) and a refresh token. A wrong email or password is one "
        "identical 401; repeated failures are a 429."
    ),
    "POST /v1/auth/refresh": (
        "Exchanges a refresh token for a new access token and refresh token. The one sent is "
        "spent: presenting it again ends its whole session (401)."
    ),
    "POST /v1/auth/revoke": (
        "Signs out: ends the session a refresh token belongs to. Answers 204 whatever the token was."
    ),
    "GET /v1/agendas": "Lists published agendas, soonest first, optionally only those starting after or before a date.",
    "POST /v1/agendas": "Creates an agenda; the caller becomes its owner.",
    f"GET {_AGENDA}": (
        "Returns the full agenda in one answer, by id or slug: the agenda with all its sessions, "
        "speakers, tracks, venues and categories, an ETag and the `Changes-Cursor` to follow the "
        "change feed from. Members read their own writes and see schedule conflicts."
    ),
    f"GET {_AGENDA}/changes": (
        "Returns what changed since a cursor (a full read's `changes_cursor` or a page's "
        "`cursor`), in commit order; without `since`, no changes and the cursor for now. A cursor "
        "older than the change log keeps is a 410."
    ),
    f"PUT {_AGENDA}": (
        "Replaces the agenda's writable fields: optional fields left out are cleared (a missing "
        "`slug` keeps the slug). With `If-Match`, a stale version is a 412."
    ),
    f"PATCH {_AGENDA}": (
        "Changes some of the agenda's fields (JSON merge patch: `null` clears a field), such as "
        "`published`; publishing an agenda with schedule conflicts is a 409."
    ),
    f"DELETE {_AGENDA}": "Deletes the agenda and everything in it.",
    f"GET {_AGENDA}/members": "Lists the agenda's members and their roles.",
    f"POST {_AGENDA}/members": "Adds a signed-up user, by email, as an owner, editor or viewer of the agenda.",
    f"PATCH {_AGENDA}/members/{{user_id}}": "Changes a member's role; the last owner cannot be demoted (409).",
    f"DELETE {_AGENDA}/members/{{user_id}}": "Removes a member from the agenda; the last owner cannot leave (409).",
    f"GET {_AGENDA}/webhooks": "Lists the agenda's webhook subscriptions, oldest first (never their secrets).",
    f"POST {_AGENDA}/webhooks": (
        "Subscribes an https endpoint to the agenda's events (at most 10 per agenda); the "
        "signing secret (`whsec_…`) is in this answer only."
    ),
    f"GET {_WEBHOOK}": "Returns one webhook subscription: its endpoint, events and state (never its secret).",
    f"PATCH {_WEBHOOK}": "Changes a subscription (JSON merge patch); `active` pauses or resumes it.",
    f"DELETE {_WEBHOOK}": "Deletes a webhook subscription: nothing more is sent to its endpoint.",
    f"POST {_WEBHOOK}/rotate-secret": (
        "Gives the subscription a new signing secret, shown only in this answer; the previous "
        "one still signs for 24 hours."
    ),
    f"GET {_WEBHOOK}/deliveries": (
        "Lists the subscription's delivery log, newest first: each event sent, its attempts, "
        "their status and the next attempt (kept 30 days)."
    ),
    f"POST {_WEBHOOK}/deliveries/{{delivery_id}}/redeliver": (
        "Sends a logged delivery again, with the same `webhook-id` (one attempt, logged too)."
    ),
    f"POST {_WEBHOOK}/ping": "Sends a `webhook.ping` event to the endpoint, whatever its `events` filter.",
    "GET /v1/agendas/{agenda_id}/calendar.ics": (
        "Returns the agenda's sessions as an RFC 5545 calendar (`text/calendar`): a VEVENT per "
        "session with a stable UID, wall times in the agenda's zone with its VTIMEZONE, a SEQUENCE "
        "that rises with each change, and cancelled sessions as `STATUS:CANCELLED`; filter it by "
        "track, venue, speaker or a list of sessions for a personal calendar."
    ),
    "GET /v1/agendas/{agenda_id}/schedule.json": (
        "Returns the agenda in c3voc's frab JSON format (`schedule.json`), which conference apps "
        "such as EventFahrplan, Giggity and ConfClerk read: days split at the agenda's day change, "
        "rooms from venues, persons from speakers, guids stable across edits."
    ),
    "GET /v1/agendas/{agenda_id}/schedule.xml": (
        "Returns the agenda in the frab XML format (`schedule.xml`), valid against c3voc's XSD: the "
        "same schedule as `schedule.json`."
    ),
    "POST /v1/agendas/{agenda_id}/imports": (
        "Starts an import of a ready `schedule_import` upload of the caller's (a c3voc/pretalx "
        "`schedule.json` or a frab `schedule.xml`) into the agenda; it runs shortly after the 202. "
        "Importing a newer version of the same schedule updates what an earlier import made, "
        "deletes what the schedule dropped and never touches content made through the API."
    ),
    "GET /v1/agendas/{agenda_id}/imports": "Lists the agenda's imports, newest first, each with its status and report.",
    "GET /v1/agendas/{agenda_id}/imports/{import_id}": (
        "Returns one import: `pending`, `running`, `done` or `failed`, with the report of what it "
        "created, updated, deleted, left unchanged and refused, and every fix it applied."
    ),
    "POST /v1/uploads": (
        "Asks to upload a file (an agenda icon, a speaker photo or a schedule file): the answer is "
        "a form to POST the file straight to storage, where it is checked once stored."
    ),
    "GET /v1/uploads/{upload_id}": (
        "Returns one of the caller's uploads: `pending`, `ready` (with its `url` for images) or "
        "`rejected` (with the reason)."
    ),
    "GET /v1/media/{upload_id}": (
        "Redirects to a five-minute link to a ready image (an agenda icon or a speaker photo); "
        "this URL itself never changes."
    ),
    "GET /v1/health": "Checks the API's dependencies and says whether each answered.",
    "GET /v1/openapi.json": "Returns this OpenAPI document.",
    "GET /v1/docs": "Returns the interactive documentation page (Swagger UI), served entirely by this API.",
    "GET /v1/docs/{asset}": "Returns a script or style sheet of the documentation page.",
}
# Agenda content (API.md §4): the same six operations per kind.
for _kind in CONTENT:
    _collection = f"{_AGENDA}/{_kind.plural}"
    _item = f"{_collection}/{{{_kind.id_param}}}"
    WHAT[f"GET {_collection}"] = f"Lists the agenda's {_kind.plural}, a page at a time."
    WHAT[f"POST {_collection}"] = f"Creates a {_kind.name} in the agenda."
    WHAT[f"GET {_item}"] = f"Returns one {_kind.name} of the agenda, with its ETag."
    WHAT[f"PUT {_item}"] = f"Replaces a {_kind.name}'s writable fields: optional fields left out are cleared."
    WHAT[f"PATCH {_item}"] = (
        f"Changes some fields of a {_kind.name} (JSON merge patch: `null` clears a field)."
    )
    WHAT[f"DELETE {_item}"] = f"Deletes a {_kind.name}" + (
        "." if _kind == SESSION else "; one that a session still refers to is a 409 (`in_use`)."
    )
WHAT[f"GET {_AGENDA}/{SESSION.plural}"] = (
    "Lists the agenda's sessions by start time, optionally only those of a track, venue, speaker, "
    "category or local day."
)


def descriptions(declared: Mapping[str, str | None], routes: Mapping[str, str] = ROUTES) -> dict[str, str]:
    """route -> description: what it does (its app's own description in `declared`, or WHAT's),
    then who may call it. Raises NamingError."""
    result = {}
    problems = []
    for route, operation in routes.items():
        own, ours = declared.get(route), WHAT.get(route)
        if own and ours:
            problems.append(f"{route} is described by its app and by WHAT in scripts/openapi_operations.py")
        elif not (own or ours):
            problems.append(f"{route} has no description: add one to WHAT in scripts/openapi_operations.py")
        else:
            result[route] = f"{own or ours} {who_may(OPERATIONS[operation])}"
    problems += [f"WHAT names no route: {route}" for route in WHAT if route not in routes]
    if problems:
        raise NamingError("\n  ".join(problems))
    return result
