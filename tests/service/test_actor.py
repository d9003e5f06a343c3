"""One writer per auction: a queue drained in batches, auctions in parallel."""

from __future__ import annotations

import asyncio

import pytest

from auctioneer.engine.commands import Tick
from auctioneer.service.actor import MAX_BATCH, ActorPool, Work


class Recorder:
    """A processor that records its batches and answers each work with its index."""

    def __init__(self) -> None:
        self.batches: list[tuple[int, int]] = []  # (auction_id, batch size)
        self.gates: dict[int, asyncio.Event] = {}
        self.entered = asyncio.Event()

    async def __call__(self, auction_id: int, batch: list[Work]) -> None:
        self.batches.append((auction_id, len(batch)))
        self.entered.set()
        gate = self.gates.get(auction_id)
        if gate is not None:
            await gate.wait()
        for work in batch:
            work.future.set_result(f"{auction_id}:{work.request_id}".encode())


def work(request_id: str) -> Work:
    return Work(Tick(), request_id=request_id)


async def test_a_submitted_command_gets_its_result() -> None:
    pool = ActorPool(Recorder())
    assert await pool.submit(1, work("a")) == b"1:a"


async def test_commands_that_arrive_during_a_batch_form_the_next_batch() -> None:
    recorder = Recorder()
    recorder.gates[1] = asyncio.Event()
    pool = ActorPool(recorder)
    first = pool.submit(1, work("a"))
    await recorder.entered.wait()
    later = [pool.submit(1, work(f"b{i}")) for i in range(5)]
    recorder.gates[1].set()
    results = await asyncio.gather(first, *later)
    assert results == [b"1:a", *(f"1:b{i}".encode() for i in range(5))]
    assert recorder.batches == [(1, 1), (1, 5)]


async def test_a_batch_holds_at_most_max_batch_commands() -> None:
    recorder = Recorder()
    pool = ActorPool(recorder)
    futures = [pool.submit(1, work(str(i))) for i in range(MAX_BATCH + 10)]
    await asyncio.gather(*futures)
    assert recorder.batches == [(1, MAX_BATCH), (1, 10)]


async def test_auctions_run_in_parallel() -> None:
    recorder = Recorder()
    recorder.gates[1] = asyncio.Event()
    pool = ActorPool(recorder)
    slow = pool.submit(1, work("slow"))
    fast = pool.submit(2, work("fast"))
    assert await fast == b"2:fast"
    assert not slow.done()
    recorder.gates[1].set()
    assert await slow == b"1:slow"


async def test_a_failing_batch_fails_its_waiting_callers_and_the_worker_goes_on() -> None:
    calls = 0

    async def process(auction_id: int, batch: list[Work]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            batch[0].future.set_result(b"done before the failure")
            raise ValueError("disk on fire")
        for w in batch:
            w.future.set_result(b"ok")

    pool = ActorPool(process)
    first, second = pool.submit(1, work("a")), pool.submit(1, work("b"))
    assert await first == b"done before the failure"
    with pytest.raises(ValueError, match="disk on fire"):
        await second
    assert await pool.submit(1, work("c")) == b"ok"


async def test_a_cancelled_worker_does_not_leave_callers_waiting() -> None:
    recorder = Recorder()
    recorder.gates[1] = asyncio.Event()
    pool = ActorPool(recorder)
    future = pool.submit(1, work("a"))
    await recorder.entered.wait()
    pool._workers[1].cancel()
    with pytest.raises(asyncio.CancelledError):
        await future
    await asyncio.sleep(0)
    assert 1 not in pool._workers
    assert 1 not in pool._queues


async def test_drain_waits_for_queued_work_then_refuses_more() -> None:
    recorder = Recorder()
    recorder.gates[1] = asyncio.Event()
    pool = ActorPool(recorder)
    futures = [pool.submit(1, work("a")), pool.submit(2, work("b"))]
    draining = asyncio.create_task(pool.drain())
    await asyncio.sleep(0)
    assert pool.closed
    assert not draining.done()
    recorder.gates[1].set()
    await draining
    assert all(f.done() for f in futures)
    with pytest.raises(RuntimeError, match="stopping"):
        pool.submit(1, work("late"))


async def test_drain_of_an_idle_pool_returns_at_once() -> None:
    pool = ActorPool(Recorder())
    await pool.drain()
    assert pool.closed


async def test_work_defaults_and_its_future_is_made_when_submitted() -> None:
    w = Work(Tick())
    assert (w.user_id, w.admin, w.request_id, w.now) == (None, False, None, None)
    assert w.result == "auction"
    assert not hasattr(w, "future")
    seen: list[list[Work]] = []

    async def process(auction_id: int, batch: list[Work]) -> None:
        seen.append(batch)
        for work in batch:
            work.future.set_result(b"{}")

    pool = ActorPool(process)
    future = pool.submit(1, w)
    assert future is w.future and not future.done()
    assert await future == b"{}"
    assert seen == [[w]]
