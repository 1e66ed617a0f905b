"""Schedule imports of an agenda (API.md §8)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, StrictBool

from agenda_core.schemas.common import Pagination, PublicModel, RequestModel, Timestamp, UploadId


class ImportCreate(RequestModel):
    """POST /v1/agendas/{agenda_id}/imports."""

    upload_id: UploadId = Field(
        description="A ready upload of yours with purpose `schedule_import`: a c3voc/pretalx "
        "`schedule.json` or a frab `schedule.xml`."
    )
    adjust_days: StrictBool = Field(
        default=False,
        description="Widen the agenda's days to hold every session of the schedule. Without it, "
        "sessions outside the agenda's days are refused and reported.",
    )


class KindCounts(PublicModel):
    venues: int
    tracks: int
    speakers: int
    sessions: int


class ImportReport(PublicModel):
    """What the import did, per kind; ``fixes`` lists every fix and every refusal, one line per
    kind of fix with an example."""

    always_present: ClassVar[frozenset[str]] = frozenset({"fixes"})

    created: KindCounts
    updated: KindCounts
    deleted: KindCounts
    unchanged: KindCounts
    refused: KindCounts
    fixes: list[str]


class ImportFailure(PublicModel):
    code: str = Field(description="Why it failed, e.g. `not_a_schedule`, `too_many_sessions`.")
    detail: str


class ImportPublic(PublicModel):
    id: str = Field(description="`imp_…`")
    url: str
    agenda_id: str
    upload_id: str
    adjust_days: bool
    status: Literal["pending", "running", "done", "failed"] = Field(
        description="`pending`: queued; `running`; `done`; `failed`: see `error`, and `report` for "
        "what was applied before it failed (running the import again completes it)."
    )
    report: ImportReport | None = Field(default=None, description="Once running: what it has done.")
    error: ImportFailure | None = None
    created_at: Timestamp
    updated_at: Timestamp
    finished_at: Timestamp | None = None


class ImportPage(PublicModel):
    always_present: ClassVar[frozenset[str]] = frozenset({"imports"})

    imports: list[ImportPublic] = Field(description="Newest first.")
    pagination: Pagination
