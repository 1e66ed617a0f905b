"""Bad requests to the content routes (API.md §1, §4): each is refused with problem+json naming
what is wrong (for a 422: a pointer and a code per field), and nothing under the agenda changes."""

from __future__ import annotations

import json

import pytest

from tests.builders import (
    content_path,
    create_agenda,
    session_body,
    sign_up,
)

ULID = "01HZZZZZZZZZZZZZZZZZZZZZZZ"
PREFIX = {"sessions": "ses", "speakers": "spk", "tracks": "trk", "venues": "ven", "categories": "cat"}
VALID = {
    "sessions": session_body(title="Valid"),
    "speakers": {"name": "Valid"},
    "tracks": {"name": "Valid"},
    "venues": {"name": "Valid"},
    "categories": {"name": "Valid"},
}
PLURALS = list(PREFIX)


@pytest.fixture
def owner(api):
    return sign_up(api, name="Owner")


@pytest.fixture
def world(api, owner):
    """An agenda with one item of each kind, and a check that nothing under it changed."""
    agenda = create_agenda(api, owner)
    aid = agenda["id"]
    items = {plural: _create(api, owner, aid, plural) for plural in PLURALS}

    def snapshot():
        response = api.request("GET", f"/v1/agendas/{aid}", headers=owner["headers"])
        assert response.status == 200
        return response.json()

    before = snapshot()
    yield {"agenda": agenda, "items": items}
    assert snapshot() == before, "a refused request changed the agenda"


def _create(api, owner, agenda_id, plural):
    response = api.request(
        "POST", content_path(agenda_id, plural), json_body=VALID[plural], headers=owner["headers"]
    )
    assert response.status == 201, response.body
    return response.json()


def _assert_422(response, expected):
    """A 422 problem whose ``errors`` are ``expected``: (pointer, code) or whole error objects."""
    assert response.status == 422, response.body
    assert response.header("Content-Type") == "application/problem+json"
    body = response.json()
    assert (body["type"], body["title"], body["status"], body["code"]) == (
        "about:blank",
        "Unprocessable Content",
        422,
        "validation_failed",
    )
    assert body["request_id"] == response.header("X-Request-Id")
    errors = body["errors"]
    if expected and isinstance(expected[0], dict):
        assert errors == expected
    else:
        assert [(e["pointer"], e["code"]) for e in errors] == expected
    for error in errors:
        assert set(error) == {"pointer", "code", "detail"} and error["detail"]
    assert body["detail"] == "; ".join(e["detail"] for e in errors)


# --- session times -------------------------------------------------------------------------------

TIME_ERRORS = [
    (
        "2027-03-10T10:00:00",
        "invalid_offset",
        "needs an offset (Z or +hh:mm): a local time alone is ambiguous",
    ),
    ("2027-03-10T10:00:00+0100", "invalid_offset", "has a malformed offset (use Z or +hh:mm)"),
    ("2027-03-10T10:00:00+25:00", "invalid_offset", "has a malformed offset (use Z or +hh:mm)"),
    ("2027-03-10T10:00:00+01:60", "invalid_offset", "has a malformed offset (use Z or +hh:mm)"),
    ("2027-03-10T10:00:00+01", "invalid_offset", "has a malformed offset (use Z or +hh:mm)"),
    ("2027-03-10T10:00:00 CET", "invalid_offset", "has a malformed offset (use Z or +hh:mm)"),
    ("2027-03-10T10:00:00.5Z", "invalid_datetime", "must be a whole second"),
    ("2027-03-10T10:00:00.000000001+01:00", "invalid_datetime", "must be a whole second"),
    (
        "2027-03-10T10:00Z",
        "invalid_datetime",
        "must be an RFC 3339 date-time such as 2026-06-01T09:30:00+02:00",
    ),
    (
        "2027-03-10 10:00:00Z",
        "invalid_datetime",
        "must be an RFC 3339 date-time such as 2026-06-01T09:30:00+02:00",
    ),
    ("2027-03-10", "invalid_datetime", "must be an RFC 3339 date-time such as 2026-06-01T09:30:00+02:00"),
    ("", "invalid_datetime", "must be an RFC 3339 date-time such as 2026-06-01T09:30:00+02:00"),
    ("2027-02-30T10:00:00Z", "invalid_datetime", "is not a real date and time"),
    ("2027-03-10T24:00:00Z", "invalid_datetime", "is not a real date and time"),
    ("2027-03-10T10:00:60Z", "invalid_datetime", "is not a real date and time"),
    ("٢027-03-10T10:00:00Z", "invalid_datetime", "is not a real date and time"),  # Arabic-Indic digit
    (1804665600, "invalid_datetime", "must be an RFC 3339 date-time string"),
    (None, "invalid_datetime", "must be an RFC 3339 date-time string"),
]


