"""Schedule imports (API.md §8): asking for one, reading them, and running one.

Asking (``POST .../imports``, owner or editor) is one transaction: the import item
(db/import_records.py), a check that the caller may write the agenda, and a check that the upload
is the caller's own ready ``schedule_import`` upload. Its INSERT on the table's stream starts the
run (functions/import_runs; in-process under ``make dev``): off the request path, and never lost,
since the item that asks for the run is the item that records it.

Running reads the file, reads the schedule (services/schedule_source.py) and syncs the agenda with
it (services/schedule_sync.py). A file that is not a schedule, or a schedule over the caps, fails
the import and changes nothing. A run that fails midway (the table throttled, a timeout) records
what it applied; running the import again (a new import of the same file) completes it, matching
what is there instead of duplicating it. A run killed outright (the function's time ran out) is
retried by the stream and takes up the same import again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, cast

from pynamodb.exceptions import UpdateError

from agenda_core.db import create_claims, keys
from agenda_core.db.base import TableItem, get_or_none
from agenda_core.db.cursors import decode_cursor, encode_cursor, query_fingerprint
from agenda_core.db.ids import iso, new_id, utcnow
from agenda_core.db.import_records import (
    DONE,
    FAILED,
    IMPORT_SK_PREFIX,
    IMPORTS_PK_PREFIX,
    PENDING,
    RUNNING,
    ImportRecord,
    import_sk,
    imports_pk,
)
from agenda_core.db.records import AgendaRecord
from agenda_core.db.transactions import TransactionFailed, is_condition_failure, storage_errors, transaction
from agenda_core.db.upload_records import UPLOAD_SK, UploadRecord, stored_key, upload_pk
from agenda_core.errors import ApiError, FieldError, NotFound, ValidationFailed
from agenda_core.observability import logger
from agenda_core.policy import roles_for
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.common import Pagination
from agenda_core.schemas.imports import ImportCreate, ImportPage, ImportPublic
from agenda_core.services.agenda_partition import authorize, is_agenda_id

RUN_ATTEMPTS = 3  # runs of one import the stream may start (a killed run is taken up again)
_NO_AGENDA = "No agenda with this id."
_NO_IMPORT = "No import with this id on this agenda."


def import_url(base_url: str, agenda_id: str, import_id: str) -> str:
    return f"{base_url}/v1/agendas/{agenda_id}/imports/{import_id}"


def _public(record: ImportRecord, base_url: str) -> ImportPublic:
    error = {"code": record.error_code, "detail": record.error_detail} if record.error_code else None
    report = record.report.as_dict() if hasattr(record.report, "as_dict") else record.report
    return ImportPublic.model_validate(
        {
            "id": record.id,
            "url": import_url(base_url, record.agenda_id, record.id),
            "agenda_id": record.agenda_id,
            "upload_id": record.upload_id,
            "adjust_days": bool(record.adjust_days),
            "status": record.status,
            "report": report or None,
            "error": error,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
            "finished_at": record.finished_at,
        }
    )


# --- asking for one --------------------------------------------------------------------------


def start_import(caller: Caller, agenda_id: str, body: ImportCreate, base_url: str) -> ImportPublic:
    """The new import, pending. Raises ``NotFound``, ``PermissionDenied``, ``ValidationFailed``
    (``unknown_upload``)."""
    assert caller.user_id is not None
    if not is_agenda_id(agenda_id):
        raise NotFound(_NO_AGENDA)
    now = utcnow()
    record = ImportRecord(
        imports_pk(agenda_id),
        import_sk(import_id := new_id("import", now)),
        id=import_id,
        agenda_id=agenda_id,
        upload_id=body.upload_id,
        adjust_days=body.adjust_days,
        created_by=caller.user_id,
        status=PENDING,
        attempts=0,
        created_at=iso(now),
        updated_at=iso(now),
    )
    role: Any = cast(Any, AgendaRecord.roles)[caller.user_id]
    usable = (
        (UploadRecord.owner_id == caller.user_id)
        & (UploadRecord.status == "ready")
        & (UploadRecord.purpose == "schedule_import")
        & (UploadRecord.ttl.does_not_exist() | (UploadRecord.ttl > int(now.timestamp())))
    )
    try:
        with transaction() as tx:
            tx.put("import", record, condition=TableItem.pk.does_not_exist())
            tx.check(
                "agenda",
                AgendaRecord,
                keys.agenda_pk(agenda_id),
                keys.AGENDA_SK,
                condition=TableItem.pk.exists() & role.is_in(*roles_for("imports.create")),
            )
            tx.check("/upload_id", UploadRecord, upload_pk(body.upload_id), UPLOAD_SK, condition=usable)
            create_claims.add(tx, import_id)
    except TransactionFailed as failure:
        if (made := create_claims.claimed(failure)) is not None:
            return read_import(caller, agenda_id, made, base_url)  # an earlier attempt committed
        raise _refusal(caller, agenda_id, failure) from failure
    logger.info("import asked for", extra={"agenda_id": agenda_id, "import_id": import_id})
    return _public(record, base_url)


def _refusal(caller: Caller, agenda_id: str, failure: TransactionFailed) -> ApiError:
    if "agenda" in failure.failed:
        with storage_errors():
            agenda = get_or_none(AgendaRecord, keys.agenda_pk(agenda_id), keys.AGENDA_SK, consistent=True)
        if agenda is None:
            return NotFound(_NO_AGENDA)
        authorize(agenda, caller, "imports.create")
    return ValidationFailed(
        [
            FieldError(
                "/upload_id",
                "unknown_upload",
                "No ready upload of yours has this id (purpose schedule_import).",
            )
        ]
    )


# --- reading them ------------------------------------------------------------------------------


def read_import(caller: Caller, agenda_id: str, import_id: str, base_url: str) -> ImportPublic:
    """One BatchGetItem: the agenda (who may read) and the import. Raises ``NotFound``,
    ``PermissionDenied``."""
    if not is_agenda_id(agenda_id):
        raise NotFound(_NO_AGENDA)
    wanted = [(keys.agenda_pk(agenda_id), keys.AGENDA_SK), (imports_pk(agenda_id), import_sk(import_id))]
    with storage_errors():
        items = list(TableItem.batch_get(wanted, consistent_read=True))
    agenda = next((i for i in items if isinstance(i, AgendaRecord)), None)
    if agenda is None:
        raise NotFound(_NO_AGENDA)
    authorize(agenda, caller, "imports.read")
    found = next((i for i in items if isinstance(i, ImportRecord)), None)
    if found is None:
        raise NotFound(_NO_IMPORT)
    return _public(found, base_url)


def list_imports(
    caller: Caller,
    agenda_id: str,
    *,
    per_page: int,
    cursor: str | None,
    base_url: str,
    page_url: Callable[[str], str],
) -> ImportPage:
    """The agenda's imports, newest first: one GetItem (who may read) and one Query (the imports
    live apart from the agenda's partition, docs/design.md "Request budget"). Raises
    ``NotFound``, ``PermissionDenied``, ``InvalidCursor``."""
    from agenda_core.services.cursor_keys import LIST_PAGES, cursor_key

    if not is_agenda_id(agenda_id):
        raise NotFound(_NO_AGENDA)
    with storage_errors():
        agenda = get_or_none(AgendaRecord, keys.agenda_pk(agenda_id), keys.AGENDA_SK, consistent=True)
    if agenda is None:
        raise NotFound(_NO_AGENDA)
    authorize(agenda, caller, "imports.list")
    fingerprint = query_fingerprint(route="imports", agenda=agenda_id)
    key = cursor_key(agenda, LIST_PAGES)
    before = str(decode_cursor(cursor, fingerprint, key)["before"]) if cursor else None
    with storage_errors():
        found = list(
            ImportRecord.query(
                imports_pk(agenda_id),
                ImportRecord.sk.startswith(IMPORT_SK_PREFIX),
                scan_index_forward=False,
                consistent_read=True,
                last_evaluated_key={"pk": {"S": imports_pk(agenda_id)}, "sk": {"S": import_sk(before)}}
                if before
                else None,
                limit=per_page + 1,
                page_size=per_page + 1,
            )
        )
    page = found[:per_page]
    next_url = (
        page_url(encode_cursor({"before": page[-1].id}, fingerprint, key)) if len(found) > per_page else None
    )
    return ImportPage(
        imports=[_public(record, base_url) for record in page],
        pagination=Pagination(next=next_url, per_page=per_page),
    )


# --- running one (the stream's side) ---------------------------------------------------------


def _claim(agenda_id: str, import_id: str) -> ImportRecord | None:
    """Marks the import running; None when it is finished already (a duplicate delivery) or
    was taken up RUN_ATTEMPTS times (it is then failed)."""
    from agenda_core.services.import_reports import ZERO

    record = ImportRecord(imports_pk(agenda_id), import_sk(import_id))
    token = uuid.uuid4().hex
    try:
        with storage_errors():
            record.update(
                actions=[
                    ImportRecord.status.set(RUNNING),
                    ImportRecord.attempts.add(1),
                    ImportRecord.updated_at.set(iso(utcnow())),
                    ImportRecord.run_token.set(token),
                    ImportRecord.applied.set(ImportRecord.applied | dict(ZERO)),  # import_reports.py
                ],
                condition=ImportRecord.status.is_in(PENDING, RUNNING)
                & (ImportRecord.attempts < RUN_ATTEMPTS)
                & (ImportRecord.run_token.does_not_exist() | (ImportRecord.run_token != token)),
            )
    except UpdateError as error:
        if not is_condition_failure(error):
            raise
        with storage_errors():
            held = get_or_none(ImportRecord, record.pk, record.sk, consistent=True)
        if held is not None and held.run_token == token and held.status == RUNNING:
            return held  # our own claim, applied by an attempt whose answer was lost
        if held is not None and held.status == RUNNING:
            _finish_abandoned(record)  # else finished already (a duplicate delivery): nothing to do
        return None
    return record


def _finish_abandoned(record: ImportRecord) -> None:
    """An import still running after RUN_ATTEMPTS runs was killed each time: it failed."""
    try:
        with storage_errors():
            record.update(
                actions=[
                    ImportRecord.status.set(FAILED),
                    ImportRecord.error_code.set("run_abandoned"),
                    ImportRecord.error_detail.set(
                        f"The import was started {RUN_ATTEMPTS} times and never finished; run it again."
                    ),
                    ImportRecord.finished_at.set(iso(utcnow())),
                ],
                condition=ImportRecord.status == RUNNING,
            )
    except UpdateError as error:
        if not is_condition_failure(error):  # else: finished already, nothing to do
            raise


def _finish(record: ImportRecord, status: str, report: dict[str, Any], error: tuple[str, str] | None) -> None:
    actions: list[Any] = [
        ImportRecord.status.set(status),
        ImportRecord.report.set(report),
        ImportRecord.updated_at.set(now := iso(utcnow())),
        ImportRecord.finished_at.set(now),
    ]
    if error is not None:
        actions += [ImportRecord.error_code.set(error[0]), ImportRecord.error_detail.set(error[1])]
    with storage_errors():
        record.update(actions=actions, condition=ImportRecord.status == RUNNING)


def asked_in(record: Mapping[str, Any]) -> tuple[str, str] | None:
    """(agenda id, import id) of a stream record that is an import item's INSERT, else None."""
    change = record.get("dynamodb") or {}
    image = change.get("NewImage") or {}
    pk = str((image.get("pk") or {}).get("S", ""))
    if record.get("eventName") != "INSERT" or not pk.startswith(IMPORTS_PK_PREFIX) or "id" not in image:
        return None
    return pk.removeprefix(IMPORTS_PK_PREFIX), str(image["id"]["S"])


