"""Slugs: made from names, unique through a claim item written in the agenda's transaction."""

from __future__ import annotations

import re
import secrets
import unicodedata

from pynamodb.exceptions import DeleteError

from agenda_core.db import keys
from agenda_core.db.base import get_or_none
from agenda_core.db.records import AgendaRecord, SlugRecord
from agenda_core.db.transactions import storage_errors

MAX_LENGTH = 64
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_SUFFIX_ALPHABET = "abcdefghjkmnpqrstvwxyz23456789"


def slugify(name: str) -> str:
    """``"DemoCon 2026: Köln!"`` -> ``"democon-2026-koln"``; never empty, at most 64 characters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = _NOT_ALNUM.sub("-", ascii_name).strip("-")
    # Room for a "-xxxxx" suffix when the plain slug is taken.
    slug = slug[: MAX_LENGTH - 6].rstrip("-")
    return slug or "agenda"


def with_random_suffix(slug: str) -> str:
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(5))
    return f"{slug[: MAX_LENGTH - 6].rstrip('-')}-{suffix}"


def release_if_stale(slug: str) -> bool:
    """Deletes a claim whose agenda is gone or renamed (left behind when a cleanup failed).

    Returns whether the slug is free now. Costs reads only on this rare collision path.
    """
    with storage_errors():
        claim = get_or_none(SlugRecord, keys.slug_pk(slug), keys.SLUG_SK, consistent=True)
        if claim is None:
            return True
        owner = get_or_none(AgendaRecord, keys.agenda_pk(claim.agenda_id), keys.AGENDA_SK, consistent=True)
        if owner is not None and owner.slug == slug:
            return False
        try:
            claim.delete(condition=SlugRecord.agenda_id == claim.agenda_id)
        except DeleteError:  # a racing writer re-claimed it first
            return False
    return True