@pytest.mark.parametrize("field", ["start_at", "end_at"])
@pytest.mark.parametrize(("value", "code", "message"), TIME_ERRORS, ids=[repr(c[0]) for c in TIME_ERRORS])
def test_session_times_must_be_rfc3339_whole_seconds_with_an_offset(
    api, owner, world, field, value, code, message
):
    aid = world["agenda"]["id"]
    session_id = world["items"]["sessions"]["id"]
    expected = [{"pointer": f"/{field}", "code": code, "detail": f"/{field}: {message}"}]

    created = api.request(
        "POST",
        content_path(aid, "sessions"),
        json_body=session_body(**{field: value}),
        headers=owner["headers"],
    )
    replaced = api.request(
        "PUT",
        content_path(aid, "sessions", session_id),
        json_body=session_body(**{field: value}),
        headers=owner["headers"],
    )

    _assert_422(created, expected)
    _assert_422(replaced, expected)
    if value is not None:  # null in a merge patch is "clear", refused with its own message
        patched = api.request(
            "PATCH",
            content_path(aid, "sessions", session_id),
            json_body={field: value},
            headers=owner["headers"],
        )
        _assert_422(patched, expected)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2027-03-10T10:00:00+01:00", "2027-03-10T10:00:00+01:00"),  # equal
        ("2027-03-10T10:00:00+01:00", "2027-03-10T09:00:00Z"),  # equal, in another offset
        ("2027-03-10T10:00:00+01:00", "2027-03-10T09:59:59+01:00"),  # one second before
        ("2027-03-10T09:00:00Z", "2027-03-10T10:30:00+02:00"),  # looks later, is earlier
    ],
)
def test_the_end_must_come_after_the_start(api, owner, world, start, end):
    aid = world["agenda"]["id"]
    session_id = world["items"]["sessions"]["id"]
    expected = [
        {"pointer": "/end_at", "code": "end_not_after_start", "detail": "/end_at: must be after start_at."}
    ]

    created = api.request(
        "POST",
        content_path(aid, "sessions"),
        json_body=session_body(start_at=start, end_at=end),
        headers=owner["headers"],
    )
    replaced = api.request(
        "PUT",
        content_path(aid, "sessions", session_id),
        json_body=session_body(start_at=start, end_at=end),
        headers=owner["headers"],
    )
    patched = api.request(
        "PATCH",
        content_path(aid, "sessions", session_id),
        json_body={"start_at": start, "end_at": end},
        headers=owner["headers"],
    )

    for response in (created, replaced, patched):
        _assert_422(response, expected)


def test_a_patch_is_checked_against_what_it_merges_into(api, owner, world):
    aid = world["agenda"]["id"]
    session = world["items"]["sessions"]  # 10:00 to 11:00 (+01:00)
    path = content_path(aid, "sessions", session["id"])

    start_after_end = api.request(
        "PATCH", path, json_body={"start_at": "2027-03-10T11:00:00+01:00"}, headers=owner["headers"]
    )
    end_before_start = api.request(
        "PATCH", path, json_body={"end_at": "2027-03-10T08:00:00Z"}, headers=owner["headers"]
    )

    _assert_422(start_after_end, [("/end_at", "end_not_after_start")])
    _assert_422(end_before_start, [("/end_at", "end_not_after_start")])


# --- field rules -----------------------------------------------------------------------------------

