"""Why a content write failed (services/content.py): a cancelled transaction says which of its
conditions failed, not why, so one read of the agenda (and the item) turns it into the error the
caller should see, in the order a caller can act on them: visibility, role, existence,
``If-Match``, caps, days, references. The same rules answer a merge patch before it writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from agenda_core.db import keys
from agenda_core.db.records import AgendaRecord
from agenda_core.db.transactions import TransactionFailed
from agenda_core.errors import (
    ApiError,
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationFailed,
)
from agenda_core.observability import logger
from agenda_core.policy import roles_for
from agenda_core.schemas.auth import Caller
from agenda_core.services import upload_references
from agenda_core.services.agenda_partition import is_visible, load_with_items, role_of
from agenda_core.services.content_kinds import SESSIONS, ContentKind
from agenda_core.services.schedule_time import day_window

# Who may write content: the same roles for every kind and verb (policy.OPERATIONS, built in one
# loop over the content resources), read from the policy rather than restated here.
WRITERS = roles_for("sessions.update")

# The request fields that reference other items, and the kind each names.
REFERENCE_NAMES = {
    "track_id": "track",
    "venue_id": "venue",
    "speaker_ids": "speaker",
    "category_ids": "category",
}


def not_found(kind: ContentKind) -> NotFound:
    return NotFound(f"No {kind.name} with this id in this agenda.")


def diagnose(
    kind: ContentKind,
    caller: Caller,
    agenda_id: str,
    item_id: str | None,
    failure: TransactionFailed,
    *,
    versions: set[int] | None = None,
    fields: Mapping[str, Any] | None = None,
    creating: bool = False,
) -> ApiError:
    """Why a write's transaction was cancelled, from one read: the error the caller should see.
    ``Conflict(write_conflict)`` when nothing is wrong but the agenda moved on (worth a retry)."""
    sort_keys = [keys.content_sk(kind.name, item_id)] if item_id else []
    try:
        agenda, found = load_with_items(agenda_id, sort_keys, consistent=True)
    except NotFound:
        return NotFound("No agenda with this id.")
    error = role_error(agenda, caller)
    if error is not None:
        return error
    item = next((i for i in found if isinstance(i, kind.record)), None)
    if item_id and item is None:
        return not_found(kind)
    if item is not None and versions is not None and int(item.revision) not in versions:
        return PreconditionFailed()
    if creating and int(getattr(agenda, kind.count_name) or 0) >= kind.cap:
        return Conflict(f"An agenda holds at most {kind.cap} {kind.plural}.", code=f"too_many_{kind.plural}")
    if fields is not None and kind is SESSIONS:
        errors = outside_days(agenda, fields)
        if errors:
            return ValidationFailed(errors)
    rejected = upload_references.refused(failure)
    if rejected is not None:
        return rejected
    unknown = sorted(name for name in failure.failed if name.startswith("/"))
    if unknown:
        return ValidationFailed([_unknown_reference(pointer) for pointer in unknown])
    logger.info("content write lost a race", extra={"failed": sorted(failure.failed)})
    return Conflict("The agenda changed while we wrote; try again.", code="write_conflict")


def role_error(agenda: AgendaRecord, caller: Caller) -> ApiError | None:
    """What stops ``caller`` writing this agenda's content (404 when they may not even see it),
    or None."""
    role = role_of(agenda, caller)
    if role in WRITERS:
        return None
    if not is_visible(agenda, caller):
        return NotFound("No agenda with this id.")
    return PermissionDenied(
        "Your role on this agenda does not allow this." if role else "You are not a member of this agenda.",
        code="insufficient_role",
    )


def _unknown_reference(pointer: str) -> FieldError:
    name = pointer.split("/")[1]
    return FieldError(
        pointer, "unknown_reference", f"{pointer}: no {REFERENCE_NAMES[name]} with this id in this agenda."
    )


def outside_days(agenda: AgendaRecord, fields: Mapping[str, Any]) -> list[FieldError]:
    """API.md §4: a session lies inside the agenda's days, in its zone."""
    start, end = day_window(date.fromisoformat(agenda.start_at), int(agenda.duration), agenda.timezone)
    errors = []
    detail = f"must be inside the agenda's days ({agenda.start_at}, {int(agenda.duration)} days, {agenda.timezone})."
    if not start <= fields["starts"] < end:
        errors.append(FieldError("/start_at", "outside_agenda_days", f"/start_at: {detail}"))
    if not start < fields["ends"] <= end:
        errors.append(FieldError("/end_at", "outside_agenda_days", f"/end_at: {detail}"))
    return errors
