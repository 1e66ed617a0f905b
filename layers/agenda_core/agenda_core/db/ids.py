"""Prefixed, time-sortable, unguessable ids (API.md §1): ``agd_`` + a 26-character ULID."""

from __future__ import annotations

from datetime import UTC, datetime

from ulid import ULID

from agenda_core.content_names import CONTENT

PREFIXES = {
    "agenda": "agd",
    **{kind.name: kind.prefix for kind in CONTENT},
    "user": "usr",
    "token": "tok",
    "upload": "upl",
    "import": "imp",
    "webhook": "whk",
    "message": "msg",  # a webhook delivery: the Standard Webhooks message id
}


def new_id(kind: str, at: datetime | None = None) -> str:
    """A new id; ``at`` pins the ULID's time part (its 80 random bits stay random)."""
    ulid = ULID.from_datetime(at) if at else ULID()
    return f"{PREFIXES[kind]}_{ulid}"


def utcnow() -> datetime:
    """Now, in UTC, to the millisecond (what we store and return)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` and milliseconds: sorts as text in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def created_at_of(item_id: str) -> datetime:
    """When an id was made: its ULID's time part (``new_id`` pins it to the creation time, to the
    millisecond, so this equals the stored ``created_at`` and a PUT needs no read to return it)."""
    return ULID.from_str(item_id.partition("_")[2]).datetime