FIELD_ERRORS = [
    ("sessions", {"title": ""}, [("/title", "too_short")]),
    ("sessions", {"title": "x" * 201}, [("/title", "too_long")]),
    ("sessions", {"title": 5}, [("/title", "string_type")]),
    ("sessions", {"description": "x" * 10_001}, [("/description", "too_long")]),
    ("sessions", {"kind": "keynote2"}, [("/kind", "literal_error")]),
    ("sessions", {"kind": "Talk"}, [("/kind", "literal_error")]),
    ("sessions", {"status": "maybe"}, [("/status", "literal_error")]),
    ("sessions", {"status": "tentative", "kind": "talks"}, [("/kind", "literal_error"), ("/status", "literal_error")]),
    ("sessions", {"plenary": "true"}, [("/plenary", "bool_type")]),
    ("sessions", {"plenary": 1}, [("/plenary", "bool_type")]),
    ("sessions", {"language": "english!"}, [("/language", "invalid_format")]),
    ("sessions", {"track_id": f"ven_{ULID}"}, [("/track_id", "invalid_format")]),
    ("sessions", {"venue_id": "ven_123"}, [("/venue_id", "invalid_format")]),
    ("sessions", {"speaker_ids": [f"spk_{ULID}", f"trk_{ULID}"]}, [("/speaker_ids/1", "invalid_format")]),
    ("sessions", {"speaker_ids": f"spk_{ULID}"}, [("/speaker_ids", "list_type")]),
    ("sessions", {"speaker_ids": [f"spk_{ULID[:-2]}{i:02d}" for i in range(21)]}, [("/speaker_ids", "too_many_items")]),
    ("sessions", {"category_ids": [f"cat_{ULID[:-2]}{i:02d}" for i in range(11)]}, [("/category_ids", "too_many_items")]),
    ("tracks", {"color": "red"}, [("/color", "invalid_format")]),
    ("tracks", {"color": "#abc"}, [("/color", "invalid_format")]),
    ("tracks", {"color": "#abcdeg"}, [("/color", "invalid_format")]),
    ("tracks", {"color": "aabbcc"}, [("/color", "invalid_format")]),
    ("tracks", {"color": "#aabbcc "}, [("/color", "invalid_format")]),
    ("tracks", {"color": 0xAABBCC}, [("/color", "string_type")]),
    ("tracks", {"position": -1}, [("/position", "greater_than_equal")]),
    ("tracks", {"position": 10_001}, [("/position", "less_than_equal")]),
    ("tracks", {"position": 1.5}, [("/position", "int_type")]),
    ("tracks", {"position": "1"}, [("/position", "int_type")]),
    ("tracks", {"position": True}, [("/position", "int_type")]),
    ("tracks", {"name": ""}, [("/name", "too_short")]),
    ("categories", {"color": "#12345"}, [("/color", "invalid_format")]),
    ("categories", {"name": "x" * 201}, [("/name", "too_long")]),
    ("venues", {"capacity": -1}, [("/capacity", "greater_than_equal")]),
    ("venues", {"capacity": 1_000_001}, [("/capacity", "less_than_equal")]),
    ("venues", {"capacity": "10"}, [("/capacity", "int_type")]),
    ("speakers", {"email": "not-an-email"}, [("/email", "invalid_value")]),
    ("speakers", {"organization": "x" * 201}, [("/organization", "too_long")]),
    ("speakers", {"photo": "nope"}, [("/photo", "invalid_format")]),
    ("speakers", {"photo": f"upl_{ULID}"}, [("/photo", "unknown_upload")]),  # no ready upload of yours
    ("speakers", {"links": [{"title": "t", "url": f"https://example.com/{i}"} for i in range(11)]}, [("/links", "too_many_items")]),
    ("speakers", {"links": [{"title": "t", "url": "ftp://example.com"}]}, [("/links/0/url", "invalid_format")]),
    ("speakers", {"links": [{"title": "ok", "url": "https://example.com"}, {"title": "t", "url": "javascript:alert(1)"}]},
     [("/links/1/url", "invalid_format")]),
    ("speakers", {"links": [{"title": "t", "url": "https://"}]}, [("/links/0/url", "invalid_format")]),
    ("speakers", {"links": [{"title": "t", "url": "example.com"}]}, [("/links/0/url", "invalid_format")]),
    ("speakers", {"links": [{"title": "t", "url": "https://exa mple.com"}]}, [("/links/0/url", "invalid_format")]),
    ("speakers", {"links": [{"title": "", "url": "https://example.com"}]}, [("/links/0/title", "too_short")]),
    ("speakers", {"links": [{"url": "https://example.com", "rel": "me"}]},
     [("/links/0/title", "required"), ("/links/0/rel", "unknown_field")]),
    ("speakers", {"links": {"title": "t", "url": "https://example.com"}}, [("/links", "list_type")]),
]  # fmt: skip


