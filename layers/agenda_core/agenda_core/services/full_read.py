"""``GET /v1/agendas/{agenda_id}`` in one call: revalidation, the public snapshot, or a render.

- ``If-None-Match``: one small read (the agenda item) answers it, never a Query (API.md §5).
- Anonymous: the public snapshot as stored (services/snapshots.py), no DynamoDB request at all;
  a render from the table only when there is no snapshot for this read (unpublished: a 404, or
  not built yet).
- Members: rendered from one consistent Query, so they always read their own writes.

The exports (services/exports.py) are representations rendered from this read: they make the
same decision with a ``variant`` (the format, the filters), and their ETag is derived from the
full read's (``etags.derived_etag``), so they follow its visibility, caching and revalidation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agenda_core.errors import ServiceUnavailable
from agenda_core.etags import derived_etag, if_none_match_hit_any_coding
from agenda_core.schemas.auth import Caller
from agenda_core.services import snapshots
from agenda_core.services.snapshots import PublicRead


@dataclass(frozen=True)
class FullRead:
    etag: str
    public: bool
    not_modified: bool = False
    rendered: dict[str, Any] | None = None  # a body to serialise (a member's read, a fallback)
    stored: PublicRead | None = None  # the public snapshot's bytes


def read(
    caller: Caller, id_or_slug: str, base_url: str, if_none_match: str | None, variant: tuple[str, ...] = ()
) -> FullRead:
    """The full read, or with ``variant`` the source of a representation rendered from it: the
    body is the full read's, the ETag (compared and returned) the variant's. Raises ``NotFound``,
    ``ServiceUnavailable``."""
    # The table's modules load only on the paths that read the table (full_agenda, imported
    # where used): an anonymous read by id is the snapshot alone, and its cold start does not pay
    # for pynamodb (docs/design.md "Cold starts").
    if if_none_match:
        from agenda_core.services.full_agenda import full_agenda_etag

        try:
            etag, public = full_agenda_etag(caller, id_or_slug, base_url)
        except ServiceUnavailable:
            if not caller.is_anonymous:
                raise
            # The table is down: the snapshot (or the copy this container holds) may still answer.
        else:
            etag = derived_etag(etag, *variant)
            if if_none_match_hit_any_coding(if_none_match, etag):
                return FullRead(etag=etag, public=public, not_modified=True)
    if caller.is_anonymous:
        stored = snapshots.public_read(id_or_slug, base_url)
        if stored is not None:
            etag = derived_etag(stored.etag, *variant)
            hit = bool(if_none_match) and if_none_match_hit_any_coding(if_none_match, etag)
            return FullRead(etag=etag, public=True, not_modified=hit, stored=stored)
    from agenda_core.services.full_agenda import read_full_agenda

    full = read_full_agenda(caller, id_or_slug, base_url)
    return FullRead(etag=derived_etag(full.etag, *variant), public=full.public, rendered=full.body)
