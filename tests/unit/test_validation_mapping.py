from __future__ import annotations

from agenda_core.errors import BadRequest, NotFound, ValidationFailed
from agenda_core.http.validation import validation_problem


def test_body_errors_become_422_with_json_pointers():
    problem = validation_problem(
        [
            {"type": "missing", "loc": ("body", "name"), "msg": "Field required"},
            {"type": "extra_forbidden", "loc": ("body", "version"), "msg": "Extra inputs are not permitted"},
            {
                "type": "string_too_long",
                "loc": ("body", "links", 0, "url/x"),
                "msg": "String should have at most 5",
            },
        ]
    )

    assert isinstance(problem, ValidationFailed)
    assert [e.as_dict() for e in problem.errors] == [
        {"pointer": "/name", "code": "required", "detail": "/name: Field required"},
        {
            "pointer": "/version",
            "code": "read_only_field",
            "detail": "'version' is read-only and cannot be sent.",
        },
        {
            "pointer": "/links/0/url~1x",
            "code": "too_long",
            "detail": "/links/0/url~1x: String should have at most 5",
        },
    ]


def test_path_errors_are_404_and_json_errors_400():
    assert isinstance(
        validation_problem([{"type": "string_pattern_mismatch", "loc": ("path", "agenda_id")}]), NotFound
    )
    malformed = validation_problem([{"type": "json_invalid", "loc": ("body", 3), "msg": "JSON decode error"}])
    assert isinstance(malformed, BadRequest) and malformed.error_code == "malformed_json"
    query = validation_problem(
        [{"type": "greater_than_equal", "loc": ("query", "per_page"), "msg": "too small"}]
    )
    assert isinstance(query, BadRequest) and query.error_code == "invalid_query"