@pytest.mark.parametrize(("plural", "fields", "expected"), FIELD_ERRORS)
def test_a_bad_field_is_a_422_naming_it_on_create_replace_and_patch(
    api, owner, world, plural, fields, expected
):
    aid = world["agenda"]["id"]
    item_id = world["items"][plural]["id"]
    body = {**VALID[plural], **fields}

    created = api.request("POST", content_path(aid, plural), json_body=body, headers=owner["headers"])
    replaced = api.request(
        "PUT", content_path(aid, plural, item_id), json_body=body, headers=owner["headers"]
    )
    patched = api.request(
        "PATCH", content_path(aid, plural, item_id), json_body=fields, headers=owner["headers"]
    )

    for response in (created, replaced, patched):
        _assert_422(response, expected)


@pytest.mark.parametrize("plural", PLURALS)
def test_required_fields_are_named_when_missing(api, owner, world, plural):
    required = ["/title", "/start_at", "/end_at"] if plural == "sessions" else ["/name"]

    response = api.request(
        "POST", content_path(world["agenda"]["id"], plural), json_body={}, headers=owner["headers"]
    )

    _assert_422(response, [(pointer, "required") for pointer in required])


@pytest.mark.parametrize("plural", PLURALS)
def test_read_only_and_unknown_fields_are_refused_by_name(api, owner, world, plural):
    aid = world["agenda"]["id"]
    item = world["items"][plural]
    extra = {
        "id": item["id"],
        "url": item["url"],
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "agenda_id": aid,
        "conflicts": [],
    }
    expected = [
        ("/id", "read_only_field"),
        ("/url", "read_only_field"),
        ("/created_at", "read_only_field"),
        ("/updated_at", "read_only_field"),
        ("/agenda_id", "unknown_field"),
        ("/conflicts", "unknown_field"),
    ]

    created = api.request(
        "POST", content_path(aid, plural), json_body={**VALID[plural], **extra}, headers=owner["headers"]
    )
    replaced = api.request(
        "PUT",
        content_path(aid, plural, item["id"]),
        json_body={**VALID[plural], **extra},
        headers=owner["headers"],
    )
    patched = api.request(
        "PATCH", content_path(aid, plural, item["id"]), json_body=extra, headers=owner["headers"]
    )

    for response in (created, replaced, patched):
        _assert_422(response, expected)
    _assert_422(
        api.request(
            "PATCH",
            content_path(aid, plural, item["id"]),
            json_body={"id": item["id"]},
            headers=owner["headers"],
        ),
        [{"pointer": "/id", "code": "read_only_field", "detail": "'id' is read-only and cannot be sent."}],
    )


# --- paths -----------------------------------------------------------------------------------------


def _wrong_ids(plural):
    prefix = PREFIX[plural]
    other = "trk" if prefix != "trk" else "ven"
    return [
        f"{other}_{ULID}",  # another kind's id
        f"{prefix}_123",  # too short
        f"{prefix}_{ULID.lower()}",  # not upper case
        f"{prefix}_{ULID[:-1]}I",  # not Crockford base32
        f"{prefix.upper()}_{ULID}",
        ULID,
    ]


