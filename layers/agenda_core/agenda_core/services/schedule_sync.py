"""An import's writes (API.md §8): make an agenda's imported content what a schedule says.

What it matches, updates and leaves alone:
- Everything an import writes carries its source key (``ContentRecord.source``,
  services/schedule_source.py). A re-import of a newer version of the same schedule updates those
  items in place, creates what is new, and deletes what the schedule dropped: nothing is
  duplicated, and content made through the API (no source key) is never touched.
- The schedule owns the fields it carries (``CARRIED``); the rest stays as the organisers set it
  (a session's categories or cancellation, a speaker's photo).
- An item the schedule dropped but a hand-made session still uses is kept, and reported.

How it writes: every change goes through the commit seam (db/commits.py), so the change feed,
the public snapshot and webhooks see an import like any API write, in as few transactions as
DynamoDB allows (100 items each: a change is its item and its change record, plus one check per
item referenced that the same transaction does not write, the agenda and the import's tally). Each transaction is
pinned to the agenda's version and to the revision of every item it changes: if anyone writes
the agenda meanwhile, the import reads it again and plans again from there (what it already
wrote is matched, not written twice).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from pydantic import ValidationError
from pynamodb.expressions.condition import Condition

from agenda_core.db import commits, keys
from agenda_core.db.base import TableItem
from agenda_core.db.content_records import ContentRecord, new_revision
from agenda_core.db.ids import iso, new_id, utcnow
from agenda_core.db.records import AgendaRecord
from agenda_core.db.transactions import Transaction, TransactionFailed
from agenda_core.errors import Conflict
from agenda_core.schemas.auth import Caller
from agenda_core.schemas.sessions import SessionCreate
from agenda_core.services.agenda_partition import load_partition, remember
from agenda_core.services.content_diagnosis import WRITERS, outside_days, role_error
from agenda_core.services.content_kinds import (
    KINDS,
    SESSIONS,
    SPEAKERS,
    TRACKS,
    VENUES,
    ContentKind,
    change_state,
    state_of,
    without_empty,
)
from agenda_core.services.schedule_source import Fixes, Source, SourceSession, reason
from agenda_core.services.schedule_time import local_day, to_epoch

PLAN_ATTEMPTS = 5  # plans in all when others keep writing the agenda meanwhile
_TRANSACTION_ITEMS = 100  # DynamoDB's cap per TransactWriteItems
_TRANSACTION_BYTES = 3 * 1024 * 1024  # under DynamoDB's 4 MB, with room for the request's keys
_NOT_COMPARED = frozenset({"revision", "created_at", "updated_at"})
# What the schedule says of each kind: the fields an import writes (the rest are the organisers').
CARRIED = {
    "venue": frozenset({"name", "position"}),
    "track": frozenset({"name", "color", "position"}),
    "speaker": frozenset({"name", "bio"}),
    "session": frozenset(
        {
            "title",
            "description",
            "start_at",
            "end_at",
            "kind",
            "language",
            "venue_id",
            "track_id",
            "speaker_ids",
        }
    ),
}
ACTIONS = ("created", "updated", "deleted", "unchanged", "refused")
ORDER = (VENUES, TRACKS, SPEAKERS, SESSIONS)  # sessions name the others: those are written first
# Called inside each transaction with its batch's counts, {(action, kind plural): n}: an import
# adds them to its own item there, so that they commit with the writes (services/import_reports.py).
Tally = Callable[[Transaction, Counter[tuple[str, str]]], None]


class ImportRefused(Exception):
    """The schedule cannot be imported as a whole (over a cap): nothing was written."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


@dataclass
class SyncReport:
    """Counts per action and kind (``{"created": {"sessions": 79, ...}, ...}``) and the fixes."""

    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {action: {kind.plural: 0 for kind in ORDER} for action in ACTIONS}
    )

    def add(self, action: str, kind: ContentKind, number: int = 1) -> None:
        self.counts[action][kind.plural] += number

    def as_dict(self, fixes: Fixes) -> dict[str, Any]:
        return {**self.counts, "fixes": fixes.lines()}


