"""The Redis broker: pub/sub between several server processes.

One Redis connection publishes; one pub/sub connection listens to the topics
this process has local subscribers for (the hub asks for each topic once).
`listen()` returns only after Redis confirmed the SUBSCRIBE, so a subscriber
that reads its catch-up from the store afterwards cannot miss an event.
A frame travels as "<seq> <json>" ("- <json>" without a seq; "<seq>h" when it hides) so receivers
need not parse the JSON to de-duplicate.

Redis may go away. The first failed publish or read marks the broker down
and logs it once; a probe pings every `PROBE_S` until Redis answers, then
logs that it is back. Whoever `watch`es hears both (the hub publishes
locally meanwhile), and hears each topic whose listen redis-py restored on
reconnecting (the hub then reads what was missed from the store).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from auctioneer.service.ports import Frame

__all__ = ["RedisBroker", "decode_frame", "encode_frame"]

log = logging.getLogger(__name__)

PROBE_S = 0.5  # how often a down broker is pinged
TIMEOUT_S = 2.0  # connecting, and a ping for /readyz


def encode_frame(frame: Frame) -> bytes:
    head = b"-" if frame.seq is None else str(frame.seq).encode()
    return head + (b"h " if frame.hides else b" ") + frame.data


def decode_frame(payload: bytes) -> Frame:
    head, _, data = payload.partition(b" ")
    hides = head.endswith(b"h")
    head = head.removesuffix(b"h")
    return Frame(data, None if head == b"-" else int(head), hides)


class RedisBroker:
    def __init__(self, url: str, deliver: Callable[[str, Frame], None], prefix: str = "") -> None:
        self._deliver = deliver
        self._prefix = prefix  # channel = prefix + topic: one house's channels
        self._redis: aioredis.Redis = aioredis.from_url(url, socket_connect_timeout=TIMEOUT_S)
        self._pubsub: Any = self._redis.pubsub(ignore_subscribe_messages=False)
        self._pending: dict[str, asyncio.Future[None]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._probe: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.up = True
        self._on_state: Callable[[bool], None] = lambda up: None
        self._on_relisten: Callable[[str], None] = lambda topic: None

    def watch(self, on_state: Callable[[bool], None], on_relisten: Callable[[str], None]) -> None:
        """Be told when Redis goes down or comes back, and of each topic listened to again."""
        self._on_state = on_state
        self._on_relisten = on_relisten

    async def publish(self, topic: str, frame: Frame) -> None:
        try:
            await self._redis.publish(self._prefix + topic, encode_frame(frame))
        except (RedisError, OSError) as e:
            self._failed(e)
            raise

    async def ping(self) -> None:
        await asyncio.wait_for(self._redis.ping(), TIMEOUT_S)

    def _failed(self, error: BaseException) -> None:
        if not self.up:
            return
        self.up = False
        log.warning(
            "redis broker unreachable (%s): publishing to this process only; "
            "subscribers catch up from the store when it is back",
            error,
        )
        self._on_state(False)
        if self._probe is None or self._probe.done():
            self._probe = asyncio.get_running_loop().create_task(self._wait_until_back())

    async def _wait_until_back(self) -> None:
        while True:
            await asyncio.sleep(PROBE_S)
            try:
                await self.ping()
            except (RedisError, OSError, TimeoutError):
                continue
            self.up = True
            log.warning("redis broker is back: publishing through it again")
            self._on_state(True)
            return

    async def listen(self, topic: str) -> None:
        async with self._lock:
            confirmed = asyncio.get_running_loop().create_future()
            self._pending[topic] = confirmed
            await self._pubsub.subscribe(self._prefix + topic)
            if self._reader is None:
                self._reader = asyncio.get_running_loop().create_task(self._read())
        await asyncio.wait_for(confirmed, 10)

    async def unlisten(self, topic: str) -> None:
        async with self._lock:
            await self._pubsub.unsubscribe(self._prefix + topic)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as e:  # redis-py reconnects and listens again
                self._failed(e)
                await asyncio.sleep(PROBE_S)
                continue
            except Exception:
                log.exception("redis pub/sub read failed; retrying")
                await asyncio.sleep(PROBE_S)
                continue
            if message is None:
                continue
            channel = message.get("channel")
            topic = channel.decode() if isinstance(channel, bytes) else str(channel)
            topic = topic.removeprefix(self._prefix)
            kind = message.get("type")
            if kind == "subscribe":
                future = self._pending.pop(topic, None)
                if future is None:
                    self._on_relisten(topic)  # restored after a reconnect
                elif not future.done():
                    future.set_result(None)
            elif kind == "message":
                self._deliver(topic, decode_frame(message["data"]))

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        with contextlib.suppress(Exception):
            await self._redis.aclose()
