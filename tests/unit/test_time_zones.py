"""Time zone names: the OpenAPI document describes them by a pattern, the server accepts exactly
the pinned tzdata's zones (agenda_core/schemas/common.py)."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from agenda_core.schemas.common import (
    TIME_ZONE_FORMAT,
    TIME_ZONE_MAX_LENGTH,
    TIME_ZONE_PATTERN,
    TIME_ZONES,
    TimeZoneName,
)

ZONE = TypeAdapter(TimeZoneName)


def test_every_accepted_zone_matches_the_documented_pattern_and_length() -> None:
    pattern = re.compile(TIME_ZONE_PATTERN)
    assert [zone for zone in TIME_ZONES if not pattern.match(zone) or len(zone) > TIME_ZONE_MAX_LENGTH] == []
    assert len(TIME_ZONES) > 500  # the whole database, not a handful
    assert {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+1", "GMT0", "GMT-0"} <= set(
        TIME_ZONES
    )


def test_the_schema_says_the_shape_not_the_names() -> None:
    assert ZONE.json_schema() == {
        "type": "string",
        "format": TIME_ZONE_FORMAT,
        "pattern": TIME_ZONE_PATTERN,
        "description": "An IANA time zone name (the tz database), such as Europe/Berlin or UTC.",
        "example": "Europe/Berlin",
    }


@pytest.mark.parametrize("name", ["Mars/Olympus", "Europe/Berlinn", "../../etc/passwd", "", "UTC " * 20])
def test_names_outside_the_database_are_refused_whatever_their_shape(name: str) -> None:
    # Mars/Olympus matches the pattern: only the server's list tells it is no zone.
    with pytest.raises(ValidationError):
        ZONE.validate_python(name)


def test_names_of_the_database_are_accepted() -> None:
    assert [ZONE.validate_python(zone) for zone in ("UTC", "Europe/Berlin", "Etc/GMT-14")] == [
        "UTC",
        "Europe/Berlin",
        "Etc/GMT-14",
    ]
