"""`WatchRecords` in memory: the watchlist.

A mixin of `MemoryStore`, its state made on first use (as `house_memory.py`).
Each method runs without awaiting, so it is atomic on one event loop.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MemoryWatchRecords"]


class MemoryWatchRecords:
    """The WatchRecords methods of MemoryStore."""

    def _check_open(self) -> None:
        raise NotImplementedError  # MemoryStore's

    def _committed(self) -> None:
        raise NotImplementedError  # MemoryStore's

    @property
    def _watchlist(self) -> dict[tuple[int, int], int]:
        """(user_id, auction_id) -> since."""
        pairs: dict[tuple[int, int], int] | None = self.__dict__.get("_watch_pairs")
        if pairs is None:
            pairs = self.__dict__["_watch_pairs"] = {}
        return pairs

    async def watch(self, user_id: int, auction_id: int, at: int) -> bool:
        self._check_open()
        new = (user_id, auction_id) not in self._watchlist
        self._watchlist.setdefault((user_id, auction_id), at)
        self._committed()
        return new

    async def unwatch(self, user_id: int, auction_id: int) -> bool:
        self._check_open()
        was = self._watchlist.pop((user_id, auction_id), None) is not None
        self._committed()
        return was

    async def watched(self, user_id: int) -> list[tuple[int, int]]:
        self._check_open()
        found = [(a, since) for (u, a), since in self._watchlist.items() if u == user_id]
        return sorted(found, key=lambda pair: (pair[1], pair[0]))

    async def watchers_of(self, auction_id: int) -> list[int]:
        self._check_open()
        return sorted(u for (u, a) in self._watchlist if a == auction_id)

    async def watcher_counts(self, auction_ids: Sequence[int]) -> dict[int, int]:
        self._check_open()
        wanted = set(auction_ids)
        counts: dict[int, int] = {}
        for _, auction_id in self._watchlist:
            if auction_id in wanted:
                counts[auction_id] = counts.get(auction_id, 0) + 1
        return counts
