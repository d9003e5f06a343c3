"""A remote broker's losses repaired from the store: no gap, no duplicate (pubsub/gaps.py)."""

from __future__ import annotations

import asyncio

from auctioneer.pubsub.hub import Hub
from auctioneer.service.ports import Frame
from tests.pubsub.test_hub import RemoteLikeBroker, Sink, frame


class Log:
    """A topic's frames as the store would give them back."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.reads = 0

    def write(self, seq: int) -> Frame:
        made = frame(f"e{seq}", seq)
        self.frames.append(made)
        return made

    async def seq(self, topic: str) -> int | None:
        return self.frames[-1].seq if self.frames else 0

    async def frames_after(self, topic: str, after_seq: int) -> list[Frame]:
        self.reads += 1
        return [f for f in self.frames if (f.seq or 0) > after_seq]


class Backfill:
    def __init__(self, log: Log) -> None:
        self.log = log

    async def seq(self, topic: str) -> int | None:
        return await self.log.seq(topic)

    async def frames(self, topic: str, after_seq: int) -> list[Frame]:
        return await self.log.frames_after(topic, after_seq)


async def _guarded(log: Log) -> tuple[Hub, RemoteLikeBroker, Sink]:
    hub = Hub(RemoteLikeBroker)
    hub.use_backfill(Backfill(log))
    assert isinstance(hub.broker, RemoteLikeBroker)
    sink = Sink()
    await hub.attach("auction:1", sink)
    return hub, hub.broker, sink


async def _until(sink: Sink, count: int) -> None:
    async with asyncio.timeout(5):
        while len(sink.got) < count:
            await asyncio.sleep(0)


async def test_a_lost_frame_is_read_back_and_a_duplicate_dropped() -> None:
    log = Log()
    log.write(1)  # before the listen: the subscriber's own catch-up covers it
    hub, _, sink = await _guarded(log)
    hub.fan_out("auction:1", log.write(2))
    log.write(3)  # the broker lost this one
    hub.fan_out("auction:1", log.write(4))
    hub.fan_out("auction:1", log.frames[1])  # and repeats an old one
    await _until(sink, 3)
    await asyncio.sleep(0.01)
    assert [data for _, data in sink.got] == [b"e2", b"e3", b"e4"]
    assert log.reads == 1
    await hub.close()


async def test_frames_wait_behind_a_repair_in_order() -> None:
    log = Log()
    hub, _, sink = await _guarded(log)
    log.write(1)
    for seq in (2, 3):
        hub.fan_out("auction:1", log.write(seq))  # 1 lost; 3 arrives during the repair
    await _until(sink, 3)
    assert [data for _, data in sink.got] == [b"e1", b"e2", b"e3"]
    await hub.close()


async def test_while_the_broker_is_down_posts_stay_local_and_its_return_resyncs() -> None:
    log = Log()
    hub, broker, sink = await _guarded(log)
    hub.broker_state(False)  # as the Redis broker reports it
    hub.post("auction:1", log.write(1))
    assert broker.listens == ["auction:1"] and [d for _, d in sink.got] == [b"e1"]
    log.write(2)  # written by another process meanwhile: never heard of here
    hub.broker_state(True)
    await _until(sink, 2)
    assert [data for _, data in sink.got] == [b"e1", b"e2"]
    await hub.close()


async def test_the_in_process_broker_needs_no_guard() -> None:
    from auctioneer.pubsub.memory import MemoryBroker

    hub = Hub(MemoryBroker)
    hub.use_backfill(Backfill(Log()))
    sink = Sink()
    await hub.attach("auction:1", sink)
    hub.post("auction:1", frame("x", 7))  # any seq: one process cannot lose anything
    assert [data for _, data in sink.got] == [b"x"]
    await hub.close()
