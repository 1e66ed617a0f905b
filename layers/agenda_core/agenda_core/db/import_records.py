"""Schedule imports in the single table (API.md §8; docs/design.md "Imports").

One item per import, ``IMPORTS#<agd_id>`` / ``IMPORT#<imp_id>``: in a partition of the agenda's
own, not in the agenda's partition, so that the full agenda's Query does not grow with every
import an organiser (or a scheduled sync) ever ran. Import ids are time-ordered ULIDs: the
partition sorts by time. The item's INSERT on the table's stream is what starts the import
(functions/import_runs): the request that asked for it wrote nothing else, and nothing can ask
for an import without it being run.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from agenda_core.db.base import TableItem

IMPORTS_PK_PREFIX = "IMPORTS#"
IMPORT_SK_PREFIX = "IMPORT#"
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


def imports_pk(agenda_id: str) -> str:
    return f"{IMPORTS_PK_PREFIX}{agenda_id}"


def import_sk(import_id: str) -> str:
    return f"{IMPORT_SK_PREFIX}{import_id}"


class ImportRecord(TableItem, discriminator="import"):
    id = UnicodeAttribute()
    agenda_id = UnicodeAttribute()
    upload_id = UnicodeAttribute()
    adjust_days = BooleanAttribute(default=False)
    created_by = UnicodeAttribute()  # whose role the import writes with (checked on every write)
    status = UnicodeAttribute()  # PENDING, RUNNING, DONE, FAILED
    attempts = NumberAttribute(default=0)  # runs started (a killed run is run again)
    # The run that claimed it last: the SDK's retry of a claim whose answer was lost finds its
    # own token instead of counting a second run (tests/faults found three such retries burning
    # every run the import had: abandoned, never run).
    run_token = UnicodeAttribute(null=True)
    # What the import did (services/schedule_sync.SyncReport.as_dict): counts per kind, fixes.
    report = MapAttribute[str, object](null=True)
    # What the import's runs wrote, together: ``<action>_<kind plural>`` counts (created, updated,
    # deleted), ADDed by each sync transaction in the transaction that writes them
    # (services/import_reports.py). A run taken up again reports from these, not from its own view.
    applied = MapAttribute[str, Any](null=True)
    error_code = UnicodeAttribute(null=True)  # why it failed
    error_detail = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
