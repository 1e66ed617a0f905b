"""The retry schedule of webhook deliveries (services/webhook_schedule.py, RELIABILITY.md)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from agenda_core.services.webhook_schedule import ATTEMPTS, DELAYS, DELIVERED, after_attempt

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
RELIABILITY_MD = [0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600]


def test_the_schedule_is_reliability_md_s_ten_attempts():
    assert [0, *DELAYS] == RELIABILITY_MD and ATTEMPTS == 10


@pytest.mark.parametrize("status", [200, 201, 204, 299])
def test_only_a_2xx_is_delivered(status):
    assert after_attempt(1, status, NOW, failing_since=None) == DELIVERED


@pytest.mark.parametrize("status", [None, 301, 302, 400, 404, 429, 500, 503])
def test_anything_else_is_tried_again_after_the_next_delay_within_ten_percent(status):
    for attempt in range(1, ATTEMPTS):
        decision = after_attempt(attempt, status, NOW, failing_since=NOW, rng=random.Random(attempt))
        assert decision.retry_at is not None and not decision.dead and decision.disable is None
        waited = (decision.retry_at - NOW).total_seconds()
        assert DELAYS[attempt - 1] * 0.9 <= waited <= DELAYS[attempt - 1] * 1.1


def test_the_tenth_failure_is_dead_and_a_410_disables_at_once():
    last = after_attempt(ATTEMPTS, 500, NOW, failing_since=NOW)
    gone = after_attempt(1, 410, NOW, failing_since=None)

    assert last.dead and last.retry_at is None and last.disable is None
    assert gone.dead and gone.disable is not None and "410" in gone.disable


def test_five_days_without_a_success_disable_the_endpoint():
    almost = after_attempt(3, 500, NOW, failing_since=NOW - timedelta(days=5) + timedelta(minutes=1))
    five_days = after_attempt(3, 500, NOW, failing_since=NOW - timedelta(days=5))

    assert almost.retry_at is not None and almost.disable is None
    assert five_days.dead and five_days.disable is not None


def test_retry_after_moves_the_next_attempt_later_never_earlier_nor_past_the_last_delay():
    rng = random.Random(0)
    later = after_attempt(1, 503, NOW, failing_since=NOW, retry_after=120, rng=rng)
    earlier = after_attempt(3, 429, NOW, failing_since=NOW, retry_after=1, rng=random.Random(0))
    capped = after_attempt(1, 503, NOW, failing_since=NOW, retry_after=10**9, rng=rng)

    assert later.retry_at == NOW + timedelta(seconds=120)
    assert earlier.retry_at is not None and (earlier.retry_at - NOW).total_seconds() >= 30 * 60 * 0.9
    assert capped.retry_at == NOW + timedelta(seconds=DELAYS[-1])
