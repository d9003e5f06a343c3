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
        self._live: dict[str, asyncio.Task[None]] = {}
        self._outbox: asyncio.Queue[tuple[str, Frame]] | None = None
        self._sender: asyncio.Task[None] | None = None
        self.broker = broker_factory(self.fan_out)

    async def attach(self, topic: str, subscriber: Subscriber) -> None:
        """Start delivering `topic` to `subscriber`; returns once it is live.

        The upstream listen runs in its own task that every attaching caller
        awaits through a shield, so one caller being cancelled cannot fail the
        others or forget the topic.

        Raises:
            Exception: the broker's error if listening failed (nothing attached).
        """
        subs = self._subscribers.setdefault(topic, set())
        subs.add(subscriber)
        live = self._live.get(topic)
        if live is None:
            live = self._live[topic] = asyncio.get_running_loop().create_task(
                self.broker.listen(topic)
            )
            live.add_done_callback(lambda task: self._forget_failed(topic, task))
        try:
            await asyncio.shield(live)
        except BaseException:  # this caller gave up or the listen failed: it is not live
            subs.discard(subscriber)
            if not subs and self._subscribers.get(topic) is subs:
                del self._subscribers[topic]
            raise

    def _forget_failed(self, topic: str, task: asyncio.Task[None]) -> None:
        failed = task.cancelled() or task.exception() is not None
        if failed and self._live.get(topic) is task:
            del self._live[topic]
            self._subscribers.pop(topic, None)

    async def detach(self, topic: str, subscriber: Subscriber) -> None:
        subs = self._subscribers.get(topic)
        if subs is None:
            return
        subs.discard(subscriber)
        if not subs:
            del self._subscribers[topic]
            live = self._live.pop(topic, None)
            if live is not None and not live.done():
                await asyncio.wait({live})  # unlisten only after the listen landed
            if topic not in self._subscribers:  # nobody attached again meanwhile
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
