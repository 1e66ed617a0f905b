"""The exports of an agenda (API.md §5): ``calendar.ics``, ``schedule.json``, ``schedule.xml``.

Which body and which ETag is the full read's decision (services/full_read.py), asked with the
export's variant, so an export follows the full read in everything but its bytes:

- visibility: anonymous callers see published agendas, members theirs; anyone else a 404;
- the body: for an anonymous caller the public snapshot's stored copy (no DynamoDB request),
  from the table only when there is no snapshot for the read; for a member one consistent Query;
- the ETag: derived from the full read's, the format and the normalised filters
  (``etags.derived_etag``), so it changes exactly when the full read's does and a filtered
  calendar has its own; ``If-None-Match`` is answered from one GetItem, never a Query;
- caching: public for the public view, private otherwise.

Rendering is pure (agenda_core/exports) and imported for the format asked, so a cold start pays
only for the one it serves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agenda_core.exports.selection import SessionFilter
from agenda_core.schemas.auth import Caller
from agenda_core.services import full_read

CALENDAR, SCHEDULE_JSON, SCHEDULE_XML = "calendar.ics", "schedule.json", "schedule.xml"


@dataclass(frozen=True)
class Export:
    etag: str
    public: bool  # the public view of a published agenda: cacheable by anyone
    text: str | None = None  # None: the client holds it already (304)

    @property
    def not_modified(self) -> bool:
        return self.text is None


def read_export(
    caller: Caller,
    id_or_slug: str,
    base_url: str,
    export: str,
    if_none_match: str | None,
    selection: SessionFilter | None = None,
) -> Export:
    """The agenda's ``export`` (``CALENDAR``, ``SCHEDULE_JSON``, ``SCHEDULE_XML``) as the caller
    may see it; ``selection`` filters the calendar's sessions. Raises ``NotFound`` (also when not
    visible to the caller), ``ServiceUnavailable``."""
    selection = selection or SessionFilter()
    read = full_read.read(caller, id_or_slug, base_url, if_none_match, variant=(export, *selection.variant()))
    if read.not_modified:
        return Export(etag=read.etag, public=read.public)
    body = json.loads(read.stored.text()) if read.stored is not None else read.rendered
    assert body is not None
    return Export(etag=read.etag, public=read.public, text=render(export, body, base_url, selection))


def render(export: str, body: dict[str, Any], base_url: str, selection: SessionFilter) -> str:
    """``export`` of the full agenda ``body``."""
    if export == CALENDAR:
        from agenda_core.exports import ical

        return ical.render(body, selection)
    if export == SCHEDULE_JSON:
        from agenda_core.exports import frab_json

        return frab_json.render(body, base_url)
    if export == SCHEDULE_XML:
        from agenda_core.exports import frab_xml

        return frab_xml.render(body, base_url)
    raise ValueError(f"no export {export!r}")
