"""Read copies: what a process shows of the auctions it does not own.

The owner's in-memory state is the truth of its auctions; every other
process keeps a copy of each auction its clients look at, rebuilt from the
log and moved on by the log: one indexed read of the events after the
copy's version (`load_events(after_version)`). When to read: the owner posts
"<auction id> <version>" on the VERSIONS topic after every durable batch (a
hint through the broker), the forwarding process learns the version from the
owner's reply, and a copy not checked against the store for `recheck_s` is
checked on its next read (a hint lost while the broker was down costs at
most that long). So a read on any process reflects a reply within a broker
hop; the copy never goes backwards, and never holds what the log does not.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable

from auctioneer import engine
from auctioneer.engine.state import Auction
from auctioneer.service.ports import AuctionLog, Frame

__all__ = ["VERSIONS", "ReadCopies", "version_frame"]

VERSIONS = "~versions"  # internal topic of the owners' hints (never a client's)
MAX_COPIES = 10_000  # least recently read copies beyond this are dropped
RECHECK_S = 1.0


def version_frame(auction_id: int, version: int) -> Frame:
    return Frame(b"%d %d" % (auction_id, version))


class ReadCopies:
    """Copies of other processes' auctions, following the log."""

    def __init__(
        self,
        store: AuctionLog,
        *,
        recheck_s: float = RECHECK_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self.recheck_s = recheck_s
        self._monotonic = monotonic
        self._copies: OrderedDict[int, tuple[Auction, float]] = OrderedDict()
        self._heard: dict[int, int] = {}  # newest version hinted
        self.reads = 0  # store reads made to follow the log (for tests and metrics)
        # One read per auction at a time: a burst of requests waits for the same one.
        self._reading: dict[int, asyncio.Task[Auction | None]] = {}

    def deliver(self, topic: str, frame: Frame) -> None:
        """Hub callback for VERSIONS: "<auction id> <version>"."""
        try:
            auction_id, version = (int(part) for part in frame.data.split())
        except ValueError:
            return
        self.heard(auction_id, version)

    def heard(self, auction_id: int, version: int) -> None:
        """The auction reached `version` (one int per auction of the house)."""
        if version > self._heard.get(auction_id, 0):
            self._heard[auction_id] = version

    def forget(self, which: Callable[[int], bool]) -> None:
        """Drop the copies of the auctions `which` picks (this process owns them now)."""
        for auction_id in [a for a in self._copies if which(a)]:
            del self._copies[auction_id]

    async def get(self, auction_id: int, *, fresh: bool = False) -> Auction | None:
        """The auction as the log has it (within a hint); `fresh`: ask the store now."""
        held = self._copies.get(auction_id)
        now = self._monotonic()
        if held is not None:
            copy, checked = held
            behind = self._heard.get(auction_id, 0) > copy.version
            if not (fresh or behind or now - checked >= self.recheck_s):
                self._copies.move_to_end(auction_id)
                return copy
        if fresh:  # never joins a read that may have started before the caller's question
            return await self._read(auction_id, now)
        reading = self._reading.get(auction_id)
        if reading is None:
            reading = asyncio.get_running_loop().create_task(self._read(auction_id, now))
            self._reading[auction_id] = reading
            reading.add_done_callback(lambda _: self._reading.pop(auction_id, None))
        return await asyncio.shield(reading)

    async def _read(self, auction_id: int, now: float) -> Auction | None:
        """Read what the log has beyond the copy (or the whole log)."""
        held = self._copies.get(auction_id)
        self.reads += 1
        if held is None:
            events = await self._store.load_events(auction_id)
            if not events:
                return None
            state = engine.replay(auction_id, events)
        else:
            state = held[0]
            for event in await self._store.load_events(auction_id, state.version):
                state = engine.evolve(state, event)
        current = self._copies.get(auction_id)
        if current is not None and current[0].version > state.version:
            return current[0]  # a concurrent read got further: never go back
        self._copies[auction_id] = (state, now)
        self._copies.move_to_end(auction_id)
        while len(self._copies) > MAX_COPIES:
            self._copies.popitem(last=False)
        return state
