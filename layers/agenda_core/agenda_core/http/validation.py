"""Pydantic's validation errors -> our problems: 422 with JSON Pointers for bodies, 400 for
malformed JSON, query and headers, 404 for a malformed id in the path."""

from __future__ import annotations

from typing import Any

from agenda_core.errors import ApiError, BadRequest, FieldError, NotFound, ValidationFailed
from agenda_core.schemas.common import READ_ONLY_FIELDS

# pydantic's error types are stable snake_case; a few get friendlier names of ours.
_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "string_too_long": "too_long",
    "string_too_short": "too_short",
    "too_long": "too_many_items",
    "string_pattern_mismatch": "invalid_format",
    "value_error": "invalid_value",
}


def _pointer(loc: tuple[Any, ...]) -> str:
    """RFC 6901: ``("body", "links", 0, "url")`` -> ``/links/0/url``."""
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in loc[1:]]
    return "/" + "/".join(parts) if parts else ""


def _field_error(error: dict[str, Any]) -> FieldError:
    loc = tuple(error.get("loc") or ())
    kind = str(error.get("type") or "invalid")
    name = str(loc[-1]) if len(loc) > 1 else ""
    if kind == "extra_forbidden":
        if name in READ_ONLY_FIELDS:
            return FieldError(_pointer(loc), "read_only_field", f"'{name}' is read-only and cannot be sent.")
        return FieldError(_pointer(loc), "unknown_field", f"'{name}' is not a field of this resource.")
    message = str(error.get("msg") or "is not valid").removeprefix("Value error, ")
    label = _pointer(loc) or "the body"
    return FieldError(_pointer(loc), _CODES.get(kind, kind), f"{label}: {message}")


def validation_problem(errors: list[dict[str, Any]]) -> ApiError:
    """The one problem that describes a list of pydantic errors."""
    sources = {(e.get("loc") or ("body",))[0] for e in errors}
    if "path" in sources:
        return NotFound("No resource with this id.")
    if any(e.get("type") == "json_invalid" for e in errors):
        return BadRequest("The body is not valid JSON.", code="malformed_json")
    if "header" in sources:
        return BadRequest(
            "; ".join(_describe(e) for e in errors if e["loc"][0] == "header"), code="invalid_header"
        )
    if "query" in sources:
        return BadRequest(
            "; ".join(_describe(e) for e in errors if e["loc"][0] == "query"), code="invalid_query"
        )
    field_errors = [_field_error(e) for e in errors]
    return ValidationFailed(field_errors)


def _describe(error: dict[str, Any]) -> str:
    loc: tuple[Any, ...] = tuple(error.get("loc") or ("request",))
    name = loc[1] if len(loc) > 1 else loc[0]
    return f"{name}: {str(error.get('msg') or 'is not valid').removeprefix('Value error, ')}"
