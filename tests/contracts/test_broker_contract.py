"""The broker contract, run against every backend.

Memory always runs; Redis runs when AUCTIONEER_TEST_REDIS_URL is set and skips
visibly otherwise (.ci/run sets it and fails on a skip).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from auctioneer.pubsub.hub import Hub
from auctioneer.pubsub.memory import MemoryBroker
from auctioneer.service.ports import Frame

REDIS_URL = os.environ.get("AUCTIONEER_TEST_REDIS_URL")
TIMEOUT = 5.0


class Recorder:
    def __init__(self) -> None:
        self.frames: list[tuple[str, Frame]] = []
        self.arrived = asyncio.Event()

    def deliver(self, topic: str, frame: Frame) -> None:
        self.frames.append((topic, frame))
        self.arrived.set()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(TIMEOUT):
            while len(self.frames) < count:
                self.arrived.clear()
                await self.arrived.wait()


@pytest.fixture(params=["memory", "redis"])
async def hubs(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Hub, Hub]]:
    """Two hubs on one broker backend: two server processes, as it were."""
    if request.param == "memory":
        hub = Hub(MemoryBroker)
        yield hub, hub
        await hub.close()
        return
    if not REDIS_URL:
        pytest.skip("redis: AUCTIONEER_TEST_REDIS_URL is not set")
    from auctioneer.pubsub.redis import RedisBroker

    first = Hub(lambda deliver: RedisBroker(REDIS_URL, deliver))
    second = Hub(lambda deliver: RedisBroker(REDIS_URL, deliver))
    yield first, second
    await first.close()
    await second.close()


def topic() -> str:
    return f"auction:test-{uuid.uuid4().hex}"


async def test_a_frame_published_after_attach_reaches_every_subscriber_in_order(
    hubs: tuple[Hub, Hub],
) -> None:
    publisher, receiver = hubs
    name, first, second = topic(), Recorder(), Recorder()
    await receiver.attach(name, first)
    await receiver.attach(name, second)
    for seq in range(1, 51):
        await publisher.publish(name, Frame(b'{"n":%d}' % seq, seq))
    await first.wait_for(50)
    await second.wait_for(50)
    assert [f.seq for _, f in first.frames] == list(range(1, 51))
    assert [f.data for _, f in second.frames] == [b'{"n":%d}' % n for n in range(1, 51)]


async def test_a_frame_without_seq_keeps_none(hubs: tuple[Hub, Hub]) -> None:
    publisher, receiver = hubs
    name, recorder = topic(), Recorder()
    await receiver.attach(name, recorder)
    await publisher.publish(name, Frame(b'{"latest":true}'))
    await recorder.wait_for(1)
    assert recorder.frames == [(name, Frame(b'{"latest":true}', None))]


async def test_detached_subscribers_receive_nothing_more(hubs: tuple[Hub, Hub]) -> None:
    publisher, receiver = hubs
    name, gone, staying = topic(), Recorder(), Recorder()
    await receiver.attach(name, gone)
    await receiver.attach(name, staying)
    await receiver.detach(name, gone)
    await publisher.publish(name, Frame(b"{}", 1))
    await staying.wait_for(1)
    assert gone.frames == []


async def test_topics_do_not_leak_into_each_other(hubs: tuple[Hub, Hub]) -> None:
    publisher, receiver = hubs
    one, other, recorder = topic(), topic(), Recorder()
    await receiver.attach(one, recorder)
    await publisher.publish(other, Frame(b'{"wrong":1}', 1))
    await publisher.publish(one, Frame(b'{"right":1}', 1))
    await recorder.wait_for(1)
    assert recorder.frames == [(one, Frame(b'{"right":1}', 1))]


async def test_post_keeps_the_order_of_posts(hubs: tuple[Hub, Hub]) -> None:
    publisher, receiver = hubs
    name, recorder = topic(), Recorder()
    await receiver.attach(name, recorder)
    for seq in range(1, 101):
        publisher.post(name, Frame(b"{}", seq))
    await recorder.wait_for(100)
    assert [f.seq for _, f in recorder.frames] == list(range(1, 101))
