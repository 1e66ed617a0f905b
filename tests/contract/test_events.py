"""events/**.json: one event per route, each answered as expected by its function's handler.

Each file is invoked straight through the `lambda_handler` of the function template.yaml routes
it to (as `sam local invoke -e` would), over moto. What an event needs is made through the API
first (a signed-up user's token for `Bearer <token>`, an agenda of theirs for the placeholder id).
Bodies are checked against the operation's response schema in the committed OpenAPI document,
and compared whole where the answer is known.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from local.lambda_runtime import new_context
from local.template import api_routes, functions
from tests.builders import log_delivery
from tests.contract.conftest import (
    BASE_URL,
    EVENTS_DIR,
    OPENAPI_FILE,
    REGION,
    ROOT,
    TEMPLATE,
    Account,
    build_openapi,
    committed_document,
    sign_up_and_log_in,
)

TOKEN_PLACEHOLDER = "Bearer <token>"
AGENDA_PLACEHOLDER = "agd_01JQ0000000000000000000000"
# A member of that agenda: the demo user, added as an editor first.
MEMBER_PLACEHOLDER = "usr_01JQ0000000000000000000000"
# An API token of the token's user, created first.
API_TOKEN_PLACEHOLDER = "tok_01JQ0000000000000000000000"
WEBHOOK_PLACEHOLDER = "whk_01JQ0000000000000000000000"
DELIVERY_PLACEHOLDER = "msg_01JQ0000000000000000000000"
UPLOAD_PLACEHOLDER = "upl_01JQ0000000000000000000000"
IMPORT_PLACEHOLDER = "imp_01JQ0000000000000000000000"
# Agenda content (API.md §4): plural -> (singular, the placeholder of an item's id). The item is
# made first by its resource's create event (sessions/create_session.json's body, and so on);
# a list event gets one such item too, so its answer is not an empty list.
CONTENT: dict[str, tuple[str, str]] = {
    "sessions": ("session", "ses_01JQ0000000000000000000000"),
    "speakers": ("speaker", "spk_01JQ0000000000000000000000"),
    "tracks": ("track", "trk_01JQ0000000000000000000000"),
    "venues": ("venue", "ven_01JQ0000000000000000000000"),
    "categories": ("category", "cat_01JQ0000000000000000000000"),
}
CONTENT_PLACEHOLDERS = tuple(placeholder for _, placeholder in CONTENT.values())
# What the content events' bodies are answered with where the API changes the value sent: session
# times come back in the agenda's offset for that instant (API.md §1; Europe/Lisbon, the zone of
# agendas/create_agenda.json, is +01:00 in September), colours in lower case.
SHOWN_AS = {
    "2026-09-14T08:30:00Z": "2026-09-14T09:30:00+01:00",
    "2026-09-14T09:30:00Z": "2026-09-14T10:30:00+01:00",
    "#3366CC": "#3366cc",
    "#2E8B57": "#2e8b57",
}
# The defaults of fields a create or replace may leave out, and that are shown (API.md §4).
CONTENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "sessions": {"kind": "talk", "plenary": False, "status": "confirmed"}
}
# In a body: a live refresh token of the token's user (from a fresh login).
REFRESH_PLACEHOLDER = "<refresh_token>"
# Events that change their user run as a user of their own, so the others still see `account`
# as it was.
OWN_USER_EVENTS = frozenset({"users/update_me.json"})

# The status each event is answered with (the test fails for a file missing here, and for an
# entry without its file).
EXPECTED_STATUS: dict[str, int] = {
    "users/create_user.json": 201,
    "users/get_me.json": 200,
    "users/list_my_agendas.json": 200,
    "users/list_tokens.json": 200,
    "users/create_token.json": 201,
    "users/delete_token.json": 204,
    "auth/create_token.json": 200,
    "auth/refresh_token.json": 200,
    "auth/revoke_token.json": 204,
    "users/update_me.json": 200,
    "agendas/list_agendas.json": 200,
    "agendas/create_agenda.json": 201,
    "agendas/get_agenda.json": 200,
    "agendas/get_agenda_changes.json": 200,
    "agendas/replace_agenda.json": 200,
    "agendas/update_agenda.json": 200,
    "agendas/delete_agenda.json": 204,
    "exports/get_calendar.json": 200,
    "exports/get_schedule_json.json": 200,
    "exports/get_schedule_xml.json": 200,
    "members/list_members.json": 200,
    "members/create_member.json": 201,
    "members/update_member.json": 200,
    "members/delete_member.json": 204,
    "webhooks/list_webhooks.json": 200,
    "webhooks/create_webhook.json": 201,
    "webhooks/get_webhook.json": 200,
    "webhooks/update_webhook.json": 200,
    "webhooks/delete_webhook.json": 204,
    "webhooks/rotate_webhook_secret.json": 200,
    "webhooks/list_webhook_deliveries.json": 200,
    "webhooks/redeliver_webhook_delivery.json": 202,
    "webhooks/ping_webhook.json": 202,
    "imports/create_import.json": 202,
    "imports/list_imports.json": 200,
    "imports/get_import.json": 200,
    "uploads/create_upload.json": 201,
    "uploads/get_upload.json": 200,
    "uploads/get_media.json": 302,
    "health/get_health.json": 200,
    "docs/get_openapi.json": 200,
    "docs/get_docs.json": 200,
    "docs/get_docs_asset.json": 200,
}
for _plural, (_singular, _) in CONTENT.items():
    EXPECTED_STATUS.update(
        {
            f"{_plural}/list_{_plural}.json": 200,
            f"{_plural}/create_{_singular}.json": 201,
            f"{_plural}/get_{_singular}.json": 200,
            f"{_plural}/replace_{_singular}.json": 200,
            f"{_plural}/update_{_singular}.json": 200,
            f"{_plural}/delete_{_singular}.json": 204,
        }
    )
# API Gateway events, one per route; stream events (a "Records" list) go to functions/snapshots.
_ALL_EVENTS = sorted(path.relative_to(EVENTS_DIR).as_posix() for path in EVENTS_DIR.rglob("*.json"))
STREAM_EVENT_FILES = [n for n in _ALL_EVENTS if "Records" in json.loads((EVENTS_DIR / n).read_text("utf-8"))]
EVENT_FILES = [name for name in _ALL_EVENTS if name not in STREAM_EVENT_FILES]

ID = re.compile(r"^(usr|agd)_[0-9A-HJKMNP-TV-Z]{26}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
CURSOR = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")  # opaque: base64url payload and signature
JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
REFRESH = re.compile(r"^rt_[0-9A-HJKMNP-TV-Z]{26}\.[A-Za-z0-9_-]{43}$")
ETAG = re.compile(r'^"[^"]+"$')
ANY_FIELDS = object()  # a presigned POST's form fields: signed anew every time


def load_event(name: str) -> dict[str, Any]:
    """The one way tests read an event file."""
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


def route_of(event: dict[str, Any]) -> tuple[str, str]:
    return event["httpMethod"], event["resource"]


def template_functions() -> dict[tuple[str, str], str]:
    """(METHOD, path) -> function directory name, from template.yaml (catch-all ANY left out)."""
    return {
        (route.method, route.path): Path(route.code_uri).name
        for route in api_routes(TEMPLATE)
        if route.method != "ANY"
    }


def matches(actual: Any, expected: Any) -> bool:
    """Equality, where a compiled pattern in `expected` stands for any string it matches (and
    ANY_FIELDS for any object of strings)."""
    if expected is ANY_FIELDS:
        return isinstance(actual, dict) and all(isinstance(v, str) for v in actual.values())
    if isinstance(expected, re.Pattern):
        return isinstance(actual, str) and expected.match(actual) is not None
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(matches(actual[k], v) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(matches(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected)


def response_validator(method: str, resource: str, status: int) -> Draft202012Validator | None:
    """A validator for the JSON body the document declares for this answer (None: no JSON body)."""
    document = committed_document()
    responses = document["paths"][resource][method.lower()]["responses"]
    response = responses[str(status)]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    content = response.get("content") or {}
    media = content.get("application/json") or content.get("application/problem+json")
    if media is None:
        return None
    # The document as the root resource, so "#/components/schemas/..." references resolve.
    return Draft202012Validator({**media["schema"], "components": document["components"]})


def test_every_route_has_an_event() -> None:
    routes = {route_of(load_event(name)): name for name in EVENT_FILES}
    assert sorted(set(template_functions()) - set(routes)) == [], "routes without an event"
    assert sorted(set(routes) - set(template_functions())) == [], "events for no route"


def test_every_event_has_an_expected_status() -> None:
    assert sorted(EVENT_FILES) == sorted(EXPECTED_STATUS)


@pytest.mark.parametrize("name", STREAM_EVENT_FILES)
def test_a_stream_event_is_handled_by_the_snapshot_function(name: str, gateway: Any) -> None:
    """`sam local invoke SnapshotsFunction -e events/snapshots/...`: the change of an agenda that
    does not exist (any more) removes its snapshot and reports no failure."""
    event = json.loads((EVENTS_DIR / name).read_text("utf-8"))

    assert gateway.invoke("SnapshotsFunction", event) == {"batchItemFailures": []}


@pytest.mark.parametrize("name", EVENT_FILES)
def test_event_is_well_formed(name: str) -> None:
    event = load_event(name)
    method, resource = route_of(event)
    assert name.startswith(f"{template_functions()[(method, resource)]}/"), "events/<function>/..."
    context = event["requestContext"]
    assert {k: context[k] for k in ("resourcePath", "httpMethod")} == {
        "resourcePath": resource,
        "httpMethod": method,
    }
    assert {"requestId", "stage", "domainName"} <= context.keys()
    # The path is the resource with its parameters filled in.
    filled = resource
    for key, value in (event["pathParameters"] or {}).items():
        filled = filled.replace("{" + key + "}", value)
    assert event["path"] == filled
    assert event["isBase64Encoded"] is False
    if event["body"] is not None:
        json.loads(event["body"])
        assert any(k.lower() == "content-type" for k in event["headers"])


@pytest.fixture(scope="module")
def demo_user(gateway: Any) -> None:
    """The user auth/create_token.json logs in as (the one `make dev` seeds)."""
    body = json.loads(load_event("auth/create_token.json")["body"])
    created = gateway.request("POST", "/v1/users", json_body={**body, "name": "Demo Organiser"})
    assert created.status == 201, created.body


def create_agenda(gateway: Any, account: Account) -> dict[str, Any]:
    # The days and zone of agendas/create_agenda.json, whose answer the placeholder stands for:
    # the session events' times fall inside them.
    days = json.loads(load_event("agendas/create_agenda.json")["body"])
    body = {
        "name": "Event Fixture Conf",
        "location": "Ghent",
        **{name: days[name] for name in ("start_at", "duration", "timezone")},
    }
    created = gateway.request("POST", "/v1/agendas", json_body=body, headers=account.headers)
    assert created.status == 201, created.body
    return {**created.json(), "etag": created.header("ETag")}


def create_content(gateway: Any, account: Account, agenda_id: str, plural: str) -> dict[str, Any]:
    """An item made with the body of its resource's create event."""
    singular, _ = CONTENT[plural]
    body = json.loads(load_event(f"{plural}/create_{singular}.json")["body"])
    created = gateway.request(
        "POST", f"/v1/agendas/{agenda_id}/{plural}", json_body=body, headers=account.headers
    )
    assert created.status == 201, created.body
    return {**created.json(), "etag": created.header("ETag")}


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """Call the handler of the function template.yaml routes this event to."""
    name = template_functions()[route_of(event)]
    spec = next(spec for spec in functions(TEMPLATE).values() if Path(spec.code_uri).name == name)
    handler = build_openapi.load_function(name).lambda_handler
    return handler(copy.deepcopy(event), new_context(spec, REGION))


