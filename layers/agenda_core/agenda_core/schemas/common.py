"""Types and base models every resource's contract shares."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar

import tzdata
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    StringConstraints,
    WithJsonSchema,
    model_serializer,
)

# Crockford base32 as ULIDs print it (no I, L, O, U).
ULID_PATTERN = "[0-9A-HJKMNP-TV-Z]{26}"
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_MAX_LENGTH = 64


def prefixed_id_pattern(prefix: str) -> str:
    return f"^{prefix}_{ULID_PATTERN}$"


AGENDA_ID_OR_SLUG_PATTERN = rf"^(agd_{ULID_PATTERN}|[a-z0-9]+(-[a-z0-9]+)*)$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=SLUG_MAX_LENGTH)]
UploadId = Annotated[str, StringConstraints(pattern=prefixed_id_pattern("upl"))]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    # Only the exact YYYY-MM-DD form: pydantic's lax mode would also take timestamps and datetimes.
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ValueError("must be a date in the form YYYY-MM-DD")
    return date.fromisoformat(value)


LocalDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "example": "2026-06-01"}),
]

# The zones of the pinned tzdata package, not the host's /usr/share/zoneinfo: the same list on
# every machine, so what is accepted does not depend on where the code runs.
# (Read by path rather than importlib.resources, which costs ~4 ms of cold start to import.)
TIME_ZONES = tuple(
    sorted(set((Path(tzdata.__file__).parent / "zones").read_text(encoding="utf-8").split()) - {"Factory"})
)
_TIME_ZONES = frozenset(TIME_ZONES)
# What the OpenAPI document says of a zone name: its shape (every name of TIME_ZONES has it,
# tests/unit/test_time_zones.py) and a format of our own naming the IANA database. Not the ~600
# names as an enum: client generators make one constant per value and trip over names such as
# GMT0 and GMT-0 (issue 13). The server still accepts only TIME_ZONES (422 `invalid_value`), so
# the length cap is not documented either: Schemathesis' coverage phase would make strings of the
# boundary lengths from the pattern alone, schema-valid and no zone (tests/contract/fuzzing.py).
TIME_ZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$"
TIME_ZONE_FORMAT = "iana-time-zone"
TIME_ZONE_MAX_LENGTH = 64


def _iana_zone(value: str) -> str:
    if value not in _TIME_ZONES:
        raise ValueError("must be an IANA time zone name such as Europe/Berlin")
    return value


TimeZoneName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=TIME_ZONE_MAX_LENGTH),
    AfterValidator(_iana_zone),
    WithJsonSchema(
        {
            "type": "string",
            "format": TIME_ZONE_FORMAT,
            "pattern": TIME_ZONE_PATTERN,
            "description": "An IANA time zone name (the tz database), such as Europe/Berlin or UTC.",
            "example": "Europe/Berlin",
        }
    ),
]


def _rfc3339_utc(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# created_at / updated_at: RFC 3339 in UTC with a Z (API.md §1), to the millisecond.
Timestamp = Annotated[
    datetime,
    PlainSerializer(_rfc3339_utc, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-06-01T09:30:00.000Z"}),
]


def refuse_null(cls: Any, value: Any) -> Any:  # `cls`: pydantic binds it as a classmethod by that name
    """A merge-patch field validator (``field_validator(*names, mode="before")(refuse_null)``):
    RFC 7396 ``null`` clears a field, so fields with no "absent" state refuse it (422 at the field)."""
    if value is None:
        raise ValueError("may not be null")
    return value


def document_not_nullable(*names: str) -> Callable[[dict[str, Any]], None]:
    """``json_schema_extra`` for a merge-patch model: ``names`` are documented without their null
    branch (``refuse_null`` refuses it) and without a default (left out means "unchanged")."""

    def strip(schema: dict[str, Any]) -> None:
        for name in names:
            field = schema["properties"][name]
            (kept,) = [branch for branch in field.pop("anyOf") if branch != {"type": "null"}]
            field.update(kept)
            field.pop("default", None)

    return strip


class RequestModel(BaseModel):
    """A request body: unknown and read-only fields are refused (API.md: 422 naming the field)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


class PublicModel(BaseModel):
    """A response object: optional fields that are null, "" or [] are left out (API.md §1).

    ``always_present`` names collection fields that stay even when empty (a full agenda with no
    sessions still says ``"sessions": []``).
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)
    always_present: ClassVar[frozenset[str]] = frozenset()

    # No return annotation on purpose: pydantic documents a wrap serializer by its return type,
    # and `dict[str, Any]` made every response schema an empty object in the OpenAPI document.
    @model_serializer(mode="wrap")
    def _leave_out_empty(self, handler: SerializerFunctionWrapHandler):
        data = handler(self)
        return {k: v for k, v in data.items() if k in self.always_present or not _is_empty(v)}


class Pagination(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"next"})

    next: str | None = Field(description="Absolute URL of the next page, or null on the last page.")
    per_page: int


# Query parameter for list routes (RELIABILITY.md: default 20, max 100).
PerPage = Annotated[int, Field(ge=1, le=100)]

# Fields responses carry that requests may never send (API.md §1 "request ≠ response"): sending
# one is a 422 that says "read-only" rather than "unknown".
READ_ONLY_FIELDS = frozenset({"id", "url", "created_at", "updated_at", "end_at", "version", "owner"})
