"""The in-process broker: publishing is a direct call into the local hub.

The embedded default. There is one process, so "listening" to a topic costs
nothing and a publish reaches local subscribers synchronously, with no task
hop and no copy.
"""

from __future__ import annotations

from collections.abc import Callable

from auctioneer.service.ports import Frame

__all__ = ["MemoryBroker"]


class MemoryBroker:
    delivers_inline = True  # the hub may fan out without calling publish

    def __init__(self, deliver: Callable[[str, Frame], None]) -> None:
        self._deliver = deliver
        self.closed = False

    async def publish(self, topic: str, frame: Frame) -> None:
        if not self.closed:
            self._deliver(topic, frame)

    async def listen(self, topic: str) -> None:
        return None

    async def unlisten(self, topic: str) -> None:
        return None

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self.closed = True