def prepared(name: str, gateway: Any, account: Account) -> tuple[dict[str, Any], dict[str, Any]]:
    """The event with its placeholders replaced, and what was made for it."""
    event = load_event(name)
    made: dict[str, Any] = {}
    headers = event["headers"]
    if headers.get("Authorization") == TOKEN_PLACEHOLDER:
        headers["Authorization"] = f"Bearer {account.token}"
    if name in OWN_USER_EVENTS:
        own = sign_up_and_log_in(gateway, "own-user-event@example.com", "own-user-password", "Own User")
        made["account"] = own
        headers["Authorization"] = f"Bearer {own.token}"
    if event["body"] and REFRESH_PLACEHOLDER in event["body"]:
        login = gateway.request(
            "POST", "/v1/auth/token", json_body={"email": account.email, "password": account.password}
        )
        assert login.status == 200, login.body
        event["body"] = event["body"].replace(REFRESH_PLACEHOLDER, login.json()["refresh_token"])
        assert REFRESH_PLACEHOLDER not in event["body"]
    if AGENDA_PLACEHOLDER in event["path"]:
        made["agenda"] = create_agenda(gateway, account)
        agenda_id = made["agenda"]["id"]
        event["path"] = event["path"].replace(AGENDA_PLACEHOLDER, agenda_id)
        event["pathParameters"]["agenda_id"] = agenda_id
    if MEMBER_PLACEHOLDER in event["path"]:
        added = gateway.request(
            "POST",
            f"/v1/agendas/{made['agenda']['id']}/members",
            json_body={
                "email": json.loads(load_event("auth/create_token.json")["body"])["email"],
                "role": "editor",
            },
            headers=account.headers,
        )
        assert added.status == 201, added.body
        made["member"] = added.json()
        event["path"] = event["path"].replace(MEMBER_PLACEHOLDER, made["member"]["id"])
        event["pathParameters"]["user_id"] = made["member"]["id"]
    if API_TOKEN_PLACEHOLDER in event["path"]:
        created = gateway.request(
            "POST",
            "/v1/users/me/tokens",
            json_body={"name": "Event", "scopes": ["read"]},
            headers=account.headers,
        )
        assert created.status == 201, created.body
        made["api_token"] = created.json()
        event["path"] = event["path"].replace(API_TOKEN_PLACEHOLDER, made["api_token"]["id"])
        event["pathParameters"]["token_id"] = made["api_token"]["id"]
    if WEBHOOK_PLACEHOLDER in event["path"] or name == "webhooks/list_webhooks.json":
        created = gateway.request(
            "POST",
            f"/v1/agendas/{made['agenda']['id']}/webhooks",
            json_body=json.loads(load_event("webhooks/create_webhook.json")["body"]),
            headers=account.headers,
        )
        assert created.status == 201, created.body
        made["webhook"] = {k: v for k, v in created.json().items() if k != "secret"}
        event["path"] = event["path"].replace(WEBHOOK_PLACEHOLDER, made["webhook"]["id"])
        if "webhook_id" in (event["pathParameters"] or {}):
            event["pathParameters"]["webhook_id"] = made["webhook"]["id"]
        if name in ("webhooks/list_webhook_deliveries.json", "webhooks/redeliver_webhook_delivery.json"):
            made["delivery"] = log_delivery(made["agenda"]["id"], made["webhook"]["id"])
            event["path"] = event["path"].replace(DELIVERY_PLACEHOLDER, made["delivery"]["id"])
            if "delivery_id" in event["pathParameters"]:
                event["pathParameters"]["delivery_id"] = made["delivery"]["id"]
    if UPLOAD_PLACEHOLDER in event["path"]:
        made["upload"] = ready_upload(gateway, account)
        event["path"] = event["path"].replace(UPLOAD_PLACEHOLDER, made["upload"]["id"])
        event["pathParameters"]["upload_id"] = made["upload"]["id"]
    if name.startswith("imports/"):
        # A ready schedule file of the account's; an import of it for the reads.
        made["upload"] = ready_upload(gateway, account, SCHEDULE_FILE, "application/json", "schedule_import")
        if event["body"]:
            event["body"] = event["body"].replace(UPLOAD_PLACEHOLDER, made["upload"]["id"])
        if name != "imports/create_import.json":
            started = gateway.request(
                "POST",
                f"/v1/agendas/{made['agenda']['id']}/imports",
                json_body={"upload_id": made["upload"]["id"]},
                headers=account.headers,
            )
            assert started.status == 202, started.body
            made["import"] = started.json()
            event["path"] = event["path"].replace(IMPORT_PLACEHOLDER, made["import"]["id"])
            if "import_id" in (event["pathParameters"] or {}):
                event["pathParameters"]["import_id"] = made["import"]["id"]
    plural = name.split("/")[0]
    if plural in CONTENT and (name == f"{plural}/list_{plural}.json" or CONTENT[plural][1] in event["path"]):
        made["item"] = create_content(gateway, account, made["agenda"]["id"], plural)
        singular, placeholder = CONTENT[plural]
        if placeholder in event["path"]:
            event["path"] = event["path"].replace(placeholder, made["item"]["id"])
            event["pathParameters"][f"{singular}_id"] = made["item"]["id"]
    assert all(
        p not in json.dumps(event)
        for p in (
            TOKEN_PLACEHOLDER,
            AGENDA_PLACEHOLDER,
            MEMBER_PLACEHOLDER,
            API_TOKEN_PLACEHOLDER,
            WEBHOOK_PLACEHOLDER,
            DELIVERY_PLACEHOLDER,
            UPLOAD_PLACEHOLDER,
            IMPORT_PLACEHOLDER,
            *CONTENT_PLACEHOLDERS,
        )
    )
    return event, made


