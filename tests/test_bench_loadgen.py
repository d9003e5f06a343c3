"""bench/loadgen.py: the generator measures its own loop lag, so a slow client shows."""

from __future__ import annotations

import asyncio
import time

from bench.loadgen import _loop_lags


async def test_the_loop_lag_probe_sees_a_blocked_loop_and_a_free_one() -> None:
    async def block_once() -> None:
        await asyncio.sleep(0.02)
        time.sleep(0.03)  # the loop is held, as by a burst of incoming frames

    blocker = asyncio.create_task(block_once())
    lags = await _loop_lags(0.1, tick_s=0.001)
    await blocker
    assert max(lags) >= 0.025  # the tick that waited out the block
    assert sorted(lags)[len(lags) // 2] < 0.005  # the rest woke about on time
