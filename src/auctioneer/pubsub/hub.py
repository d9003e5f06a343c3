"""Local fan-out: one upstream listen per topic, many local subscribers.

As in channels_redis' pubsub layer, a process listens to each topic once and
copies every message to its local subscribers. Delivery never blocks: each
subscriber decides what to do when it cannot keep up (the gateways drop a
full-feed subscriber whose queue overflows; a latest-value subscriber keeps
only the newest frame).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from auctioneer.service.ports import Broker, Frame

__all__ = ["Hub", "Subscriber"]

log = logging.getLogger(__name__)


class Subscriber(Protocol):
    def deliver(self, topic: str, frame: Frame) -> None:
        """Take a frame without blocking (queue it, replace it, or give up)."""


class Hub:
    """Topic -> local subscribers, fed by a broker."""

    def __init__(self, broker_factory: Callable[[Callable[[str, Frame], None]], Broker]) -> None:
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._live: dict[str, asyncio.Future[None]] = {}
        self._outbox: asyncio.Queue[tuple[str, Frame]] | None = None
        self._sender: asyncio.Task[None] | None = None
        self.broker = broker_factory(self.fan_out)

    async def attach(self, topic: str, subscriber: Subscriber) -> None:
        """Start delivering `topic` to `subscriber`; returns once it is live."""
        subs = self._subscribers.get(topic)
        if subs is None:
            subs = self._subscribers[topic] = set()
            subs.add(subscriber)
            live = self._live[topic] = asyncio.get_running_loop().create_future()
            try:
                await self.broker.listen(topic)
            except BaseException as e:
                live.set_exception(e)
                live.exception()  # retrieved: later waiters re-raise it themselves
                self._subscribers.pop(topic, None)
                self._live.pop(topic, None)
                raise
            live.set_result(None)
        else:
            subs.add(subscriber)
            # A second subscriber must not go live before the first listen is.
            await asyncio.shield(self._live[topic])

    async def detach(self, topic: str, subscriber: Subscriber) -> None:
        subs = self._subscribers.get(topic)
        if subs is None:
            return
        subs.discard(subscriber)
        if not subs:
            del self._subscribers[topic]
            self._live.pop(topic, None)
            await self.broker.unlisten(topic)

    def subscribers(self, topic: str) -> frozenset[Subscriber]:
        return frozenset(self._subscribers.get(topic, ()))

    async def publish(self, topic: str, frame: Frame) -> None:
        await self.broker.publish(topic, frame)

    def post(self, topic: str, frame: Frame) -> None:
        """Publish without waiting, keeping the order of posts.

        The in-process broker delivers at once; a remote broker's publishes go
        through one queue and one task, so they leave in the order posted.
        """
        if getattr(self.broker, "delivers_inline", False):
            self.fan_out(topic, frame)
            return
        if self._outbox is None:
            self._outbox = asyncio.Queue()
            self._sender = asyncio.get_running_loop().create_task(self._send_posts())
        self._outbox.put_nowait((topic, frame))

    async def _send_posts(self) -> None:
        assert self._outbox is not None
        while True:
            topic, frame = await self._outbox.get()
            try:
                await self.broker.publish(topic, frame)
            except Exception:  # the store is the truth: subscribers resume by seq
                log.exception("publish to %s failed", topic)

    def fan_out(self, topic: str, frame: Frame) -> None:
        """Called by the broker for every message on a topic this process listens to."""
        subs = self._subscribers.get(topic)
        if not subs:
            return
        for subscriber in tuple(subs):
            subscriber.deliver(topic, frame)

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
        self._subscribers.clear()
        await self.broker.close()