@pytest.mark.parametrize("plural", PLURALS)
def test_a_malformed_or_foreign_id_in_the_path_is_a_404(api, owner, world, plural):
    aid = world["agenda"]["id"]

    for wrong in _wrong_ids(plural):
        path = content_path(aid, plural, wrong)
        responses = [
            api.request("GET", path, headers=owner["headers"]),
            api.request("PUT", path, json_body=VALID[plural], headers=owner["headers"]),
            api.request("PATCH", path, json_body={}, headers=owner["headers"]),
            api.request("DELETE", path, headers=owner["headers"]),
        ]
        assert [(r.status, r.json()["code"]) for r in responses] == [(404, "not_found")] * 4, wrong
        assert all(r.header("Content-Type") == "application/problem+json" for r in responses)


@pytest.mark.parametrize("plural", PLURALS)
def test_an_item_of_another_agenda_is_a_404_here(api, owner, world, plural):
    other = create_agenda(api, owner)
    foreign = _create(api, owner, other["id"], plural)
    path = content_path(world["agenda"]["id"], plural, foreign["id"])

    responses = [
        api.request("GET", path, headers=owner["headers"]),
        api.request("PUT", path, json_body=VALID[plural], headers=owner["headers"]),
        api.request("PATCH", path, json_body={}, headers=owner["headers"]),
        api.request("DELETE", path, headers=owner["headers"]),
    ]

    assert [(r.status, r.json()["code"]) for r in responses] == [(404, "not_found")] * 4
    assert (
        api.request("GET", content_path(other["id"], plural, foreign["id"]), headers=owner["headers"]).json()
        == foreign
    )


@pytest.mark.parametrize("plural", PLURALS)
def test_writes_need_the_agenda_id_not_its_slug(api, owner, world, plural):
    slug = world["agenda"]["slug"]
    item = world["items"][plural]

    responses = [
        api.request("POST", content_path(slug, plural), json_body=VALID[plural], headers=owner["headers"]),
        api.request(
            "PUT", content_path(slug, plural, item["id"]), json_body=VALID[plural], headers=owner["headers"]
        ),
        api.request("PATCH", content_path(slug, plural, item["id"]), json_body={}, headers=owner["headers"]),
        api.request("DELETE", content_path(slug, plural, item["id"]), headers=owner["headers"]),
    ]
    read = api.request("GET", content_path(slug, plural, item["id"]), headers=owner["headers"])

    assert [(r.status, r.json()["code"]) for r in responses] == [(404, "not_found")] * 4
    assert (read.status, read.json()) == (200, item)


def test_an_unknown_agenda_is_a_404_for_content(api, owner, world):
    missing = f"agd_{ULID}"

    responses = [
        api.request("GET", content_path(missing, "tracks"), headers=owner["headers"]),
        api.request(
            "POST", content_path(missing, "tracks"), json_body={"name": "x"}, headers=owner["headers"]
        ),
        api.request("GET", content_path(missing, "tracks", f"trk_{ULID}"), headers=owner["headers"]),
        api.request("DELETE", content_path(missing, "sessions", f"ses_{ULID}"), headers=owner["headers"]),
        api.request("GET", content_path("no-such-slug", "sessions"), headers=owner["headers"]),
    ]

    assert [(r.status, r.json()["code"]) for r in responses] == [(404, "not_found")] * 5


# --- the body as a whole ---------------------------------------------------------------------------


@pytest.mark.parametrize("plural", PLURALS)
def test_a_body_over_64_kib_is_a_413(api, owner, world, plural):
    aid = world["agenda"]["id"]
    item_id = world["items"][plural]["id"]
    big = {**VALID[plural], "description": "x" * (65 * 1024)}

    responses = [
        api.request("POST", content_path(aid, plural), json_body=big, headers=owner["headers"]),
        api.request("PUT", content_path(aid, plural, item_id), json_body=big, headers=owner["headers"]),
        api.request("PATCH", content_path(aid, plural, item_id), json_body=big, headers=owner["headers"]),
    ]

    assert [(r.status, r.json()["code"]) for r in responses] == [(413, "payload_too_large")] * 3


