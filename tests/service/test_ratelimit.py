"""Rate limits: a token bucket for bids, a sliding window for failed logins."""

from __future__ import annotations

import pytest

from auctioneer.service import ratelimit
from auctioneer.service.ratelimit import FailureWindow, TokenBucket


def test_a_bucket_allows_a_full_burst_at_once() -> None:
    bucket = TokenBucket(rate=20, burst=40)
    assert [bucket.take("ann", 0.0) for _ in range(40)] == [0.0] * 40


def test_a_bucket_refuses_past_the_burst_and_says_how_long_to_wait() -> None:
    bucket = TokenBucket(rate=20, burst=40)
    for _ in range(40):
        bucket.take("ann", 0.0)
    assert bucket.take("ann", 0.0) == pytest.approx(1 / 20)


def test_a_refused_take_costs_nothing() -> None:
    bucket = TokenBucket(rate=10, burst=1)
    assert bucket.take("ann", 0.0) == 0.0
    assert bucket.take("ann", 0.05) == pytest.approx(0.05)
    assert bucket.take("ann", 0.05) == pytest.approx(0.05)
    assert bucket.take("ann", 0.1) == 0.0


def test_a_bucket_refills_at_its_rate() -> None:
    bucket = TokenBucket(rate=20, burst=40)
    for _ in range(40):
        bucket.take("ann", 0.0)
    assert bucket.take("ann", 0.5) == 0.0  # 10 tokens back
    for _ in range(9):
        assert bucket.take("ann", 0.5) == 0.0
    assert bucket.take("ann", 0.5) > 0


def test_a_bucket_never_holds_more_than_its_burst() -> None:
    bucket = TokenBucket(rate=20, burst=3)
    bucket.take("ann", 0.0)
    allowed = [bucket.take("ann", 1000.0) for _ in range(4)]
    assert allowed[:3] == [0.0, 0.0, 0.0]
    assert allowed[3] > 0


def test_each_key_has_its_own_bucket() -> None:
    bucket = TokenBucket(rate=1, burst=1)
    assert bucket.take("ann", 0.0) == 0.0
    assert bucket.take("ann", 0.0) > 0
    assert bucket.take("bob", 0.0) == 0.0


def test_a_burst_below_one_still_allows_one_take() -> None:
    bucket = TokenBucket(rate=5, burst=0)
    assert bucket.burst == 1.0
    assert bucket.take("ann", 0.0) == 0.0


def test_a_rate_of_zero_turns_the_bucket_off() -> None:
    bucket = TokenBucket(rate=0, burst=1)
    assert not bucket.enabled
    assert all(bucket.take("ann", 0.0) == 0.0 for _ in range(1000))


def test_a_flood_of_keys_keeps_memory_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "_MAX_KEYS", 3)
    bucket = TokenBucket(rate=1, burst=1)
    for key in range(3):
        bucket.take(key, 0.0)
    bucket.take("new", 0.0)  # clears the table first
    assert bucket.take(0, 0.0) == 0.0  # a fresh bucket: its old state was forgotten


def test_a_window_allows_failures_up_to_its_limit() -> None:
    window = FailureWindow(limit=3, window_s=60)
    for at in (0.0, 1.0, 2.0):
        assert window.blocked("ann", at) == 0.0
        window.record("ann", at)
    assert window.blocked("ann", 3.0) == pytest.approx(57.0)


def test_a_window_forgets_failures_older_than_the_window() -> None:
    window = FailureWindow(limit=2, window_s=60)
    window.record("ann", 0.0)
    window.record("ann", 30.0)
    assert window.blocked("ann", 59.0) > 0
    assert window.blocked("ann", 60.0) == 0.0  # the first failure is exactly a window old
    window.record("ann", 60.0)
    assert window.blocked("ann", 61.0) == pytest.approx(29.0)


def test_a_window_counts_each_key_apart() -> None:
    window = FailureWindow(limit=1)
    window.record("ann", 0.0)
    assert window.blocked("ann", 1.0) > 0
    assert window.blocked("bob", 1.0) == 0.0


def test_a_window_limit_of_zero_turns_it_off() -> None:
    window = FailureWindow(limit=0)
    for _ in range(100):
        window.record("ann", 0.0)
    assert window.blocked("ann", 0.0) == 0.0


def test_a_window_with_a_flood_of_keys_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "_MAX_KEYS", 2)
    window = FailureWindow(limit=1)
    window.record("a", 0.0)
    window.record("b", 0.0)
    window.record("c", 0.0)  # clears the table first
    assert window.blocked("a", 0.0) == 0.0
    assert window.blocked("c", 0.0) > 0
