"""Rate limits: a token bucket for bids, a sliding window for failed logins.

Both are per key (user id, username, address) and take `now` in seconds as an
argument, so tests need no sleeping. A rate of 0 turns a limit off.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["FailureWindow", "TokenBucket"]

_MAX_KEYS = 100_000


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class TokenBucket:
    """`rate` tokens per second, up to `burst`; each `take` costs one token."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._buckets: dict[object, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: object, now: float) -> float:
        """Spend a token; return 0.0 if allowed, else seconds until one is free."""
        if not self.enabled:
            return 0.0
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _MAX_KEYS:
                self._buckets.clear()  # bounded memory under a flood of keys
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate


class FailureWindow:
    """At most `limit` failures per key within `window_s` seconds."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[object, deque[float]] = {}

    def blocked(self, key: object, now: float, *, extra: int = 0) -> float:
        """Seconds until the key may fail again, or 0.0 if it is not blocked.

        `extra` failures are assumed on top of the recorded ones (attempts
        still under way, which may yet fail).
        """
        if self.limit <= 0:
            return 0.0
        stamps = self._failures.get(key)
        if not stamps:
            return 0.0 if extra < self.limit else self.window_s
        while stamps and stamps[0] <= now - self.window_s:
            stamps.popleft()
        over = len(stamps) + extra - self.limit  # how many must leave the window first
        if over < 0:
            return 0.0
        if over >= len(stamps):
            return self.window_s
        return stamps[over] + self.window_s - now

    def record(self, key: object, now: float) -> None:
        if self.limit <= 0:
            return
        if len(self._failures) >= _MAX_KEYS:
            self._failures.clear()
        self._failures.setdefault(key, deque()).append(now)
