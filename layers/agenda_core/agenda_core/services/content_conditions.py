"""The conditions a content write (services/content.py) puts on the agenda item and on the item
itself, inside its one transaction: who may write, which revision it replaces, the agenda's days
and the per-agenda caps. Checked by DynamoDB, so a write needs no read first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from pynamodb.expressions.condition import Condition

from agenda_core.db.base import TableItem
from agenda_core.db.content_records import ContentRecord
from agenda_core.db.records import AgendaRecord
from agenda_core.schemas.auth import Caller
from agenda_core.services.content_diagnosis import WRITERS
from agenda_core.services.content_kinds import ContentKind


def writer_condition(caller: Caller) -> Condition:
    """The agenda exists and the caller is an owner or editor of it."""
    assert caller.user_id is not None
    role = cast(Any, AgendaRecord.roles)[caller.user_id]
    return TableItem.pk.exists() & role.is_in(*WRITERS)


def revision_condition(versions: set[int] | None) -> Condition:
    """The item exists, at one of the revisions an If-Match named (None: any)."""
    condition = TableItem.pk.exists()
    if versions is not None:
        revision = ContentRecord.revision
        condition &= revision.is_in(*versions) if versions else revision < 0
    return condition


def window_condition(fields: Mapping[str, Any]) -> Condition:
    """Inside the agenda's days (API.md §4), against the window the agenda item keeps."""
    return (AgendaRecord.window_start <= fields["starts"]) & (AgendaRecord.window_end >= fields["ends"])


def cap_condition(kind: ContentKind) -> Condition:
    """Room under the agenda's cap of this kind for one more item."""
    counter = kind.count_attribute
    return counter.does_not_exist() | (counter < kind.cap)
