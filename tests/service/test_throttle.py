"""The login and registration windows, in this process and shared in Redis (issue 20, item 1).

The Redis cases run when AUCTIONEER_TEST_REDIS_URL is set and skip visibly
otherwise (`.ci/run` sets it and fails on a skipped Redis suite).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import pytest

from auctioneer.gateways.compose import window_factory
from auctioneer.service.shared_limits import FallbackWindow
from auctioneer.service.throttle import LocalWindow, Window, WindowFactory

REDIS_URL = os.environ.get("AUCTIONEER_TEST_REDIS_URL")


@pytest.fixture(params=["local", "redis"])
async def windows(request: pytest.FixtureRequest) -> AsyncIterator[WindowFactory]:
    if request.param == "local":
        yield lambda name, limit, window_s: LocalWindow(limit, window_s)
        return
    if not REDIS_URL:
        pytest.skip("redis: AUCTIONEER_TEST_REDIS_URL is not set")
    factory, close = window_factory(REDIS_URL)
    run = secrets.token_hex(4)  # keys of this run only
    try:
        yield lambda name, limit, window_s: factory(f"{name}-{run}", limit, window_s)
    finally:
        assert close is not None
        await close()


async def test_a_window_refuses_past_its_limit_and_names_the_wait(windows: WindowFactory) -> None:
    window: Window = windows("t", 3, 60)
    for _ in range(3):
        assert await window.wait("k", 1000.0) == 0
        await window.record("k", 1000.0)
    assert await window.wait("k", 1000.0) > 0
    assert 1 <= await window.wait("k", 1000.0) <= 60
    assert await window.wait("other", 1000.0) == 0


async def test_pending_attempts_count_against_the_room_left(windows: WindowFactory) -> None:
    window = windows("p", 3, 60)
    await window.record("k", 1000.0)
    assert await window.wait("k", 1000.0, pending=1) == 0
    assert await window.wait("k", 1000.0, pending=2) > 0


async def test_take_counts_only_what_it_lets_through(windows: WindowFactory) -> None:
    window = windows("r", 2, 60)
    assert [await window.take("addr", 1000.0) == 0 for _ in range(4)] == [
        True,
        True,
        False,
        False,
    ]


async def test_a_limit_of_zero_is_off(windows: WindowFactory) -> None:
    window = windows("z", 0, 60)
    for _ in range(50):
        await window.record("k", 1000.0)
        assert await window.take("k", 1000.0) == 0
    assert await window.wait("k", 1000.0) == 0


async def test_the_local_window_forgets_after_its_time() -> None:
    window = LocalWindow(2, 60)
    await window.record("k", 1000.0)
    await window.record("k", 1010.0)
    assert await window.wait("k", 1020.0) == pytest.approx(40.0)
    assert await window.wait("k", 1060.0) == 0


@pytest.mark.skipif(not REDIS_URL, reason="redis: AUCTIONEER_TEST_REDIS_URL is not set")
async def test_two_processes_share_the_redis_counts() -> None:
    assert REDIS_URL is not None
    run = secrets.token_hex(4)
    first, close_first = window_factory(REDIS_URL)
    second, close_second = window_factory(REDIS_URL)
    try:
        a, b = first(f"s-{run}", 2, 60), second(f"s-{run}", 2, 60)
        # Counted in Redis, in this process only while Redis does not answer.
        assert isinstance(a, FallbackWindow) and isinstance(b, FallbackWindow)
        await a.record("ann\x001.1.1.1", 0)
        await b.record("ann\x001.1.1.1", 0)
        assert await a.wait("ann\x001.1.1.1", 0) > 0
        assert await b.wait("ann\x001.1.1.1", 0) > 0
    finally:
        assert close_first is not None and close_second is not None
        await close_first()
        await close_second()


@pytest.mark.skipif(not REDIS_URL, reason="redis: AUCTIONEER_TEST_REDIS_URL is not set")
async def test_two_houses_on_one_redis_count_apart() -> None:
    assert REDIS_URL is not None
    run = secrets.token_hex(4)
    here, close_here = window_factory(REDIS_URL, f"house-a-{run}:")
    there, close_there = window_factory(REDIS_URL, f"house-b-{run}:")
    again, close_again = window_factory(REDIS_URL, f"house-a-{run}:")
    try:
        a, b, a2 = here("logins", 1, 60), there("logins", 1, 60), again("logins", 1, 60)
        await a.record("ann\x001.1.1.1", 0)
        assert await a2.wait("ann\x001.1.1.1", 0) > 0  # the same house: counted
        assert await b.wait("ann\x001.1.1.1", 0) == 0  # another house: not
    finally:
        for close in (close_here, close_there, close_again):
            assert close is not None
            await close()
