"""Guessing limits: windows, subjects and Retry-After (services/throttling.py), without AWS."""

from __future__ import annotations

import pytest

from agenda_core.db.login_session_records import ThrottleCounterRecord
from agenda_core.errors import RateLimited
from agenda_core.services import throttling
from agenda_core.settings import get_settings

WINDOW = get_settings().login_window_seconds
T0 = 1_800_000_000 - 1_800_000_000 % WINDOW  # the start of a window


@pytest.mark.parametrize(
    ("source", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),  # same /64: one client
        ("::ffff:198.51.100.1", "198.51.100.1"),
        ("not an ip", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
    ],
)
def test_a_source_counts_by_address_or_ipv6_64(source, network):
    assert throttling.client_network(source) == network


def test_counters_are_keyed_by_hashed_subject_and_window():
    email, ip = throttling.login_counters("ada@example.com", "203.0.113.7", T0 + 10)
    same_window = throttling.login_counters("ada@example.com", "203.0.113.7", T0 + WINDOW - 1)
    next_window = throttling.login_counters("ada@example.com", "203.0.113.7", T0 + WINDOW)

    assert (email.scope, ip.scope) == ("login-email", "login-ip")
    assert "ada@example.com" not in email.pk and "203.0.113.7" not in ip.pk
    assert email.pk.startswith("THROTTLE#login-email#") and email.sk == f"WINDOW#{T0}"
    assert (email.key, ip.key) == (same_window[0].key, same_window[1].key)
    assert next_window[0].pk == email.pk and next_window[0].sk == f"WINDOW#{T0 + WINDOW}"
    assert (email.limit, ip.limit) == (
        get_settings().login_failures_per_email,
        get_settings().login_failures_per_ip,
    )
    assert email.window_end == T0 + WINDOW


def test_retry_after_is_what_is_left_of_the_window_and_at_least_one_second():
    counter, _ = throttling.login_counters("ada@example.com", None, T0)

    assert counter.retry_after(T0) == WINDOW
    assert counter.retry_after(T0 + 100.2) == WINDOW - 100
    assert counter.retry_after(T0 + WINDOW - 0.01) == 1


def _item(counter: throttling.Counter, attempts: int) -> ThrottleCounterRecord:
    return ThrottleCounterRecord(counter.pk, counter.sk, attempts=attempts)


def test_check_refuses_at_the_limit_with_the_longest_wait():
    email, ip = throttling.login_counters("ada@example.com", "203.0.113.7", T0 + 60)
    signup = throttling.signup_counter("203.0.113.7", T0 + 60)

    throttling.check((email, ip), {email.key: _item(email, email.limit - 1)}, T0 + 60)  # under: fine
    with pytest.raises(RateLimited) as raised:
        throttling.check((email, ip), {email.key: _item(email, email.limit)}, T0 + 60)
    assert raised.value.headers == {"Retry-After": str(WINDOW - 60)}
    assert raised.value.error_code == "too_many_attempts"
    with pytest.raises(RateLimited) as raised:
        throttling.check(
            (email, signup), {email.key: _item(email, 99), signup.key: _item(signup, 99)}, T0 + 60
        )
    assert raised.value.headers == {"Retry-After": str(signup.window_end - T0 - 60)}


def test_a_container_remembers_a_full_counter_until_its_window_ends():
    throttling.reset_memo()
    counter = throttling.signup_counter("203.0.113.9", T0)
    throttling.refuse_if_known_full(counter, T0)  # unknown: no refusal

    throttling.remember_full(counter)

    with pytest.raises(RateLimited):
        throttling.refuse_if_known_full(counter, T0 + 5)
    throttling.refuse_if_known_full(counter, counter.window_end)  # the window is over
    throttling.refuse_if_known_full(counter, T0 + 5)  # and forgotten
    throttling.reset_memo()