@pytest.mark.parametrize("plural", PLURALS)
def test_other_media_types_are_a_415(api, owner, world, plural):
    aid = world["agenda"]["id"]
    item_id = world["items"][plural]["id"]
    text = json.dumps(VALID[plural])

    def send(method, path, content_type):
        return api.request(
            method, path, body=text, headers={**owner["headers"], "Content-Type": content_type}
        )

    responses = [
        send("POST", content_path(aid, plural), "text/plain"),
        send("POST", content_path(aid, plural), "application/x-www-form-urlencoded"),
        send("POST", content_path(aid, plural), "application/merge-patch+json"),  # only PATCH takes it
        send("PUT", content_path(aid, plural, item_id), "application/merge-patch+json"),
        send("PATCH", content_path(aid, plural, item_id), "text/json"),
        api.request("POST", content_path(aid, plural), body=text, headers=owner["headers"]),  # no type at all
    ]

    assert [(r.status, r.json()["code"]) for r in responses] == [(415, "unsupported_media_type")] * 6


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"name": ', 400, "malformed_json"),
        (b"[", 400, "malformed_json"),
        (b"\xff\xfe{}", 400, "malformed_json"),
        (b'{"name": "x"} trailing', 400, "malformed_json"),
        (b'[{"name": "one"}, {"name": "two"}]', 422, "validation_failed"),  # not one item and a lost one
        (b' \n [{"name": "one"}]', 422, "validation_failed"),
        (b"[]", 422, "validation_failed"),
        (b'"name"', 422, "validation_failed"),
        (b"null", 422, "validation_failed"),
        (b"42", 422, "validation_failed"),
    ],
)
def test_a_body_that_is_not_one_json_object_is_refused(api, owner, world, body, status, code):
    aid = world["agenda"]["id"]
    track_id = world["items"]["tracks"]["id"]
    headers = {**owner["headers"], "Content-Type": "application/json"}

    responses = [
        api.request("POST", content_path(aid, "tracks"), body=body, headers=headers),
        api.request("PUT", content_path(aid, "tracks", track_id), body=body, headers=headers),
        api.request("PATCH", content_path(aid, "tracks", track_id), body=body, headers=headers),
    ]

    for response in responses:
        assert (response.status, response.json()["code"]) == (status, code), (response.status, response.body)
        assert response.header("Content-Type") == "application/problem+json"
        if status == 422:
            assert [e["pointer"] for e in response.json()["errors"]] == [""]


def test_a_list_body_creates_nothing_anywhere(api, owner, world):
    """Powertools validates a list body by its first item; every route must refuse it instead."""
    aid = world["agenda"]["id"]
    headers = {**owner["headers"], "Content-Type": "application/json"}
    two_sessions = json.dumps([session_body(title="One"), session_body(title="Two")])
    two_agendas = json.dumps([{"name": "A", "start_at": "2027-01-01", "duration": 1}] * 2)

    sessions = api.request("POST", content_path(aid, "sessions"), body=two_sessions, headers=headers)
    agendas = api.request("POST", "/v1/agendas", body=two_agendas, headers=headers)

    assert (sessions.status, agendas.status) == (422, 422)
    mine = api.request("GET", "/v1/users/me/agendas", headers=owner["headers"]).json()
    assert [a["id"] for a in mine["agendas"]] == [aid]


# --- query strings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "per_page=0",
        "per_page=101",
        "per_page=ten",
        "track_id=trk_1",
        "venue_id=trk_01HZZZZZZZZZZZZZZZZZZZZZZZ",
        "speaker_id=SPK_01HZZZZZZZZZZZZZZZZZZZZZZZ",
        "category_id=",
        "day=2027-3-10",
        "day=2027-03-10T00:00:00Z",
        "day=yesterday",
    ],
)
def test_bad_list_queries_are_a_400(api, owner, world, query):
    response = api.request(
        "GET", f"{content_path(world['agenda']['id'], 'sessions')}?{query}", headers=owner["headers"]
    )

    assert response.status == 400
    assert response.json()["code"] == "invalid_query"


def test_credentials_in_the_query_string_are_refused(api, owner, world):
    token = owner["headers"]["Authorization"].removeprefix("Bearer ")

    response = api.request("GET", f"{content_path(world['agenda']['id'], 'sessions')}?access_token={token}")

    assert (response.status, response.json()["code"]) == (400, "credentials_in_query")
    assert token.encode() not in response.body