def run_import(agenda_id: str, import_id: str) -> str:
    """Runs the import once (what the stream hands over may come twice). Returns its status
    ("done", "failed", or "skipped" when it was finished already). Raises ``ServiceUnavailable``
    only when even the import's own item cannot be written (the stream retries)."""
    from agenda_core.errors import ServiceUnavailable
    from agenda_core.schemas.auth import session_caller
    from agenda_core.services.import_reports import final_report, read_applied, stored, tally_into, with_run
    from agenda_core.services.schedule_source import Fixes, read_source
    from agenda_core.services.schedule_sync import ImportRefused, SyncReport, sync

    # The claim's UpdateItem answers with the whole item (pynamodb asks for ALL_NEW): no read.
    record = _claim(agenda_id, import_id)
    if record is None:
        return "skipped"
    fixes, report = Fixes(), SyncReport()
    error: tuple[str, str] | None = None
    try:
        caller = session_caller(record.created_by)
        source = read_source(_document(record.upload_id), fixes)
        if record.adjust_days:
            _adjust_days(caller, agenda_id, source, fixes)
        sync(caller, agenda_id, source, fixes, report, tally_into(agenda_id, import_id))
    except ImportRefused as refused:
        error = (refused.code, refused.detail)
    except ServiceUnavailable:
        error = (
            "service_unavailable",
            "A dependency (the table or the file store) was busy or unavailable; run the import again to complete it.",
        )
    except ValidationFailed as refused:
        first = refused.errors[0] if refused.errors else None
        error = (first.code, first.detail) if first else (refused.error_code, refused.detail)
    except ApiError as refused:
        error = (refused.error_code, refused.detail)
    except Exception:  # noqa: BLE001 - a file no rule foresaw must fail its import, not loop
        logger.exception("import stopped", extra={"agenda_id": agenda_id, "import_id": import_id})
        error = ("import_error", "The import stopped on an unexpected error; what it applied is reported.")
    status = FAILED if error else DONE
    # What the import's runs applied, this one's included: the claim's answer plus what this run
    # committed; after a failure, read back (a transaction whose answer was lost may have committed).
    applied = with_run(stored(record.applied), report) if error is None else read_applied(record)
    _finish(record, status, final_report(applied, report, fixes), error)
    logger.info("import finished", extra={"agenda_id": agenda_id, "import_id": import_id, "status": status})
    return status


