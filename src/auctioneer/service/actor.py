"""One writer per auction: a queue and a worker task that drains it in batches.

Why batches: while one commit is on its way to disk, more commands for the
same auction pile up; the worker then decides them all against the state in
memory and writes them in one commit. Commands for different auctions run in
parallel workers, and the store merges their commits into one transaction
(group commit), so durability does not cost one disk flush per bid.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from auctioneer.engine.commands import Command
from auctioneer.service.metrics import Metrics

__all__ = ["ActorPool", "Work"]

MAX_BATCH = 512


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


Processor = Callable[[int, list[Work]], Awaitable[None]]


class ActorPool:
    """Queues per auction; one worker task per auction while it has work."""

    def __init__(self, process: Processor, metrics: Metrics | None = None) -> None:
        self._process = process
        self._metrics = metrics or Metrics()
        self._queues: dict[int, deque[Work]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
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
        if auction_id not in self._workers:
            task = loop.create_task(self._drain(auction_id))
            self._workers[auction_id] = task
        return work.future

    async def _drain(self, auction_id: int) -> None:
        queue = self._queues[auction_id]
        try:
            while queue:
                batch = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
                started = time.perf_counter()
                metrics = self._metrics
                for work in batch:
                    metrics.command_wait.observe(started - work.queued_at)
                metrics.batch_commands.observe(len(batch))
                try:
                    await self._process(auction_id, batch)
                    metrics.batch.observe(time.perf_counter() - started)
                except BaseException as e:  # never leave a caller waiting
                    for work in batch:
                        if not work.future.done():
                            work.future.set_exception(e)
                    if not isinstance(e, Exception):
                        raise
        finally:
            self._workers.pop(auction_id, None)
            if not queue:
                self._queues.pop(auction_id, None)

    async def drain(self) -> None:
        """Stop taking work and wait until every queued command is written."""
        self.closed = True
        while self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)
