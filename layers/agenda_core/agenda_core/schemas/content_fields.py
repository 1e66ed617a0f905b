"""Field types the content resources share (API.md §4): names, descriptions, colours, positions,
and session times. Caps follow API.md §1 "limits": every string, array and number is bounded."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from agenda_core.schemas.common import (
    PublicModel,
    RequestModel,
    Timestamp,
    document_not_nullable,
    prefixed_id_pattern,
    refuse_null,
)


def whole_number(value: Any) -> Any:
    # JSON has one number type: 3 and 3.0 are the same number (JSON Schema calls both integers).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


ContentName = Annotated[StrictStr, StringConstraints(min_length=1, max_length=200)]
ShortText = Annotated[StrictStr, StringConstraints(max_length=200)]
LongText = Annotated[StrictStr, StringConstraints(max_length=10_000)]
Color = Annotated[
    StrictStr,
    StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$", to_lower=True),
    Field(description="`#rrggbb` (returned in lower case).", examples=["#336699"]),
]
Position = Annotated[
    StrictInt,
    Field(ge=0, le=10_000, description="Sort order (ascending; items without one come last)."),
    BeforeValidator(whole_number),
]
Capacity = Annotated[StrictInt, Field(ge=0, le=1_000_000), BeforeValidator(whole_number)]

TrackId = Annotated[str, StringConstraints(pattern=prefixed_id_pattern("trk"))]
VenueId = Annotated[str, StringConstraints(pattern=prefixed_id_pattern("ven"))]
SpeakerId = Annotated[str, StringConstraints(pattern=prefixed_id_pattern("spk"))]
CategoryId = Annotated[str, StringConstraints(pattern=prefixed_id_pattern("cat"))]

SessionKind = Literal["talk", "keynote", "workshop", "panel", "break", "other"]
SessionStatus = Literal["confirmed", "cancelled"]
# BCP 47 in the shape people send ("en", "de-CH", "zh-Hant-TW"); not a registry lookup.
Language = Annotated[
    StrictStr,
    StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", max_length=35),
    Field(description="A BCP 47 language tag.", examples=["en", "de-CH"]),
]

# RFC 3339 section 5.6: a full date, "T", a time, and an offset ("Z" or +hh:mm). Fractions of a
# second are allowed only when they are zero: session times are stored to the second, and
# silently dropping part of what a client sent would change its data.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.(?P<fraction>\d{1,9}))?(?P<offset>.*)$")
_OFFSET = re.compile(r"^(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$")


def _session_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise PydanticCustomError("invalid_datetime", "must be an RFC 3339 date-time string")
    match = _RFC3339.match(value)
    if match is None:
        raise PydanticCustomError(
            "invalid_datetime", "must be an RFC 3339 date-time such as 2026-06-01T09:30:00+02:00"
        )
    if not match["offset"]:
        raise PydanticCustomError(
            "invalid_offset", "needs an offset (Z or +hh:mm): a local time alone is ambiguous"
        )
    if not _OFFSET.match(match["offset"]):
        raise PydanticCustomError("invalid_offset", "has a malformed offset (use Z or +hh:mm)")
    if match["fraction"] and match["fraction"].strip("0"):
        raise PydanticCustomError("invalid_datetime", "must be a whole second")
    try:
        moment = datetime.fromisoformat(value.upper())
    except ValueError:
        raise PydanticCustomError("invalid_datetime", "is not a real date and time") from None
    return moment


SessionTime = Annotated[
    datetime,
    BeforeValidator(_session_time),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339 with an offset; any offset is accepted, responses use the agenda's.",
            "example": "2026-06-01T09:30:00+02:00",
        }
    ),
]


# --- the shape tracks, venues and categories share ----------------------------------------------


class NamedCreate(RequestModel):
    """What a track, venue and category have in common (each adds one field)."""

    name: ContentName
    description: LongText | None = None
    position: Position | None = None


class NamedUpdate(RequestModel):
    """The merge patch of a ``NamedCreate`` (``null`` clears; ``name`` cannot be cleared)."""

    model_config = ConfigDict(json_schema_extra=document_not_nullable("name"))

    name: ContentName | None = None
    description: LongText | None = None
    position: Position | None = None

    _not_null = field_validator("name", mode="before")(refuse_null)


class NamedPublic(PublicModel):
    id: str
    url: str
    name: str
    description: str | None = None
    position: int | None = None
    created_at: Timestamp
    updated_at: Timestamp