@dataclass(frozen=True)
class _Write:
    kind: ContentKind
    record: ContentRecord
    action: str  # "created", "updated", "deleted"
    condition: Condition
    references: tuple[tuple[str, str], ...] = ()  # (kind name, id) it names

    @property
    def change(self) -> commits.Change:
        removed = self.action == "deleted"
        return commits.Change(
            self.kind.name,
            str(self.record.id),
            commits.DELETED if removed else commits.UPSERTED,
            None if removed else change_state(self.record),
            what="created" if self.action == "created" else "",
        )


def sync(
    caller: Caller,
    agenda_id: str,
    source: Source,
    fixes: Fixes,
    report: SyncReport,
    tally: Tally | None = None,
) -> None:
    """Writes what makes the agenda's imported content ``source``, counting into ``report`` as
    transactions commit (so a failure midway leaves a report of what was applied), and into
    ``tally`` inside each transaction. Raises ``NotFound``, ``PermissionDenied``, ``ImportRefused``
    (nothing written), ``ServiceUnavailable`` and ``Conflict`` (the agenda kept changing)."""
    for _attempt in range(PLAN_ATTEMPTS):
        agenda, items = load_partition(agenda_id, consistent=True)
        error = role_error(agenda, caller)
        if error is not None:
            raise error
        plan = _Plan(agenda, items)
        writes = plan.writes(source)
        if plan.outside:
            plan.fixes_to(fixes)
            report.add("refused", SESSIONS, plan.outside)
            raise ImportRefused(
                "outside_agenda_days",
                f"{plan.outside} sessions fall outside the agenda's days ({agenda.start_at}, "
                f"{int(agenda.duration)} days, {agenda.timezone}); nothing was imported. Widen the "
                'days, or import again with "adjust_days": true.',
            )
        try:
            _apply(caller, agenda, writes, report, tally)
        except TransactionFailed:
            continue  # someone wrote the agenda meanwhile: read it again and plan from there
        for kind, number in plan.unchanged.items():
            report.add("unchanged", kind, number)
        for kind, number in plan.refused.items():
            report.add("refused", kind, number)
        plan.fixes_to(fixes)
        return
    raise Conflict("The agenda kept changing while the import wrote; run it again.", code="write_conflict")


def days_needed(agenda: AgendaRecord, source: Source) -> tuple[date, int] | None:
    """The agenda's days widened to hold every session of ``source`` in its zone, or None when
    they already do."""
    zone = str(agenda.timezone)
    first = date.fromisoformat(str(agenda.start_at))
    last = first + timedelta(days=int(agenda.duration) - 1)
    for session in source.sessions:
        starts = to_epoch(datetime.fromisoformat(session.fields["start_at"]))
        ends = to_epoch(datetime.fromisoformat(session.fields["end_at"]))
        first = min(first, local_day(starts, zone))
        last = max(last, local_day(ends - 1, zone))
    widened = (first, (last - first).days + 1)
    return None if widened == (date.fromisoformat(str(agenda.start_at)), int(agenda.duration)) else widened


