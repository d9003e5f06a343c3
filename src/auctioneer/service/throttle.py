"""Moving-window counters for the login and registration limits (issue 20).

One interface, two homes for the counts:
- `LocalWindow`, in this process: the sans-I/O `FailureWindow` (service/ratelimit.py),
  which takes `now` as an argument so tests need no sleeping;
- `SharedWindow`, in Redis through the `limits` library, when the server runs
  with `--broker redis://...`: every server process then counts the same
  failed logins and registrations, so a guesser gains nothing by spreading
  its attempts over the processes behind a load balancer.
A limit of 0 turns a window off (nothing is counted, nothing is refused).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Protocol

from auctioneer.service.ratelimit import FailureWindow

if TYPE_CHECKING:
    from limits.aio.storage import Storage

__all__ = ["LocalWindow", "SharedWindow", "Window", "WindowFactory", "local_windows"]


class Window(Protocol):
    """At most `limit` hits per key within `window_s` seconds."""

    limit: int

    async def wait(self, key: str, now: float, *, pending: int = 0) -> float:
        """Seconds until `key` has room for one more hit beyond `pending`
        ones already under way; 0.0 if it has room now."""

    async def record(self, key: str, now: float) -> None:
        """Count one hit for `key`."""

    async def take(self, key: str, now: float) -> float:
        """Count a hit if there is room (0.0), else the seconds to wait (nothing counted)."""


class WindowFactory(Protocol):
    def __call__(self, name: str, limit: int, window_s: float) -> Window: ...


class LocalWindow:
    """A `Window` in this process's memory."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit = limit
        self._window = FailureWindow(limit, window_s)

    async def wait(self, key: str, now: float, *, pending: int = 0) -> float:
        if self.limit <= 0:
            return 0.0
        if pending >= self.limit:
            return 1.0  # as many under way as the limit allows: wait for them
        return self._window.blocked(key, now, extra=pending)

    async def record(self, key: str, now: float) -> None:
        self._window.record(key, now)

    async def take(self, key: str, now: float) -> float:
        wait = await self.wait(key, now)
        if wait <= 0:
            self._window.record(key, now)
        return wait


def local_windows(name: str, limit: int, window_s: float) -> Window:
    """The default `WindowFactory`: counters in this process."""
    return LocalWindow(limit, window_s)


class SharedWindow:
    """A `Window` in shared storage (Redis) via `limits`' moving-window strategy.

    `now` is ignored: the storage stamps hits with its own wall clock, which
    every process shares.
    """

    def __init__(self, storage: Storage, name: str, limit: int, window_s: float = 60.0) -> None:
        from limits import RateLimitItemPerSecond
        from limits.aio.strategies import MovingWindowRateLimiter

        self.limit = limit
        self._item = RateLimitItemPerSecond(
            max(limit, 1), max(1, round(window_s)), namespace=f"auctioneer-{name}"
        )
        self._limiter = MovingWindowRateLimiter(storage)

    async def wait(self, key: str, now: float, *, pending: int = 0) -> float:
        if self.limit <= 0:
            return 0.0
        if pending >= self.limit:
            return 1.0
        if await self._limiter.test(self._item, key, cost=pending + 1):
            return 0.0
        return await self._retry_after(key)

    async def record(self, key: str, now: float) -> None:
        if self.limit > 0:
            await self._limiter.hit(self._item, key)

    async def take(self, key: str, now: float) -> float:
        if self.limit <= 0 or await self._limiter.hit(self._item, key):
            return 0.0
        return await self._retry_after(key)

    async def _retry_after(self, key: str) -> float:
        stats: Any = await self._limiter.get_window_stats(self._item, key)
        return max(1.0, float(stats.reset_time) - time.time())
