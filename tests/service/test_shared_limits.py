"""Bid and login limits shared through Redis, and held in-process while Redis is away.

A Redis of the test's own (tests/helpers/private_services.py), so stopping it
disturbs nobody. Two `BidLimit`s over one Redis stand for two processes.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from auctioneer.gateways.compose import window_factory
from auctioneer.service import shared_limits
from auctioneer.service.shared_limits import BidLimit
from auctioneer.service.throttle import WindowFactory
from tests.helpers.private_services import PrivateRedis

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis: redis-server is not installed"
)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def windows(redis: PrivateRedis) -> AsyncIterator[WindowFactory]:
    factory, close = window_factory(redis.url)
    try:
        yield factory
    finally:
        assert close is not None
        await close()


def test_the_shared_window_stands_for_the_bucket() -> None:
    assert BidLimit.window(20, 40) == (40, 2.0)
    assert BidLimit.window(100, 10) == (10, 1.0)  # whole seconds, at least one


async def test_bids_count_once_over_every_process(windows: WindowFactory) -> None:
    bids, seconds = BidLimit.window(1, 3)
    one = BidLimit(1, 3, windows("bids", bids, seconds))
    two = BidLimit(1, 3, windows("bids", bids, seconds))
    allowed = [await limit.take(7, 0.0) == 0 for limit in (one, two, one, two)]
    assert allowed == [True, True, True, False]
    assert await two.take(8, 0.0) == 0  # per user


async def test_while_redis_is_away_each_process_counts_alone_and_says_so(
    windows: WindowFactory, redis: PrivateRedis, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(shared_limits, "RETRY_S", 0.0)  # try Redis at every call
    bids, seconds = BidLimit.window(1, 2)
    limit = BidLimit(1, 2, windows("bids", bids, seconds))
    login = windows("login", 2, 60)
    redis.stop()
    with caplog.at_level(logging.WARNING, logger="auctioneer.service.shared_limits"):
        assert [await limit.take(7, 100.0) == 0 for _ in range(3)] == [True, True, False]
        assert [await login.take("ann", 100.0) == 0 for _ in range(3)] == [True, True, False]
    assert caplog.text.count("Redis unreachable") == 2  # once per limit, not per call
    redis.start()
    with caplog.at_level(logging.WARNING, logger="auctioneer.service.shared_limits"):
        assert await limit.take(9, 100.0) == 0  # counted in Redis again
    assert "bids limit: Redis answers again" in caplog.text
