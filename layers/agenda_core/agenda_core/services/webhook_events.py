"""The webhook event a committed change is (API.md §7), built from its change record alone.

One change record (db/commits.py), one event: its ``type`` is the record's ``event``, its
``timestamp`` the commit time, its ``data`` the agenda's id, the version the change committed and
the object as the change left it, in the shape the public reads (members-only fields such as a
speaker's email never go out: receivers are other systems). A deletion carries the id alone.
The object comes from the record's ``state``, never from a later read, so an event shows its own
change even when others followed it before delivery.

``agenda.created`` (version 1) is recorded but never delivered: no endpoint can subscribe before
the agenda exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from agenda_core.db import keys
from agenda_core.db.commits import DELETED
from agenda_core.db.records import AgendaRecord
from agenda_core.services.agendas import agenda_json_fields
from agenda_core.services.content_kinds import KINDS, View

UNDELIVERED = frozenset({"agenda.created"})


def event_of(change: Mapping[str, Any], zone: str, base_url: str) -> dict[str, Any] | None:
    """The event body of a change record (decoded, db/raw.py), or None for one never delivered.

    ``zone`` is the agenda's time zone, which a session's times are shown in; ``base_url`` the
    public API's, which objects' ``url`` fields are built on."""
    event = str(change.get("event") or "")
    if not event or event in UNDELIVERED:
        return None
    agenda_id, kind = str(change["agenda_id"]), str(change["kind"])
    state = change.get("state")
    if change["action"] == DELETED or state is None:
        thing: dict[str, Any] = {"id": change["item_id"]}
    elif kind == "agenda":
        thing = agenda_json_fields(AgendaRecord(keys.agenda_pk(agenda_id), keys.AGENDA_SK, **state), base_url)
    else:
        view = View(base_url=base_url, agenda_id=agenda_id, zone=zone, member=False)
        thing = KINDS[kind].public_fields(state, view)
    return {
        "type": event,
        "timestamp": change["at"],
        "data": {"agenda_id": agenda_id, "version": int(change["version"]), "object": thing},
    }


def subscribed(events: Iterable[str], event_type: str) -> bool:
    """Whether a subscription's ``events`` filter takes ``event_type``."""
    wanted = set(events)
    return "*" in wanted or event_type in wanted
