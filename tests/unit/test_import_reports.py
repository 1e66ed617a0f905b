"""An import's report from what its runs applied (services/import_reports.py): a first run that
nothing interrupts reports what it did; a run taken up again reports the import, not its own view."""

from __future__ import annotations

from agenda_core.services.content_kinds import SESSIONS, SPEAKERS, VENUES
from agenda_core.services.import_reports import ZERO, final_report, stored, with_run
from agenda_core.services.schedule_source import Fixes
from agenda_core.services.schedule_sync import SyncReport

KINDS = ("venues", "tracks", "speakers", "sessions")


def by_kind(**counts: int) -> dict[str, int]:
    return {kind: counts.get(kind, 0) for kind in KINDS}


def test_a_first_run_reports_what_it_did():
    run, fixes = SyncReport(), Fixes()
    run.add("created", SESSIONS, 3)
    run.add("updated", SPEAKERS, 2)
    run.add("deleted", VENUES)
    run.add("unchanged", SPEAKERS, 5)
    run.add("refused", SESSIONS)
    fixes.note("abstract left out", "'Talk'")

    report = final_report(with_run(stored(None), run), run, fixes)

    assert report == run.as_dict(fixes)
    assert report["fixes"] == ["abstract left out: 'Talk'"]


def test_a_run_taken_up_again_reports_every_runs_writes_and_only_the_rest_unchanged():
    # The first run created 2 sessions and updated a speaker, then died before its report.
    applied = stored({**ZERO, "created_sessions": 2, "updated_speakers": 1})
    run = SyncReport()  # the second: one session left to create, the rest as the first left it
    run.add("created", SESSIONS)
    run.add("unchanged", SESSIONS, 2)
    run.add("unchanged", SPEAKERS, 4)

    report = final_report(with_run(applied, run), run, Fixes())

    assert report == {
        "created": by_kind(sessions=3),
        "updated": by_kind(speakers=1),
        "deleted": by_kind(),
        "unchanged": by_kind(speakers=3),
        "refused": by_kind(),
        "fixes": [],
    }
