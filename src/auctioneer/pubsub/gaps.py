"""No gap, no duplicate per topic, whatever the broker lost: the store fills in.

A remote broker (Redis) is a fast hint, not the truth: a message can be lost
while Redis is down or restarting, and while it is down this process
publishes locally only, so the other processes miss those frames. `SeqGuard`
sits between the broker and the local subscribers of a hub. Per topic it
remembers the last seq it passed on; a frame at or below it is a duplicate
(dropped), a frame past the next one reveals a gap: the missing frames are
read from the store (`Backfill`) and passed on first, in order, while later
frames of that topic wait. When the broker is back the hub asks `resync`
for every topic it listens to, which reads whatever was published meanwhile.

Frames without a seq (the `auctions` summaries) pass straight through.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from auctioneer.service.ports import Frame

__all__ = ["Backfill", "SeqGuard"]

log = logging.getLogger(__name__)


class Backfill(Protocol):
    """Where a topic's frames are read back from (the store, through the service)."""

    async def seq(self, topic: str) -> int | None:
        """The topic's newest seq now; None for a topic without seqs."""

    async def frames(self, topic: str, after_seq: int) -> list[Frame]:
        """Every frame of `topic` with a seq above `after_seq`, in order."""


class SeqGuard:
    """Passes each topic's frames on in seq order, once, filling gaps from the store."""

    def __init__(self, backfill: Backfill, deliver: Callable[[str, Frame], None]) -> None:
        self._backfill = backfill
        self._deliver = deliver
        self._seen: dict[str, int] = {}  # topic -> last seq passed on
        self._held: dict[str, list[Frame]] = {}  # topic under repair -> frames waiting
        self._tasks: set[asyncio.Task[None]] = set()
        self.repairs = 0  # gaps filled from the store (tests, logs)

    async def start(self, topic: str) -> None:
        """Begin tracking `topic` (its listen is live): from the store's seq now."""
        seq = await self._backfill.seq(topic)
        if seq is not None:
            self._seen[topic] = max(seq, self._seen.get(topic, 0))

    def forget(self, topic: str) -> None:
        self._seen.pop(topic, None)

    def accept(self, topic: str, frame: Frame) -> None:
        """A frame from the broker (or published here while it is down)."""
        last = self._seen.get(topic)
        if frame.seq is None or last is None:
            self._deliver(topic, frame)
            return
        held = self._held.get(topic)
        if held is not None:
            held.append(frame)
        elif frame.seq <= last:
            return  # a duplicate: already passed on
        elif frame.seq == last + 1:
            self._seen[topic] = frame.seq
            self._deliver(topic, frame)
        else:
            self._repair(topic, [frame])

    def resync(self, topic: str) -> None:
        """Read what the broker may have lost on `topic` (its listen is live again)."""
        if topic in self._seen and topic not in self._held:
            self._repair(topic, [])

    def _repair(self, topic: str, held: list[Frame]) -> None:
        self._held[topic] = held
        task = asyncio.get_running_loop().create_task(self._fill(topic))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fill(self, topic: str) -> None:
        try:
            missing = await self._backfill.frames(topic, self._seen.get(topic, 0))
        except Exception:  # the store is away too: pass on what we have, gap and all
            log.exception("could not read %s back from the store; a gap remains", topic)
            missing = []
        self.repairs += 1
        held = self._held.pop(topic, [])
        if topic not in self._seen:  # nobody listens any more
            return
        for frame in sorted([*missing, *held], key=lambda f: f.seq or 0):
            last = self._seen[topic]
            if frame.seq is not None and frame.seq > last:
                if frame.seq > last + 1 and frame in held:
                    log.warning("%s: seqs %d..%d are missing", topic, last + 1, frame.seq - 1)
                self._seen[topic] = frame.seq
                self._deliver(topic, frame)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
