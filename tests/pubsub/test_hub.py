"""The hub: one upstream listen per topic, local fan-out, ordered posts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from auctioneer.pubsub.hub import Hub
from auctioneer.pubsub.memory import MemoryBroker
from auctioneer.service.ports import Frame


class Sink:
    """A subscriber that keeps what it is given."""

    def __init__(self) -> None:
        self.got: list[tuple[str, bytes]] = []

    def deliver(self, topic: str, frame: Frame) -> None:
        self.got.append((topic, frame.data))


class RemoteLikeBroker(MemoryBroker):
    """The memory broker made to behave like a remote one (as the Redis broker does):
    publishes arrive after a hop, listens can be held or fail, calls are counted."""

    delivers_inline = False

    def __init__(self, deliver: Callable[[str, Frame], None]) -> None:
        super().__init__(deliver)
        self.listens: list[str] = []
        self.unlistens: list[str] = []
        self.gate: asyncio.Event | None = None
        self.fail_listen: Exception | None = None
        self.fail_publish: set[bytes] = set()

    async def publish(self, topic: str, frame: Frame) -> None:
        await asyncio.sleep(0)
        if frame.data in self.fail_publish:
            raise ConnectionError("broker went away")
        await super().publish(topic, frame)

    async def listen(self, topic: str) -> None:
        self.listens.append(topic)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_listen is not None:
            raise self.fail_listen

    async def ping(self) -> None:
        return None

    async def unlisten(self, topic: str) -> None:
        self.unlistens.append(topic)


def remote_hub() -> tuple[Hub, RemoteLikeBroker]:
    hub = Hub(RemoteLikeBroker)
    assert isinstance(hub.broker, RemoteLikeBroker)
    return hub, hub.broker


def frame(text: str, seq: int | None = None) -> Frame:
    return Frame(text.encode(), seq)


async def test_a_frame_reaches_every_local_subscriber_of_its_topic() -> None:
    hub = Hub(MemoryBroker)
    a, b, other = Sink(), Sink(), Sink()
    await hub.attach("auction:1", a)
    await hub.attach("auction:1", b)
    await hub.attach("auction:2", other)
    await hub.publish("auction:1", frame("x"))
    assert a.got == b.got == [("auction:1", b"x")]
    assert other.got == []


async def test_the_memory_broker_delivers_posts_at_once() -> None:
    hub = Hub(MemoryBroker)
    sink = Sink()
    await hub.attach("auctions", sink)
    hub.post("auctions", frame("now"))
    assert sink.got == [("auctions", b"now")]


async def test_a_detached_subscriber_gets_nothing_more() -> None:
    hub = Hub(MemoryBroker)
    a, b = Sink(), Sink()
    await hub.attach("t", a)
    await hub.attach("t", b)
    await hub.detach("t", a)
    hub.post("t", frame("after"))
    assert a.got == []
    assert b.got == [("t", b"after")]
    assert hub.subscribers("t") == frozenset({b})


async def test_a_topic_nobody_listens_to_is_dropped() -> None:
    hub = Hub(MemoryBroker)
    hub.post("empty", frame("lost"))
    hub.fan_out("empty", frame("lost"))
    assert hub.subscribers("empty") == frozenset()


async def test_each_topic_is_listened_to_once_however_many_subscribers() -> None:
    hub, broker = remote_hub()
    sinks = [Sink() for _ in range(3)]
    for sink in sinks:
        await hub.attach("auction:1", sink)
    assert broker.listens == ["auction:1"]
    for sink in sinks[:2]:
        await hub.detach("auction:1", sink)
    assert broker.unlistens == []
    await hub.detach("auction:1", sinks[2])
    assert broker.unlistens == ["auction:1"]
    await hub.attach("auction:1", sinks[0])
    assert broker.listens == ["auction:1", "auction:1"]


async def test_detaching_what_was_never_attached_does_nothing() -> None:
    hub, broker = remote_hub()
    await hub.detach("nowhere", Sink())
    sink = Sink()
    await hub.attach("t", sink)
    await hub.detach("t", Sink())  # attached to the topic, but not this one
    assert hub.subscribers("t") == frozenset({sink})
    assert broker.unlistens == []


async def test_a_second_subscriber_goes_live_only_once_the_first_listen_is_done() -> None:
    hub, broker = remote_hub()
    broker.gate = asyncio.Event()
    first = asyncio.create_task(hub.attach("t", Sink()))
    await asyncio.sleep(0)
    second = asyncio.create_task(hub.attach("t", Sink()))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not first.done()
    assert not second.done()
    broker.gate.set()
    await asyncio.gather(first, second)
    assert broker.listens == ["t"]


async def test_a_failed_listen_fails_every_waiting_attach_and_forgets_the_topic() -> None:
    hub, broker = remote_hub()
    broker.gate = asyncio.Event()
    broker.fail_listen = ConnectionError("no broker")
    first = asyncio.create_task(hub.attach("t", Sink()))
    await asyncio.sleep(0)
    second = asyncio.create_task(hub.attach("t", Sink()))
    await asyncio.sleep(0)
    broker.gate.set()
    results = await asyncio.gather(first, second, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert hub.subscribers("t") == frozenset()
    broker.fail_listen = None
    sink = Sink()
    await hub.attach("t", sink)  # tries again
    assert broker.listens == ["t", "t"]
    hub.fan_out("t", frame("ok"))
    assert sink.got == [("t", b"ok")]


async def test_a_cancelled_first_attach_does_not_leave_the_topic_half_live() -> None:
    hub, broker = remote_hub()
    broker.gate = asyncio.Event()
    attach = asyncio.create_task(hub.attach("t", Sink()))
    await asyncio.sleep(0)
    attach.cancel()
    with pytest.raises(asyncio.CancelledError):
        await attach
    assert hub.subscribers("t") == frozenset()
    broker.gate.set()
    await hub.attach("t", Sink())


async def test_posts_to_a_remote_broker_leave_in_the_order_posted() -> None:
    hub, _ = remote_hub()
    sink = Sink()
    await hub.attach("a", sink)
    await hub.attach("b", sink)
    for i in range(50):
        hub.post("a" if i % 2 else "b", frame(str(i)))
    assert sink.got == []  # nothing is delivered inline
    async with asyncio.timeout(5):
        while len(sink.got) < 50:
            await asyncio.sleep(0)
    assert [int(data) for _, data in sink.got] == list(range(50))
    await hub.close()


async def test_a_failed_post_is_logged_reaches_this_process_and_later_posts_still_go(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub, broker = remote_hub()
    broker.fail_publish = {b"bad"}
    sink = Sink()
    await hub.attach("t", sink)
    with caplog.at_level(logging.ERROR, logger="auctioneer.pubsub.hub"):
        for text in ("one", "bad", "two"):
            hub.post("t", frame(text))
        async with asyncio.timeout(5):
            while len(sink.got) < 3:
                await asyncio.sleep(0)
    # The others read it back from the store; this process's subscribers get it at once.
    assert [data for _, data in sink.got] == [b"one", b"bad", b"two"]
    assert "publish to t failed" in caplog.text
    await hub.close()


async def test_a_subscriber_may_detach_while_a_frame_fans_out() -> None:
    hub = Hub(MemoryBroker)
    got: list[str] = []

    class Leaver:
        def deliver(self, topic: str, frame: Frame) -> None:
            got.append("leaver")
            hub._subscribers[topic].discard(self)

    sink = Sink()
    await hub.attach("t", Leaver())
    await hub.attach("t", sink)
    hub.fan_out("t", frame("x"))
    assert got == ["leaver"]
    assert sink.got == [("t", b"x")]
    assert hub.subscribers("t") == frozenset({sink})


async def test_close_stops_the_sender_forgets_subscribers_and_closes_the_broker() -> None:
    hub, broker = remote_hub()
    sink = Sink()
    await hub.attach("t", sink)
    hub.post("t", frame("x"))
    await hub.close()
    assert broker.closed
    assert hub.subscribers("t") == frozenset()
    await hub.publish("t", frame("late"))
    assert sink.got == []


async def test_close_without_posts_closes_the_memory_broker() -> None:
    hub = Hub(MemoryBroker)
    await hub.close()
    assert isinstance(hub.broker, MemoryBroker)
    assert hub.broker.closed


async def test_a_waiting_attach_goes_live_when_the_first_attach_is_cancelled() -> None:
    hub, broker = remote_hub()
    broker.gate = asyncio.Event()
    first = asyncio.create_task(hub.attach("t", Sink()))
    await asyncio.sleep(0)
    waiting_sink = Sink()
    second = asyncio.create_task(hub.attach("t", waiting_sink))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    broker.gate.set()
    await second  # not cancelled itself: it should go live (listening again if need be)
    hub.fan_out("t", frame("x"))
    assert waiting_sink.got == [("t", b"x")]


async def test_detaching_during_the_listen_unlistens_only_after_the_listen_landed() -> None:
    hub, broker = remote_hub()
    broker.gate = asyncio.Event()
    sink = Sink()
    attach = asyncio.create_task(hub.attach("t", sink))
    await asyncio.sleep(0)
    detach = asyncio.create_task(hub.detach("t", sink))
    for _ in range(5):
        await asyncio.sleep(0)
    assert broker.unlistens == []  # the listen is still on its way
    broker.gate.set()
    await asyncio.gather(attach, detach)
    assert broker.unlistens == ["t"]
    assert hub.subscribers("t") == frozenset()


async def test_a_new_subscriber_during_a_pending_unlisten_keeps_the_topic() -> None:
    hub, broker = remote_hub()
    broker.gate = asyncio.Event()
    first, second = Sink(), Sink()
    attach = asyncio.create_task(hub.attach("t", first))
    await asyncio.sleep(0)
    detach = asyncio.create_task(hub.detach("t", first))
    await asyncio.sleep(0)
    again = asyncio.create_task(hub.attach("t", second))
    await asyncio.sleep(0)
    broker.gate.set()
    await asyncio.gather(attach, detach, again)
    assert broker.unlistens == []
    hub.fan_out("t", frame("x"))
    assert second.got == [("t", b"x")]


# -- latest-value subscribers: coalesced per topic ------------------------------------


async def _turns(count: int = 5) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def test_latest_subscribers_get_the_first_frame_at_once_then_the_newest_per_tick() -> None:
    hub = Hub(MemoryBroker, latest_interval_s=0.05)
    full, latest = Sink(), Sink()
    await hub.attach("auction:1", full)
    await hub.attach("auction:1", latest, latest=True)
    hub.fan_out("auction:1", Frame(b"1", seq=1))
    await _turns()
    assert latest.got == [("auction:1", b"1")]  # after a quiet spell: at once
    for seq in range(2, 7):
        hub.fan_out("auction:1", Frame(str(seq).encode(), seq=seq))
    await _turns()
    assert latest.got == [("auction:1", b"1")]  # within the interval: held back
    await asyncio.sleep(0.08)
    assert latest.got == [("auction:1", b"1"), ("auction:1", b"6")]  # then only the newest
    assert [data for _, data in full.got] == [b"1", b"2", b"3", b"4", b"5", b"6"]
    await hub.close()


async def test_a_hiding_frame_reaches_latest_subscribers_at_once() -> None:
    hub = Hub(MemoryBroker, latest_interval_s=10.0)
    latest = Sink()
    await hub.attach("auction:1", latest, latest=True)
    hub.fan_out("auction:1", Frame(b"1", seq=1))
    await _turns()
    hub.fan_out("auction:1", Frame(b"2", seq=2))
    hub.fan_out("auction:1", Frame(b"hidden", seq=3, hides=True))
    assert latest.got == [("auction:1", b"1"), ("auction:1", b"hidden")]
    await hub.close()


async def test_detaching_the_last_latest_subscriber_drops_its_pending_frame() -> None:
    hub = Hub(MemoryBroker, latest_interval_s=0.02)
    latest, other = Sink(), Sink()
    await hub.attach("auction:1", latest, latest=True)
    await hub.attach("auction:1", other)
    hub.fan_out("auction:1", Frame(b"1", seq=1))
    await _turns()
    hub.fan_out("auction:1", Frame(b"2", seq=2))
    await hub.detach("auction:1", latest)
    await asyncio.sleep(0.04)
    assert latest.got == [("auction:1", b"1")]
    assert hub.subscribers("auction:1") == frozenset({other})
    await hub.close()


async def test_a_flush_to_many_latest_subscribers_yields_the_loop_between_slices() -> None:
    hub = Hub(MemoryBroker, latest_interval_s=0.01)
    sinks = [Sink() for _ in range(250)]
    for sink in sinks:
        await hub.attach("auction:1", sink, latest=True)
    hub.fan_out("auction:1", Frame(b"1", seq=1))
    await asyncio.sleep(0)  # the flush starts: one slice per turn
    reached = sum(1 for sink in sinks if sink.got)
    assert 0 < reached < len(sinks)
    late = next(sink for sink in sinks if not sink.got)
    await hub.detach("auction:1", late)  # gone before its slice: skipped
    await _turns(10)
    assert late.got == []
    assert all(sink.got == [("auction:1", b"1")] for sink in sinks if sink is not late)
    hub.fan_out("auction:1", Frame(b"2", seq=2))  # within the interval: after it, to all
    await asyncio.sleep(0.05)
    assert all(sink.got[-1] == ("auction:1", b"2") for sink in sinks if sink is not late)
    await hub.close()
