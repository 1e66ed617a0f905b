"""The exports' documented shapes (API.md §5), for the OpenAPI document only.

``schedule.json`` is c3voc's format, whose contract is its own schema.json (shared/fixtures/c3voc,
which the tests validate every answer against); these models describe the same document for
readers of ours, without repeating every rule of that schema. The calendar and the XML are not
JSON: their routes document a string of their media type. Names start with ``Frab`` to stay
unique across the merged document (STYLE.md 5.4).
"""

from __future__ import annotations

from datetime import date as Date

from pydantic import BaseModel, ConfigDict, Field


class _Documented(BaseModel):
    # Never validated at run time (exports/frab_json.py writes the document): built on demand.
    model_config = ConfigDict(defer_build=True, populate_by_name=True)


class FrabLink(_Documented):
    url: str
    title: str | None = None


class FrabPerson(_Documented):
    guid: str = Field(description="uuid5 of the speaker's id: stable.")
    name: str
    public_name: str = Field(description="The name again, for older readers.")
    biography: str | None = None
    avatar: str | None = Field(default=None, description="The speaker's photo (URL).")
    url: str
    links: list[FrabLink] | None = None


class FrabEvent(_Documented):
    guid: str = Field(description="uuid5 of the session's id: stable across edits and exports.")
    id: int = Field(ge=1, description="Deprecated in the format; 31 bits derived from the session's id.")
    date: str = Field(description="Start, RFC 3339 with the agenda's offset.")
    start: str = Field(pattern=r"^\d{2}:\d{2}$", description="Local start, HH:MM.")
    end: str = Field(description="End, RFC 3339 with the agenda's offset.")
    duration: str = Field(pattern=r"^\d{2}:\d{2}$", description="HH:MM (at most 99:59).")
    room: str = Field(description="The venue's name, a key of the day's `rooms`.")
    slug: str
    url: str = Field(description="The session's URL in this API.")
    title: str
    subtitle: str
    track: str | None = Field(description="The track's name.")
    type: str = Field(description="The session's `kind`.")
    language: str | None
    abstract: str
    description: str | None
    persons: list[FrabPerson]
    links: list[FrabLink]


class FrabDay(_Documented):
    index: int = Field(ge=1)
    date: Date
    day_start: str = Field(description="Local midnight, RFC 3339.")
    day_end: str = Field(description="The next local midnight, RFC 3339.")
    rooms: dict[str, list[FrabEvent]] = Field(description="Room name -> its sessions by start; every room.")


class FrabRoom(_Documented):
    name: str
    guid: str
    description: str | None = None
    capacity: int | None = None
    url: str | None = None


class FrabTrack(_Documented):
    name: str
    slug: str
    color: str | None = None


class FrabConference(_Documented):
    acronym: str = Field(description="The agenda's slug, `_` for `-`.")
    title: str
    description: str | None = None
    start: Date
    end: Date
    daysCount: int
    timeslot_duration: str
    url: str = Field(description="The agenda's URL in this API.")
    time_zone_name: str | None = Field(
        default=None, description="The agenda's zone, where the format's pattern takes it."
    )
    logo: str | None = Field(default=None, description="The agenda's icon (URL).")
    tracks: list[FrabTrack]
    rooms: list[FrabRoom]
    days: list[FrabDay]


class FrabGenerator(_Documented):
    name: str
    version: str


class FrabScheduleBody(_Documented):
    version: str = Field(description="The agenda's version.")
    base_url: str
    conference: FrabConference


class FrabSchedule(_Documented):
    """c3voc `schedule.json` ("frab JSON"), valid against https://c3voc.de/schedule/schema.json."""

    schema_url: str = Field(alias="$schema")
    generator: FrabGenerator
    schedule: FrabScheduleBody
