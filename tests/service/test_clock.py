"""Clocks: the system clock reads epoch ms; the manual clock moves by hand."""

from __future__ import annotations

import time

from auctioneer.service.clock import ManualClock, SystemClock


def test_the_system_clock_reads_epoch_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    now = SystemClock().now_ms()
    after = time.time_ns() // 1_000_000
    assert before <= now <= after


def test_the_manual_clock_stands_still_until_advanced() -> None:
    clock = ManualClock(1_000)
    assert clock.now_ms() == clock.now_ms() == 1_000
    clock.advance(1.5)
    assert clock.now_ms() == 2_500
    clock.advance(0.001)
    assert clock.now_ms() == 2_501


def test_the_manual_clock_has_a_fixed_default_start() -> None:
    assert ManualClock().now_ms() == 1_790_000_000_000
