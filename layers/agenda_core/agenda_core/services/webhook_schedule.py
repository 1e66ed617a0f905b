"""When a webhook delivery is tried again, and when an endpoint is given up on (RELIABILITY.md).

Ten attempts per event and endpoint: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
20 h and 24 h after the one before (about three days in all), each delay ± 10 % so that endpoints
that failed together are not retried together. A ``Retry-After`` the receiver sent moves the next
attempt later, never earlier, and never past the last delay. Only a 2xx succeeds. A 410 Gone
disables the endpoint at once; an endpoint with no success for 5 days is disabled. A delivery out
of attempts is dead (the delivery log shows it; the queue's dead-letter alarm catches the rest).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

# Seconds from one attempt to the next; attempt n + 1 waits DELAYS[n - 1] after attempt n.
DELAYS = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
ATTEMPTS = len(DELAYS) + 1
JITTER = 0.10
DISABLE_AFTER = timedelta(days=5)


@dataclass(frozen=True)
class Decision:
    """What follows an attempt: ``retry_at`` (try again then), or ``dead`` (no attempts left),
    and ``disable`` (the endpoint's reason to stop, or None)."""

    retry_at: datetime | None = None
    dead: bool = False
    disable: str | None = None


DELIVERED = Decision()


def after_attempt(
    attempt: int,
    status: int | None,
    now: datetime,
    *,
    failing_since: datetime | None,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> Decision:
    """The decision after attempt number ``attempt`` (1 for the first) answered ``status`` (None:
    no answer). ``failing_since`` is when the endpoint's current run of failures began (None: it
    has none, this one aside)."""
    if status is not None and 200 <= status < 300:
        return DELIVERED
    if status == 410:
        return Decision(dead=True, disable="The endpoint answered 410 Gone.")
    disable = None
    if failing_since is not None and now - failing_since >= DISABLE_AFTER:
        disable = f"No delivery succeeded for {DISABLE_AFTER.days} days."
    if attempt >= ATTEMPTS or disable:
        return Decision(dead=True, disable=disable)
    delay = DELAYS[attempt - 1] * (1 + (rng or random).uniform(-JITTER, JITTER))
    if retry_after is not None:
        delay = min(max(delay, retry_after), DELAYS[-1])
    return Decision(retry_at=now + timedelta(seconds=delay))