def _document(upload_id: str) -> Mapping[str, Any]:
    """The upload's file as a schedule.json document. Raises ``ValidationFailed``."""
    from agenda_core.integrations import upload_storage
    from agenda_core.services.schedule_import import read_document

    with storage_errors():
        upload = get_or_none(UploadRecord, upload_pk(upload_id), UPLOAD_SK, consistent=True)
    if upload is None or upload.status != "ready":
        raise ValidationFailed(
            [
                FieldError(
                    "/upload_id", "upload_gone", "The upload expired before the import ran; upload it again."
                )
            ],
            code="upload_gone",
        )
    data = upload_storage.read(stored_key(upload.id, upload.purpose))
    return read_document(data, str(upload.content_type))


def _adjust_days(caller: Caller, agenda_id: str, source: Any, fixes: Any) -> None:
    """Widens the agenda's days to hold the schedule (``adjust_days``): one agenda write."""
    from agenda_core.schemas.agendas import AgendaUpdate
    from agenda_core.services import agenda_updates
    from agenda_core.services.agenda_partition import load_agenda
    from agenda_core.services.schedule_source import MAX_DAYS
    from agenda_core.services.schedule_sync import days_needed
    from agenda_core.settings import get_settings

    agenda = load_agenda(agenda_id, consistent=True)
    widened = days_needed(agenda, source)
    if widened is None:
        return
    first, duration = widened
    if duration > MAX_DAYS:
        fixes.note(
            f"agenda days not widened: the schedule needs {duration} days, at most {MAX_DAYS} are allowed"
        )
        return
    agenda_updates.update_agenda(
        caller,
        agenda_id,
        AgendaUpdate(start_at=first.isoformat(), duration=duration),
        None,
        get_settings().snapshot_base_url,
    )
    fixes.note(
        f"agenda days moved from {agenda.start_at} ({int(agenda.duration)} days) to {first} ({duration} days)"
    )