class _Plan:
    """The writes that take the agenda, as read, to the schedule."""

    def __init__(self, agenda: AgendaRecord, items: list[dict[str, Any]]) -> None:
        self.agenda, self.items = agenda, items
        self.now = utcnow()
        self.found: dict[tuple[str, str], dict[str, Any]] = {
            (item["type"], str(item["source"])): item for item in items if item.get("source")
        }
        self.ids: dict[str, str] = {}  # source key -> our id (found or new)
        self.unchanged: dict[ContentKind, int] = {}
        self.refused: dict[ContentKind, int] = {}
        self.outside = 0  # sessions outside the agenda's days: the whole import is refused
        self.notes: list[tuple[str, str]] = []  # noted once the plan is the one applied

    def fixes_to(self, fixes: Fixes) -> None:
        for fix, example in self.notes:
            fixes.note(fix, example)

    def writes(self, source: Source) -> list[_Write]:
        upserts: list[_Write] = []
        for kind, wanted in ((VENUES, source.venues), (TRACKS, source.tracks), (SPEAKERS, source.speakers)):
            for key, model in wanted.items():
                upserts += self._upsert(kind, key, model.model_dump())
        kept_sessions: list[dict[str, Any]] = [item for item in self.items if item["type"] == "session"]
        for session in source.sessions:
            upserts += self._session(session)
        wanted_keys = {key for plan in (source.venues, source.tracks, source.speakers) for key in plan}
        wanted_keys |= {session.key for session in source.sessions}
        gone = [
            item
            for (_kind, key), item in self.found.items()
            if key not in wanted_keys and item["type"] in KINDS
        ]
        # What the agenda's sessions will be: all but the dropped imported ones, as planned.
        dropped = {item["id"] for item in gone if item["type"] == "session"}
        planned = {w.record.id: change_state(w.record) for w in upserts if w.kind is SESSIONS}
        sessions = [planned.get(s["id"], s) for s in kept_sessions if s["id"] not in dropped]
        sessions += [
            state for item_id, state in planned.items() if item_id not in {s["id"] for s in kept_sessions}
        ]
        deletes = []
        for kind in reversed(ORDER):
            for item in (i for i in gone if i["type"] == kind.name):
                users = [s for s in sessions if kind.used_by and kind.used_by(s, item["id"])]
                if users:
                    self.notes.append(
                        (
                            f"{kind.name} dropped from the schedule kept: a session made through the API uses it",
                            repr(item.get("name", item["id"])),
                        )
                    )
                    continue
                deletes.append(self._delete(kind, item))
        self._check_caps(upserts, deletes)
        return upserts + deletes

    def _record(
        self, kind: ContentKind, key: str, fields: dict[str, Any], found: dict[str, Any] | None
    ) -> ContentRecord:
        item_id = str(found["id"]) if found else self.ids.get(key) or new_id(kind.name, self.now)
        self.ids[key] = item_id
        return kind.record(
            keys.agenda_pk(str(self.agenda.id)),
            keys.content_sk(kind.name, item_id),
            id=item_id,
            revision=new_revision(),
            created_at=str(found["created_at"]) if found else iso(self.now),
            updated_at=iso(self.now),
            source=key,
            **fields,
        )

    def _upsert(
        self, kind: ContentKind, key: str, sent: dict[str, Any], references: tuple[tuple[str, str], ...] = ()
    ) -> list[_Write]:
        found = self.found.get((kind.name, key))
        carried = {name: value for name, value in sent.items() if name in CARRIED[kind.name]}
        kept = {} if found is None else {n: v for n, v in found.items() if n in kind.record.get_attributes()}
        kept = {
            n: v for n, v in kept.items() if n not in _NOT_COMPARED and n not in ("pk", "sk", "type", "id")
        }
        fields = without_empty(kind.to_storage({**(kept if found else sent), **carried}))
        fields.pop("source", None)
        record = self._record(kind, key, fields, found)
        if found is not None:
            before = {n: v for n, v in state_of(found).items() if n not in _NOT_COMPARED}
            after = {n: v for n, v in change_state(record).items() if n not in _NOT_COMPARED}
            if before == after:
                self.unchanged[kind] = self.unchanged.get(kind, 0) + 1
                return []
            condition = TableItem.pk.exists() & (ContentRecord.revision == found["revision"])
            return [_Write(kind, record, "updated", condition, references)]
        return [_Write(kind, record, "created", TableItem.pk.does_not_exist(), references)]

    def _session(self, session: SourceSession) -> list[_Write]:
        venue = self.ids.get(session.venue or "")
        track = self.ids.get(session.track or "")
        speakers = [self.ids[key] for key in session.speakers if key in self.ids]
        try:
            model = SessionCreate(**session.fields, venue_id=venue, track_id=track, speaker_ids=speakers)
        except ValidationError as refused:
            return self._refuse(session, "event skipped", reason(refused))
        fields = without_empty(SESSIONS.to_storage(model.model_dump()))
        errors = SESSIONS.check(fields)
        if errors:
            return self._refuse(session, "event skipped", "; ".join(e.detail for e in errors))
        if outside_days(self.agenda, fields):
            self.outside += 1
            return self._refuse(session, "event outside the agenda's days", session.fields["start_at"])
        references = tuple((name, ref) for name, ref in (("venue", venue), ("track", track)) if ref) + tuple(
            ("speaker", ref) for ref in speakers
        )
        return self._upsert(SESSIONS, session.key, model.model_dump(), references)

    def _refuse(self, session: SourceSession, fix: str, detail: str) -> list[_Write]:
        self.refused[SESSIONS] = self.refused.get(SESSIONS, 0) + 1
        self.notes.append((fix, f"{session.label} ({detail})"))
        if (found := self.found.get(("session", session.key))) is not None:
            self.ids[session.key] = str(found["id"])  # still in the schedule: kept as it is
        return []

    def _delete(self, kind: ContentKind, item: dict[str, Any]) -> _Write:
        record = kind.record(
            keys.agenda_pk(str(self.agenda.id)), keys.content_sk(kind.name, item["id"]), id=item["id"]
        )
        return _Write(kind, record, "deleted", ContentRecord.revision == item["revision"])

    def _check_caps(self, upserts: list[_Write], deletes: list[_Write]) -> None:
        for kind in ORDER:
            now = int(getattr(self.agenda, kind.count_name) or 0)
            after = (
                now
                + sum(w.kind is kind for w in upserts if w.action == "created")
                - sum(w.kind is kind for w in deletes)
            )
            if after > kind.cap:
                raise ImportRefused(
                    f"too_many_{kind.plural}",
                    f"The agenda would have {after} {kind.plural}; at most {kind.cap} are allowed.",
                )