# A schedule file for the import events: one conference, no events (the import has nothing to do).
SCHEDULE_FILE = json.dumps(
    {"schedule": {"conference": {"acronym": "events", "title": "Events", "start": "2026-09-14", "days": []}}}
).encode()


def ready_upload(
    gateway: Any,
    account: Account,
    data: bytes | None = None,
    content_type: str = "image/png",
    purpose: str = "speaker_photo",
) -> dict[str, Any]:
    """A ready upload of the account's (a speaker photo unless told): asked for, stored, checked."""
    import boto3

    from tests.images import png

    data = png() if data is None else data
    created = gateway.request(
        "POST",
        "/v1/uploads",
        json_body={"purpose": purpose, "content_type": content_type, "content_length": len(data)},
        headers=account.headers,
    ).json()
    fields = created["upload"]["fields"]
    bucket = gateway.resources["UploadBucket"]
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=bucket, Key=fields["key"], Body=data, ContentType=content_type
    )
    gateway.pump_buckets()
    return dict(gateway.request("GET", f"/v1/uploads/{created['id']}", headers=account.headers).json())


def header(result: dict[str, Any], name: str) -> str | None:
    return next((v for k, v in (result.get("headers") or {}).items() if k.lower() == name.lower()), None)


def without_etag(item: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What an item's body is with `changes` applied (a merge patch: None clears a field)."""
    body = {k: v for k, v in item.items() if k != "etag"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def agenda_body(agenda: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = {k: v for k, v in agenda.items() if k != "etag"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize("name", EVENT_FILES)
def test_event_answers_as_expected(name: str, gateway: Any, account: Account, demo_user: None) -> None:
    event, made = prepared(name, gateway, account)
    method, resource = route_of(event)

    result = invoke(event)

    status = result["statusCode"]
    assert status == EXPECTED_STATUS[name], result.get("body")
    assert header(result, "X-Request-Id") == event["requestContext"]["requestId"]
    assert header(result, "X-Content-Type-Options") == "nosniff"
    body_text = result.get("body") or ""
    validator = response_validator(method, resource, status)
    if validator is not None:
        assert header(result, "Content-Type") == "application/json"
        validator.validate(json.loads(body_text))
    expected = expected_body(name, made, account)
    if expected is not None:
        actual = body_text if isinstance(expected, str) else json.loads(body_text)
        assert matches(actual, expected), actual
    plural = name.split("/")[0]
    if plural in CONTENT and status in {200, 201} and name != f"{plural}/list_{plural}.json":
        # API.md §1: a single-object GET and a write that returns the object carry its ETag, and
        # a GET of what was just written carries the ETag the write answered with.
        assert ETAG.match(header(result, "ETag") or ""), result.get("headers")
        if method == "GET":
            assert header(result, "ETag") == made["item"]["etag"]


def expected_content_body(name: str, made: dict[str, Any]) -> Any:
    """The whole body a content event (API.md §4) should get back."""
    plural, file_name = name.split("/")
    _, placeholder = CONTENT[plural]
    verb = file_name.split("_")[0]
    agenda_id = made["agenda"]["id"]
    sent = {
        key: SHOWN_AS.get(value, value) if isinstance(value, str) else value
        for key, value in json.loads(load_event(name)["body"] or "{}").items()
    }
    item = made.get("item")
    match verb:
        case "create":
            prefix = placeholder.split("_")[0]
            return {
                **CONTENT_DEFAULTS.get(plural, {}),
                **sent,
                "id": re.compile(rf"^{prefix}_[0-9A-HJKMNP-TV-Z]{{26}}$"),
                "url": re.compile(
                    rf"^{re.escape(BASE_URL)}/v1/agendas/{agenda_id}/{plural}/{prefix}_[0-9A-Z]{{26}}$"
                ),
                "created_at": TIMESTAMP,
                "updated_at": TIMESTAMP,
            }
        case "get":
            assert item is not None
            return without_etag(item)
        case "list":
            assert item is not None
            return {plural: [without_etag(item)], "pagination": {"next": None, "per_page": 10}}
        case "replace":
            assert item is not None
            # PUT replaces every writable field: what the body leaves out is cleared or defaulted.
            kept = {key: item[key] for key in ("id", "url", "created_at")}
            return {**kept, **CONTENT_DEFAULTS.get(plural, {}), **sent, "updated_at": TIMESTAMP}
        case "update":
            assert item is not None
            # A merge patch: the fields sent set, their nulls cleared, the rest kept.
            return without_etag(item, **sent, updated_at=TIMESTAMP)
        case "delete":
            return ""
    raise AssertionError(f"no expectation for {name}")


def expected_body(name: str, made: dict[str, Any], account: Account) -> Any:
    """The whole body each event should get back (patterns for generated values); None: schema only."""
    if name.split("/")[0] in CONTENT:
        return expected_content_body(name, made)
    agenda = made.get("agenda")
    full = {"sessions": [], "speakers": [], "tracks": [], "venues": [], "categories": []}
    event_body = json.loads(load_event(name)["body"] or "null")
    match name:
        case "users/create_user.json":
            return {
                "id": ID,
                "url": f"{BASE_URL}/v1/users/me",
                "email": "grace@example.com",
                "name": "Grace Hopper",
                "created_at": TIMESTAMP,
                "updated_at": TIMESTAMP,
            }
        case "users/get_me.json":
            return account.user
        case "auth/create_token.json" | "auth/refresh_token.json":
            return {"access_token": JWT, "token_type": "Bearer", "expires_in": 900, "refresh_token": REFRESH}
        case "auth/revoke_token.json":
            return ""
        case "users/update_me.json":
            # A merge patch of the name: the rest of the user as it was, updated_at moved on.
            return {**made["account"].user, **event_body, "updated_at": TIMESTAMP}
        case "users/create_token.json":
            return {
                **event_body,
                "id": re.compile(r"^tok_[0-9A-HJKMNP-TV-Z]{26}$"),
                "url": re.compile(rf"^{re.escape(BASE_URL)}/v1/users/me/tokens/tok_[0-9A-Z]{{26}}$"),
                "token": re.compile(r"^agt_[0-9A-Za-z]{72}$"),
                "created_at": TIMESTAMP,
                "updated_at": TIMESTAMP,
            }
        case "users/delete_token.json":
            return ""
        case "agendas/create_agenda.json":
            return {
                **event_body,
                "id": ID,
                "url": re.compile(rf"^{re.escape(BASE_URL)}/v1/agendas/agd_[0-9A-Z]{{26}}$"),
                "slug": "pycon-example-2026",
                "published": False,
                "end_at": "2026-09-16",
                "version": 1,
                "created_at": TIMESTAMP,
                "updated_at": TIMESTAMP,
            }
        case "agendas/get_agenda.json":
            assert agenda is not None
            return {**agenda_body(agenda), **full, "changes_cursor": CURSOR}
        case "agendas/get_agenda_changes.json":
            # Without `since`: no changes, and the cursor for now.
            return {"changes": [], "cursor": CURSOR, "pagination": {"next": None, "per_page": 50}}
        case "agendas/replace_agenda.json":
            assert agenda is not None
            # PUT replaces every writable field: the location and description it leaves out go.
            return agenda_body(
                agenda,
                **event_body,
                end_at="2026-09-16",
                version=2,
                updated_at=TIMESTAMP,
            )
        case "agendas/update_agenda.json":
            assert agenda is not None
            # A merge patch: "description" set, "location": null cleared, the rest kept.
            return agenda_body(agenda, **event_body, version=2, updated_at=TIMESTAMP)
        case "health/get_health.json":
            return {"status": "ok", "checks": {"dynamodb": "ok", "idempotency_store": "ok", "secrets": "ok"}}
        case "docs/get_openapi.json":
            return OPENAPI_FILE.read_text(encoding="utf-8")
        case "docs/get_docs_asset.json":
            return (ROOT / "functions" / "docs" / "static" / "swagger-ui.css").read_text(encoding="utf-8")
        case "webhooks/create_webhook.json":
            return {
                **event_body,
                "id": re.compile(r"^whk_[0-9A-HJKMNP-TV-Z]{26}$"),
                "active": True,
                "status": "active",
                "secret": re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$"),
                "created_at": TIMESTAMP,
                "updated_at": TIMESTAMP,
            }
        case "webhooks/list_webhooks.json":
            return {"webhooks": [made["webhook"]], "pagination": {"next": None, "per_page": 20}}
        case "webhooks/get_webhook.json":
            return made["webhook"]
        case "webhooks/update_webhook.json":
            return {**made["webhook"], **event_body, "status": "paused", "updated_at": TIMESTAMP}
        case "webhooks/rotate_webhook_secret.json":
            return {
                **made["webhook"],
                "secret": re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$"),
                "updated_at": TIMESTAMP,
            }
        case "uploads/create_upload.json":
            return {
                **event_body,
                "id": re.compile(r"^upl_[0-9A-HJKMNP-TV-Z]{26}$"),
                "status": "pending",
                "upload": {"method": "POST", "url": re.compile(r"^https?://"), "fields": ANY_FIELDS},
                "expires_at": TIMESTAMP,
                "created_at": TIMESTAMP,
                "updated_at": TIMESTAMP,
            }
        case "uploads/get_upload.json":
            return made["upload"]
        case "uploads/get_media.json":
            return ""
        case "webhooks/list_webhook_deliveries.json":
            return {"deliveries": [made["delivery"]], "pagination": {"next": None, "per_page": 20}}
        case "webhooks/redeliver_webhook_delivery.json":
            return {"id": made["delivery"]["id"], "event_type": "agenda.updated", "status": "queued"}
        case "webhooks/ping_webhook.json":
            return {
                "id": re.compile(r"^msg_[0-9A-HJKMNP-TV-Z]{26}$"),
                "event_type": "webhook.ping",
                "status": "queued",
            }
        case "agendas/delete_agenda.json" | "members/delete_member.json" | "webhooks/delete_webhook.json":
            return ""
        case "members/list_members.json":
            assert agenda is not None
            owner = {
                "id": account.user["id"],
                "url": f"{BASE_URL}/v1/agendas/{agenda['id']}/members/{account.user['id']}",
                "email": account.email,
                "role": "owner",
                "created_at": agenda["created_at"],
                "updated_at": agenda["created_at"],
            }
            return {"members": [owner], "pagination": {"next": None, "per_page": 20}}
        case "members/create_member.json" | "members/update_member.json":
            assert agenda is not None
            return {
                "id": ID,
                "url": re.compile(
                    rf"^{re.escape(BASE_URL)}/v1/agendas/{agenda['id']}/members/usr_[0-9A-Z]{{26}}$"
                ),
                "email": event_body["email"] if "email" in event_body else made["member"]["email"],
                "role": event_body["role"],
                "created_at": TIMESTAMP,
                "updated_at": TIMESTAMP,
            }
    return None


def test_deleted_agenda_is_gone(gateway: Any, account: Account) -> None:
    event, made = prepared("agendas/delete_agenda.json", gateway, account)
    assert invoke(event)["statusCode"] == 204
    after = gateway.request("GET", f"/v1/agendas/{made['agenda']['id']}", headers=account.headers)
    assert after.status == 404


def test_env_json_names_every_function() -> None:
    env = json.loads((ROOT / "env.json").read_text(encoding="utf-8"))
    assert set(env) == {"Parameters", *functions(TEMPLATE)}
    assert all(isinstance(value, str) for entry in env.values() for value in entry.values())


def test_env_json_overrides_only_declared_variables() -> None:
    from local.template import function_environment

    env = json.loads((ROOT / "env.json").read_text(encoding="utf-8"))
    undeclared = {
        function_id: sorted(set(env[function_id]) - set(function_environment(TEMPLATE, function_id)))
        for function_id in functions(TEMPLATE)
    }
    assert undeclared == {function_id: [] for function_id in functions(TEMPLATE)}
