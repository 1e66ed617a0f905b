"""When a session (refresh-token family) is live: revoked, absolute and idle expiry (pure)."""

from __future__ import annotations

import pytest

from agenda_core.db.login_session_records import SessionFamilyRecord
from agenda_core.services.login_sessions import _live
from agenda_core.settings import get_settings

SETTINGS = get_settings()
CREATED = 1_800_000_000


def family(*, last_used: int = CREATED, revoked: bool = False) -> SessionFamilyRecord:
    return SessionFamilyRecord(
        "FAMILY#x",
        "FAMILY",
        id="x",
        user_id="usr_x",
        created_at=CREATED,
        expires_at=CREATED + SETTINGS.refresh_absolute_seconds,
        last_used_at=last_used,
        current_hash="h",
        revoked=revoked,
    )


def test_the_figures_are_reliability_mds():
    assert (
        SETTINGS.refresh_absolute_seconds,
        SETTINGS.refresh_idle_seconds,
        SETTINGS.refresh_grace_seconds,
    ) == (
        30 * 86400,
        7 * 86400,
        30,
    )


@pytest.mark.parametrize(
    ("last_used", "now", "live"),
    [
        (CREATED, CREATED, True),
        (CREATED, CREATED + SETTINGS.refresh_idle_seconds - 1, True),
        (CREATED, CREATED + SETTINGS.refresh_idle_seconds, False),  # idle for 7 days
        (CREATED + 25 * 86400, CREATED + 30 * 86400 - 1, True),
        (CREATED + 29 * 86400, CREATED + 30 * 86400, False),  # 30 days after login, used yesterday
    ],
)
def test_idle_and_absolute_expiry(last_used, now, live):
    assert _live(family(last_used=last_used), now) is live


def test_a_revoked_session_is_never_live():
    assert _live(family(revoked=True), CREATED) is False