# --- applying: transactions as large as DynamoDB allows ------------------------------------------


def _batches(writes: list[_Write]) -> list[list[_Write]]:
    batches: list[list[_Write]] = []
    batch: list[_Write] = []
    size = 0
    for write in writes:
        bytes_ = 2 * len(repr(write.change.state)) + 512
        trial = [*batch, write]
        if batch and (_items(trial) > _TRANSACTION_ITEMS or size + bytes_ > _TRANSACTION_BYTES):
            batches.append(batch)
            trial, size = [write], 0
        batch, size = trial, size + bytes_
    return [*batches, batch] if batch else batches


def _checked(batch: list[_Write]) -> set[tuple[str, str]]:
    """What the batch references and does not write itself: each is one condition check."""
    written = {(w.kind.name, str(w.record.id)) for w in batch}
    return {ref for w in batch for ref in w.references if ref not in written}


def _items(batch: list[_Write]) -> int:
    return 2 * len(batch) + len(_checked(batch)) + 2  # and the agenda, and an import's item (its tally)


def _apply(
    caller: Caller, agenda: AgendaRecord, writes: list[_Write], report: SyncReport, tally: Tally | None
) -> None:
    assert caller.user_id is not None
    role = cast(Any, AgendaRecord.roles)[caller.user_id]
    for batch in _batches(writes):
        condition = TableItem.pk.exists() & role.is_in(*WRITERS)
        actions = []
        for kind in ORDER:
            net = sum(w.kind is kind for w in batch if w.action == "created") - sum(
                w.kind is kind for w in batch if w.action == "deleted"
            )
            if net:
                actions.append(kind.count_attribute.add(net))
            if net > 0:
                counter = kind.count_attribute
                condition &= counter.does_not_exist() | (counter <= kind.cap - net)
        timed = [cast(Any, w.record) for w in batch if w.kind is SESSIONS and w.action != "deleted"]
        if timed:
            condition &= (AgendaRecord.window_start <= min(int(r.starts) for r in timed)) & (
                AgendaRecord.window_end >= max(int(r.ends) for r in timed)
            )
        changes = [w.change for w in batch]
        with commits.commit_changes(
            str(agenda.id), int(agenda.version), changes, actions=actions, condition=condition
        ) as tx:
            for write in batch:
                if write.action == "deleted":
                    tx.remove("item", write.record, condition=write.condition)
                else:
                    tx.put("item", write.record, condition=write.condition)
            for kind_name, ref in sorted(_checked(batch)):
                tx.check(
                    f"/{kind_name}", KINDS[kind_name].record, keys.agenda_pk(str(agenda.id)),
                    keys.content_sk(kind_name, ref), condition=TableItem.pk.exists(),
                )  # fmt: skip
            if tally is not None:
                tally(tx, Counter((w.action, w.kind.plural) for w in batch))
        agenda.version = int(agenda.version) + len(batch)
        for write in batch:
            report.add(write.action, write.kind)
            if write.action in ("created", "deleted"):
                counted = int(getattr(agenda, write.kind.count_name) or 0)
                setattr(agenda, write.kind.count_name, counted + (1 if write.action == "created" else -1))
        remember(agenda)
