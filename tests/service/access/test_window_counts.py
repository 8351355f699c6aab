"""The in-process fixed-window counters behind the default rate limit.

Oracle: the fixed-window rule itself, on a clock the test moves: a window
opens at its first hit and lasts ``expiry`` seconds; hits inside it add up;
past its end the key counts from zero; expired keys leave the table.
"""

from __future__ import annotations

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from service.access import window_counts
from service.access.window_counts import SCHEME, SWEEP_EVERY, WindowCounts


@pytest.fixture
def clock(monkeypatch):
    now = [1_000.0]
    monkeypatch.setattr(window_counts.time, "time", lambda: now[0])
    return now


def test_hits_add_up_inside_a_window_and_restart_after_it(clock):
    counts = WindowCounts()
    assert [counts.incr("k", 10) for _ in range(3)] == [1, 2, 3]
    assert counts.get("k") == 3 and counts.get_expiry("k") == 1_010.0
    clock[0] = 1_009.9
    assert counts.incr("k", 10, amount=2) == 5  # same window: it does not move
    clock[0] = 1_010.0
    assert counts.get("k") == 0  # the window ended
    assert counts.incr("k", 10) == 1 and counts.get_expiry("k") == 1_020.0
    counts.clear("k")
    assert counts.get("k") == 0


def test_expired_keys_are_swept(clock):
    counts = WindowCounts()
    for i in range(SWEEP_EVERY - 1):
        counts.incr(f"old-{i}", 1)
    clock[0] += 2
    counts.incr("new", 1)  # the SWEEP_EVERY-th hit sweeps
    assert list(counts._windows) == ["new"]


def test_flask_limiter_s_fixed_window_limits_through_it(clock):
    storage = storage_from_string(f"{SCHEME}://")
    assert isinstance(storage, WindowCounts)
    limiter, limit = FixedWindowRateLimiter(storage), parse("3 per minute")
    assert [limiter.hit(limit, "key") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(limit, "other")  # per key
    clock[0] += 60
    assert limiter.hit(limit, "key")
