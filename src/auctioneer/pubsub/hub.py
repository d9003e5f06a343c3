"""Local fan-out: one upstream listen per topic, many local subscribers.

As in channels_redis' pubsub layer, a process listens to each topic once and
copies every message to its local subscribers. Delivery never blocks: each
subscriber decides what to do when it cannot keep up (the gateways drop a
full-feed subscriber whose queue overflows).

Latest-value subscribers (`"mode": "latest"`) are served per topic, not per
event: the newest frame goes to all of them at most once per
`latest_interval_s` (the first after a quiet spell at once), so their cost
follows the interval, not the bid rate. A frame that hides the auction is
never coalesced away: it goes out at once.

With a remote broker and a `Backfill` (`use_backfill`), frames pass a
`SeqGuard` (gaps.py) on their way in: no duplicate, and a gap is filled from
the store. While the broker is down this process's posts go straight to its
own subscribers, and when it is back every topic is read back from the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from auctioneer.pubsub.gaps import Backfill, SeqGuard
from auctioneer.service.ports import Broker, Frame

__all__ = ["Hub", "Subscriber"]

LATEST_SLICE = 100  # latest subscribers pushed to per turn of the event loop

log = logging.getLogger(__name__)


class Subscriber(Protocol):
    def deliver(self, topic: str, frame: Frame) -> None:
        """Take a frame without blocking (queue it, replace it, or give up)."""


class Hub:
    """Topic -> local subscribers, fed by a broker."""

    def __init__(
        self,
        broker_factory: Callable[[Callable[[str, Frame], None]], Broker],
        *,
        latest_interval_s: float = 0.02,
    ) -> None:
        self.latest_interval_s = latest_interval_s
        self._subscribers: dict[str, set[Subscriber]] = {}  # everyone: what keeps a listen
        self._latest: dict[str, set[Subscriber]] = {}  # the latest-value part of them
        self._full: dict[str, set[Subscriber]] = {}  # the rest: every frame at once
        self._pending: dict[str, Frame] = {}  # topic -> newest frame for latest subscribers
        self._timers: dict[str, asyncio.Handle] = {}
        self._running: asyncio.AbstractEventLoop | None = None
        self._next_due: dict[str, float] = {}  # topic -> loop time of its next flush
        self._live: dict[str, asyncio.Task[None]] = {}
        self._outbox: asyncio.Queue[tuple[str, Frame]] | None = None
        self._sender: asyncio.Task[None] | None = None
        self.published = 0  # frames handed to the broker (metrics)
        self.delivered = 0  # frames handed to local subscribers, one per subscriber
        self._guard: SeqGuard | None = None
        self.broker_up = True
        self.broker = broker_factory(self.fan_out)

    def use_backfill(self, backfill: Backfill) -> None:
        """Guard a remote broker's frames against gaps and duplicates (gaps.py)."""
        if getattr(self.broker, "delivers_inline", False) or self._guard is not None:
            return  # one process, in-process delivery: nothing can be lost
        self._guard = SeqGuard(backfill, self._to_subscribers)
        watch = getattr(self.broker, "watch", None)
        if watch is not None:
            watch(self.broker_state, self._guard.resync)

    def broker_state(self, up: bool) -> None:
        """The broker went down (post locally) or came back (read every topic back)."""
        self.broker_up = up
        if up and self._guard is not None:
            for topic in list(self._live):
                self._guard.resync(topic)

    async def _listen(self, topic: str) -> None:
        await self.broker.listen(topic)
        if self._guard is not None:
            await self._guard.start(topic)

    async def attach(self, topic: str, subscriber: Subscriber, *, latest: bool = False) -> None:
        """Start delivering `topic` to `subscriber`; returns once it is live.

        With `latest`, the subscriber gets the topic's newest frame at most
        once per `latest_interval_s` instead of every frame.

        The upstream listen runs in its own task that every attaching caller
        awaits through a shield, so one caller being cancelled cannot fail the
        others or forget the topic.

        Raises:
            Exception: the broker's error if listening failed (nothing attached).
        """
        subs = self._subscribers.setdefault(topic, set())
        subs.add(subscriber)
        part = (self._latest if latest else self._full).setdefault(topic, set())
        part.add(subscriber)
        live = self._live.get(topic)
        if live is None:
            live = self._live[topic] = asyncio.get_running_loop().create_task(self._listen(topic))
            live.add_done_callback(lambda task: self._forget_failed(topic, task))
        try:
            await asyncio.shield(live)
        except BaseException:  # this caller gave up or the listen failed: it is not live
            self._remove(topic, subscriber)
            raise

    def _remove(self, topic: str, subscriber: Subscriber) -> bool:
        """Forget one subscriber; True when the topic has none left."""
        for parts in (self._latest, self._full):
            part = parts.get(topic)
            if part is not None:
                part.discard(subscriber)
                if not part:
                    del parts[topic]
        if topic not in self._latest:
            self._pending.pop(topic, None)
            self._next_due.pop(topic, None)
            timer = self._timers.pop(topic, None)
            if timer is not None:
                timer.cancel()
        subs = self._subscribers.get(topic)
        if subs is None:
            return False
        subs.discard(subscriber)
        if not subs:
            del self._subscribers[topic]
            return True
        return False

    def _forget_failed(self, topic: str, task: asyncio.Task[None]) -> None:
        failed = task.cancelled() or task.exception() is not None
        if failed and self._live.get(topic) is task:
            del self._live[topic]
            for subscriber in list(self._subscribers.get(topic, ())):
                self._remove(topic, subscriber)

    async def detach(self, topic: str, subscriber: Subscriber) -> None:
        if topic not in self._subscribers:
            return
        if self._remove(topic, subscriber):
            live = self._live.pop(topic, None)
            if live is not None and not live.done():
                await asyncio.wait({live})  # unlisten only after the listen landed
            if topic not in self._subscribers:  # nobody attached again meanwhile
                if self._guard is not None:
                    self._guard.forget(topic)
                await self.broker.unlisten(topic)

    def subscriber_count(self) -> int:
        """Subscriptions held now, over every topic."""
        return sum(len(subs) for subs in self._subscribers.values())

    def subscribers(self, topic: str) -> frozenset[Subscriber]:
        return frozenset(self._subscribers.get(topic, ()))

    async def publish(self, topic: str, frame: Frame) -> None:
        self.published += 1
        await self.broker.publish(topic, frame)

    def post(self, topic: str, frame: Frame) -> None:
        """Publish without waiting, keeping the order of posts.

        The in-process broker delivers at once; a remote broker's publishes go
        through one queue and one task, so they leave in the order posted.
        """
        self.published += 1
        if getattr(self.broker, "delivers_inline", False) or not self.broker_up:
            self.fan_out(topic, frame)  # a broker that is down: this process's subscribers
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
            except Exception:  # the store is the truth: the others read it back
                if self.broker_up:  # a broker that did not say it is down
                    log.exception("publish to %s failed", topic)
                self.fan_out(topic, frame)

    def fan_out(self, topic: str, frame: Frame) -> None:
        """Called by the broker for every message on a topic this process listens to."""
        if self._guard is not None:
            self._guard.accept(topic, frame)
        else:
            self._to_subscribers(topic, frame)

    def _to_subscribers(self, topic: str, frame: Frame) -> None:
        full = self._full.get(topic)
        if full:
            self.delivered += len(full)
            for subscriber in tuple(full):
                subscriber.deliver(topic, frame)
        if topic not in self._latest:
            return
        self._pending[topic] = frame
        if frame.hides:
            self._flush_latest(topic)  # never coalesce a hiding frame away
        elif topic not in self._timers:
            self._schedule_latest(topic)

    @property
    def _loop(self) -> asyncio.AbstractEventLoop:
        """Looked up once: on Python 3.11 get_running_loop() is a getpid() call."""
        if self._running is None:
            self._running = asyncio.get_running_loop()
        return self._running

    def _schedule_latest(self, topic: str) -> None:
        loop = self._loop
        due = self._next_due.get(topic, -1.0)
        if due <= loop.time():
            self._timers[topic] = loop.call_soon(self._flush_latest, topic)
        else:
            self._timers[topic] = loop.call_at(due, self._flush_latest, topic)

    def _flush_latest(self, topic: str) -> None:
        timer = self._timers.pop(topic, None)
        if timer is not None:
            timer.cancel()
        frame = self._pending.pop(topic, None)
        subs = self._latest.get(topic)
        if frame is None or not subs:
            return
        self._push_latest(topic, frame, tuple(subs), 0, 0.0)

    def _push_latest(
        self, topic: str, frame: Frame, targets: tuple[Subscriber, ...], start: int, spent: float
    ) -> None:
        """Push `frame` to a slice of `targets`, then yield the loop before the next slice.

        Slices keep a flush to thousands of subscribers from holding up the
        bids (and their replies) for the whole flush.
        """
        self._timers.pop(topic, None)
        loop = self._loop
        began = loop.time()
        current = self._latest.get(topic, ())
        end = start + LATEST_SLICE
        for subscriber in targets[start:end]:
            if subscriber in current:  # not detached since the flush began
                self.delivered += 1
                subscriber.deliver(topic, frame)
        spent += loop.time() - began
        if end < len(targets):
            self._timers[topic] = loop.call_soon(
                self._push_latest, topic, frame, targets, end, spent
            )
            return
        # The next flush waits at least as long as this one took, so pushing to
        # a large audience never takes more than about half of the loop's time.
        interval = self.latest_interval_s
        if interval > 0:
            now = loop.time()
            self._next_due[topic] = max(now - spent + interval, now + spent)
        if topic in self._pending and topic in self._latest:
            self._schedule_latest(topic)

    async def close(self) -> None:
        if self._guard is not None:
            await self._guard.close()
        if self._sender is not None:
            self._sender.cancel()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._subscribers.clear()
        self._latest.clear()
        self._full.clear()
        await self.broker.close()
