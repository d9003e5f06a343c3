"""One owner per auction: buckets of auctions leased to the running processes.

An auction belongs to bucket `auction_id % BUCKETS`; the process holding a
bucket's lease (store/leases.py: a PostgreSQL advisory lock on its own
session) is the only one that decides the commands of its auctions and runs
their timers. Every `tick_s` each process says it is alive, reads who runs
and who holds what, and aims for its fair share (BUCKETS / processes, rounded
up): it takes free buckets up to its share, and any bucket left free for
ABANDONED_S whatever its share (an owner died: its auctions move within about
a second, before its heartbeat is even old),
and hands back what it holds above its share as far as another process holds
less (after its writers have drained). With one process (memory, SQLite)
the process takes every bucket at start and keeps them: the same code path,
a trivial lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import uuid
from collections.abc import Awaitable, Callable

from auctioneer.service.metrics import Metrics
from auctioneer.service.ports import Leases, Member

__all__ = ["BUCKETS", "Ownership", "SoloLeases", "bucket_of"]

log = logging.getLogger(__name__)

BUCKETS = 64
TICK_S = 0.25
ABANDONED_S = 1.0  # a bucket free this long is taken by anyone, whatever its share

Buckets = Callable[[set[int]], Awaitable[None]]


def bucket_of(auction_id: int) -> int:
    return auction_id % BUCKETS


async def _nothing(buckets: set[int]) -> None:
    return None


class SoloLeases:
    """One process owns every bucket for good (memory and SQLite houses)."""

    solo = True

    async def join(self, member_id: str, address: str) -> str:
        return ""

    async def heartbeat(self) -> None:
        return None

    async def members(self) -> list[Member]:
        return []

    async def owners(self) -> dict[int, str]:
        return {}

    async def try_acquire(self, bucket: int) -> bool:
        return True

    async def release(self, bucket: int) -> None:
        return None

    async def leave(self) -> None:
        return None


class Ownership:
    """Which buckets this process owns, and where every other bucket's owner is.

    `on_gain(buckets)` runs as soon as the buckets count as owned (it holds
    their writers until the new owner knows what it needs: handover.py);
    `on_lose(buckets)` after they stopped counting as owned and before their
    leases are given back (drain their writers).
    """

    def __init__(
        self,
        leases: Leases | None = None,
        metrics: Metrics | None = None,
        *,
        tick_s: float = TICK_S,
    ) -> None:
        self.leases: Leases = leases or SoloLeases()
        self.metrics = metrics or Metrics()
        self.tick_s = tick_s
        self.member_id = uuid.uuid4().hex
        self.address = ""
        self.secret = ""
        self.mine: set[int] = set()
        self.on_gain: Buckets = _nothing
        self.on_lose: Buckets = _nothing
        self._owners: dict[int, str] = {}  # bucket -> member id (as last read)
        self._addresses: dict[str, str] = {}  # member id -> internal address
        self._free_since: dict[int, float] = {}  # bucket -> loop time it was first seen free
        self._joined = False
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self.metrics.owned_buckets = lambda: len(self.mine)

    @property
    def solo(self) -> bool:
        return self.leases.solo

    def owns(self, auction_id: int) -> bool:
        return auction_id % BUCKETS in self.mine

    def owner_address(self, auction_id: int) -> str | None:
        """Where the auction's owner listens, as last read; None while it has none
        (or it is this process, still taking it up or handing it back)."""
        member = self._owners.get(auction_id % BUCKETS)
        if member is None or member == self.member_id:
            return None
        return self._addresses.get(member)

    def forget_owner(self, address: str) -> None:
        """A forward to `address` failed: stop sending there until the next read."""
        gone = {m for m, a in self._addresses.items() if a == address}
        self._owners = {b: m for b, m in self._owners.items() if m not in gone}

    async def changed(self, timeout: float) -> None:
        """Wait until the next read of the owners (at most `timeout`)."""
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    # -- lifecycle ----------------------------------------------------------------
    async def start(self, address: str = "") -> None:
        """Take every bucket (solo), or join the house and take a first share."""
        self.address = address
        if self.solo:
            await self._gain(set(range(BUCKETS)))
            return
        await self._tick()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Hand every bucket back (drained), then leave the house."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task})
        if self.solo:
            return
        held, self.mine = set(self.mine), set()
        if held:
            await self.on_lose(held)
        try:
            await self.leases.leave()
        except Exception:  # leaving anyway: the session ends with the process
            log.warning("could not leave the house cleanly", exc_info=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("ownership tick failed")

    async def _tick(self) -> None:
        try:
            if not self._joined:
                self.secret = await self.leases.join(self.member_id, self.address)
                self._joined = True
            await self.leases.heartbeat()
            members = await self.leases.members()
            owners = await self.leases.owners()
        except Exception as e:
            await self._lost_session(e)
            return
        self._owners = owners
        self._addresses = {m.id: m.address for m in members}
        self._changed.set()
        held = {b for b, m in owners.items() if m == self.member_id}
        if self.mine - held:  # cannot happen while the session lives; be safe
            await self._lose(self.mine - held, release=False)
        live = max(1, len({m.id for m in members} | {self.member_id}))
        share = math.ceil(BUCKETS / live)
        free = [b for b in range(BUCKETS) if b not in owners]
        now = asyncio.get_running_loop().time()
        self._free_since = {b: self._free_since.get(b, now) for b in free}
        gained: set[int] = set()
        for bucket in self._spread(free):
            wanted = len(self.mine) + len(gained) < share
            abandoned = now - self._free_since[bucket] >= ABANDONED_S
            if (wanted or abandoned) and await self.leases.try_acquire(bucket):
                gained.add(bucket)
                del self._free_since[bucket]
        if gained:
            await self._gain(gained)
        # Hand back what is above the share only as far as others lack theirs.
        counts = {m.id: 0 for m in members}
        for member in owners.values():
            counts[member] = counts.get(member, 0) + 1
        floor = BUCKETS // live
        lacking = sum(max(0, floor - c) for m, c in counts.items() if m != self.member_id)
        extra = min(len(self.mine) - share, lacking - len(free))
        if extra > 0:
            await self._lose(set(sorted(self.mine)[-extra:]), release=True)

    def _spread(self, free: list[int]) -> list[int]:
        """Free buckets from a place of this member's own, so that processes
        starting together try different buckets first."""
        if not free:
            return free
        start = int(self.member_id[:8], 16) % len(free)
        return free[start:] + free[:start]

    async def _gain(self, buckets: set[int]) -> None:
        self.mine |= buckets  # owned now; the writers wait until on_gain lets them
        await self.on_gain(buckets)
        self.metrics.ownership_moves += len(buckets)
        if not self.solo:
            log.info("took %d buckets (now %d)", len(buckets), len(self.mine))

    async def _lose(self, buckets: set[int], *, release: bool) -> None:
        self.mine -= buckets
        self.metrics.ownership_moves += len(buckets)
        await self.on_lose(buckets)
        if release:
            for bucket in sorted(buckets):
                await self.leases.release(bucket)
        log.info("handed back %d buckets (now %d)", len(buckets), len(self.mine))

    async def _lost_session(self, error: Exception) -> None:
        """The lease session is gone, and every lease with it: own nothing,
        join again at the next tick."""
        if self._joined:
            log.warning("lost the lease session: %s", error)
        self._joined = False
        self._owners = {}
        if self.mine:
            await self._lose(set(self.mine), release=False)
