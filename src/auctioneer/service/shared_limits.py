"""Limits shared by every process through Redis, and what holds while Redis is away.

With `--broker redis://...` the login and registration windows and the bid
limit count in Redis (`limits`), so spreading attempts over the processes
behind a load balancer gains nothing. Redis may go away; a limit must not
then turn every login or bid into an error, nor into no limit at all:
`FallbackWindow` counts in this process instead (each process then allows
the limit on its own, at most N times it over N processes), logs that once,
and tries Redis again after `RETRY_S`. When Redis answers again the shared
counts take over (they missed what was counted locally meanwhile).

`BidLimit` is the per-user bid limit: a token bucket of `bid_rate` per second
up to `bid_burst` in one process; shared, a moving window of `bid_burst`
bids per `bid_burst / bid_rate` seconds (whole seconds, at least one), the
same average rate and burst as closely as a window can say it.
"""

from __future__ import annotations

import logging
import time

from auctioneer.service.ratelimit import TokenBucket
from auctioneer.service.throttle import LocalWindow, Window

__all__ = ["BidLimit", "FallbackWindow"]

RETRY_S = 5.0  # after Redis failed, count locally this long before trying it again

log = logging.getLogger(__name__)


class _Outage:
    """When the shared storage last failed; says whether to try it now."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.until = 0.0
        self.down = False

    def usable(self) -> bool:
        return time.monotonic() >= self.until

    def failed(self, error: Exception) -> None:
        self.until = time.monotonic() + RETRY_S
        if not self.down:
            self.down = True
            log.warning("%s: Redis unreachable (%r); counting in this process", self.what, error)

    def answered(self) -> None:
        if self.down:
            self.down = False
            log.warning("%s: Redis answers again; counting there", self.what)


class FallbackWindow:
    """A shared `Window` that counts locally while its storage does not answer."""

    def __init__(self, shared: Window, local: Window, name: str) -> None:
        self.limit = shared.limit
        self._shared = shared
        self._local = local
        self._outage = _Outage(f"{name} limit")

    async def wait(self, key: str, now: float, *, pending: int = 0) -> float:
        if self._outage.usable():
            try:
                wait = await self._shared.wait(key, now, pending=pending)
            except Exception as e:  # the storage's own errors: redis, limits, sockets
                self._outage.failed(e)
            else:
                self._outage.answered()
                return wait
        return await self._local.wait(key, now, pending=pending)

    async def record(self, key: str, now: float) -> None:
        if self._outage.usable():
            try:
                await self._shared.record(key, now)
            except Exception as e:
                self._outage.failed(e)
            else:
                self._outage.answered()
                return
        await self._local.record(key, now)

    async def take(self, key: str, now: float) -> float:
        if self._outage.usable():
            try:
                wait = await self._shared.take(key, now)
            except Exception as e:
                self._outage.failed(e)
            else:
                self._outage.answered()
                return wait
        return await self._local.take(key, now)


def fallback(shared: Window, name: str, limit: int, window_s: float) -> FallbackWindow:
    return FallbackWindow(shared, LocalWindow(limit, window_s), name)


class BidLimit:
    """Bids per user: a bucket in this process, or a shared window (a `FallbackWindow`)."""

    def __init__(self, rate: float, burst: float, shared: Window | None = None) -> None:
        self._bucket = TokenBucket(rate, burst)
        self._shared = shared if rate > 0 else None

    @staticmethod
    def window(rate: float, burst: float) -> tuple[int, float]:
        """The shared window that stands for the bucket: (bids, seconds)."""
        bids = max(1, round(burst))
        return bids, max(1.0, round(bids / rate)) if rate > 0 else 1.0

    async def take(self, user_id: int, now: float) -> float:
        """0.0 if the bid may go, else seconds until one may."""
        if self._shared is not None:
            return await self._shared.take(str(user_id), now)
        return self._bucket.take(user_id, now)
