"""Importing a c3voc schedule: reading the file, and an import into a new agenda.

Why: organisers arrive with their schedule in the format conference tools already export
(shared/fixtures/c3voc). ``read_document`` reads either format (frab JSON as frab and pretalx
export it, frab XML); services/schedule_source.py turns it into what an import writes, fixing
what real exports get wrong and noting each fix; services/schedule_sync.py writes it.

Two entry points: ``POST /v1/agendas/{agenda_id}/imports`` (services/imports.py) syncs an
existing agenda with a file, again and again as the schedule changes; ``import_schedule`` makes a
new agenda of a schedule (the bench's data sets, and the tests' real fixtures).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agenda_core.errors import Conflict, FieldError, ValidationFailed
from agenda_core.schemas.agendas import AgendaCreate
from agenda_core.schemas.auth import Caller
from agenda_core.services import agendas
from agenda_core.services.schedule_source import Fixes, read_source
from agenda_core.services.schedule_sync import SyncReport, sync


@dataclass(frozen=True)
class ImportReport:
    agenda_id: str
    counts: dict[str, int]  # created, by plural: {"sessions": 79, "speakers": 90, ...}
    notes: list[str]  # every fix and every skipped item, one line per kind of fix


def read_document(data: bytes, content_type: str) -> Mapping[str, Any]:
    """A schedule file as a schedule.json document. Raises ``ValidationFailed`` (unreadable)."""
    if content_type == "application/xml":
        from agenda_core.services.schedule_xml import read_xml

        return read_xml(data)
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationFailed(
            [FieldError("/", "not_a_schedule", f"The file is not JSON ({error}).")]
        ) from None
    if not isinstance(document, Mapping):
        raise ValidationFailed([FieldError("/", "not_a_schedule", "The file is JSON but not an object.")])
    return document


def import_schedule(caller: Caller, document: Mapping[str, Any], base_url: str) -> ImportReport:
    """Creates an agenda owned by ``caller`` from a parsed schedule.json (the whole document or
    its ``schedule``), with everything in it. Raises what ``create_agenda`` raises for the agenda
    (``ValidationFailed``, also for a document without a conference; ``Conflict``) and what
    ``schedule_sync.sync`` raises; persons and events the API refuses are skipped and noted."""
    fixes = Fixes()
    source = read_source(document, fixes)
    fields = dict(source.agenda)
    slug = fields.pop("slug")
    try:
        created = agendas.create_agenda(caller, AgendaCreate(**fields, slug=slug), base_url)
    except Conflict as taken:
        if taken.error_code != "slug_taken":
            raise
        fixes.note(f"slug {slug!r} is taken: generated one from the name")
        created = agendas.create_agenda(caller, AgendaCreate(**fields), base_url)
    report = SyncReport()
    sync(caller, created.body.id, source, fixes, report)
    return ImportReport(agenda_id=created.body.id, counts=report.counts["created"], notes=fixes.lines())
