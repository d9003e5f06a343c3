"""One writer per auction: a queue and a worker task that drains it in batches.

Why batches: while one commit is on its way to disk, more commands for the
same auction pile up; the worker then decides them all against the state in
memory and writes them in one commit. Commands for different auctions run in
parallel workers, and the store merges their commits into one transaction
(group commit), so durability does not cost one disk flush per bid.

Decide ahead, release after: a processor may return a `Pending` batch, one
decided and on its way to the store but not yet answered. The worker then
decides the commands that arrive meanwhile on top of it (up to `depth`
batches in flight), and finishes the batches strictly in order, each once its
commit is durable. A batch whose finish says its commit failed hands back
the commands to decide again: the worker takes back every later batch too
(they were decided on a state that was never written), waits until their
commits have failed as well, and puts all those commands back at the front
of the queue, in their order.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from auctioneer.engine.commands import Command
from auctioneer.service.metrics import Metrics

__all__ = ["ActorPool", "Pending", "Work"]

MAX_BATCH = 512
PIPELINE_DEPTH = 2  # batches of one auction decided and on their way to the store at once


@dataclass(eq=False)
class Work:
    """One command waiting for its auction's writer.

    `now` overrides the clock for commands that happen at a known past moment
    (a deadline that passed, the close of the previous lot).
    """

    command: Command
    user_id: int | None = None
    admin: bool = False
    request_id: str | None = None
    now: int | None = None
    result: str = "auction"  # "auction" -> {"auction": ...}; "empty" -> {}
    future: asyncio.Future[bytes] = field(init=False, repr=False)  # made by ActorPool.submit
    queued_at: float = field(default=0.0, init=False, repr=False)  # perf_counter at submit
    attempts: int = field(default=0, init=False, repr=False)  # tries lost to another writer


class Pending(Protocol):
    """A batch decided and on its way to the store, not yet answered."""

    works: list[Work]

    @property
    def settled(self) -> asyncio.Future[Any] | None:
        """Done once its commit is durable or has failed (None: nothing to wait for)."""

    @property
    def rewound(self) -> bool:
        """An earlier batch's commit failed: this one rests on a state never written."""

    async def finish(self) -> list[Work]:
        """Answer and publish it; the commands to decide again if its commit failed."""


# Decides a batch: None once it is answered, or a Pending batch to finish later.
Processor = Callable[[int, list[Work]], Awaitable["Pending | None"]]


def _wake(waker: asyncio.Future[None], _: object = None) -> None:
    if not waker.done():
        waker.set_result(None)


def _fail_all(batch: list[Work], error: BaseException) -> None:
    for work in batch:
        if not work.future.done():
            work.future.set_exception(error)


class ActorPool:
    """Queues per auction; one worker task per auction while it has work."""

    def __init__(
        self, process: Processor, metrics: Metrics | None = None, *, depth: int = PIPELINE_DEPTH
    ) -> None:
        self._process = process
        self._metrics = metrics or Metrics()
        self.depth = max(1, depth)
        self._queues: dict[int, deque[Work]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        # A waiting worker's wake-up: done when work comes for it (or its commit ends).
        self._wakers: dict[int, asyncio.Future[None]] = {}
        self.closed = False
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the pool serves, looked up once: on Python 3.11 every
        `asyncio.get_running_loop()` costs a getpid() system call."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def submit(self, auction_id: int, work: Work) -> asyncio.Future[bytes]:
        """Queue `work`; its future gets the encoded result (or the error)."""
        if self.closed:
            raise RuntimeError("the service is stopping")
        loop = self.loop
        work.future = loop.create_future()
        work.queued_at = time.perf_counter()
        self._queues.setdefault(auction_id, deque()).append(work)
        waker = self._wakers.pop(auction_id, None)
        if waker is not None and not waker.done():
            waker.set_result(None)
        if auction_id not in self._workers:
            task = loop.create_task(self._drain(auction_id))
            self._workers[auction_id] = task
        return work.future

    async def _drain(self, auction_id: int) -> None:
        queue = self._queues[auction_id]
        inflight: deque[Pending] = deque()
        try:
            while queue or inflight:
                # Not on top of batches a failed commit took the ground from:
                # their commands go first when they are decided again.
                if queue and len(inflight) < self.depth and not any(p.rewound for p in inflight):
                    pending = await self._decide(auction_id, queue)
                    if pending is not None:
                        inflight.append(pending)
                    continue
                oldest = inflight[0]
                commit = oldest.settled
                if commit is not None and not commit.done() and len(inflight) < self.depth:
                    # Wait for the commit, or for work to decide ahead meanwhile:
                    # one future that either wakes (no task, no asyncio.wait).
                    waker = self._wakers[auction_id] = self.loop.create_future()
                    wake = partial(_wake, waker)
                    commit.add_done_callback(wake)
                    try:
                        await waker
                    finally:
                        commit.remove_done_callback(wake)
                        self._wakers.pop(auction_id, None)
                    if not commit.done():
                        continue
                inflight.popleft()
                redo = await self._finish(oldest)
                if redo:
                    await self._take_back(redo, inflight, queue)
        finally:
            self._workers.pop(auction_id, None)
            if not queue:
                self._queues.pop(auction_id, None)

    async def _decide(self, auction_id: int, queue: deque[Work]) -> Pending | None:
        batch = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
        started = time.perf_counter()
        metrics = self._metrics
        for work in batch:
            metrics.command_wait.observe(started - work.queued_at)
        metrics.batch_commands.observe(len(batch))
        try:
            pending = await self._process(auction_id, batch)
            if pending is None:
                metrics.batch.observe(time.perf_counter() - started)
            return pending
        except BaseException as e:  # never leave a caller waiting
            _fail_all(batch, e)
            if not isinstance(e, Exception):
                raise
            return None

    async def _finish(self, pending: Pending) -> list[Work]:
        try:
            return await pending.finish()
        except BaseException as e:
            _fail_all(pending.works, e)
            if not isinstance(e, Exception):
                raise
            return []

    async def _take_back(
        self, redo: list[Work], inflight: deque[Pending], queue: deque[Work]
    ) -> None:
        """A commit failed: every later batch rested on it. Finish each (its
        commit fails too, so it hands its commands back), then decide all of
        them again, first and in order."""
        while inflight:
            later = inflight.popleft()
            if later.settled is not None:
                await asyncio.wait({later.settled})
            redo.extend(await self._finish(later))
        queue.extendleft(reversed(redo))

    async def settle(self, which: Callable[[int], bool]) -> None:
        """Wait until no worker of the auctions `which` picks is running."""
        while busy := [task for a, task in self._workers.items() if which(a)]:
            await asyncio.gather(*busy, return_exceptions=True)

    async def drain(self) -> None:
        """Stop taking work and wait until every queued command is written."""
        self.closed = True
        while self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)
