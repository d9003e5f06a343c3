"""The hash chain in memory: each public event's stored hash, by seq.

A mixin of `MemoryStore`. Nothing in memory predates the chain, so nothing
is ever unchained; tests tamper with `links` directly.
"""

from __future__ import annotations

from typing import Any

from auctioneer.store.base import CommitPlan

__all__ = ["MemoryChain"]


class MemoryChain:
    """The chain methods of MemoryStore."""

    def _check_open(self) -> None:
        raise NotImplementedError  # MemoryStore's

    @property
    def links(self) -> dict[int, dict[int, Any]]:
        """auction id -> seq -> (type, hash) of its public events."""
        links: dict[int, dict[int, Any]] | None = self.__dict__.get("_links")
        if links is None:
            links = self.__dict__["_links"] = {}
        return links

    def _link(self, plan: CommitPlan) -> None:
        mine = self.links.setdefault(plan.auction_id, {})
        for row in plan.events:
            if row.seq is not None:
                mine[row.seq] = (row.type, row.hash)

    async def log_hashes(
        self, auction_id: int, after_seq: int = 0, upto_seq: int | None = None
    ) -> dict[int, bytes | None]:
        self._check_open()
        mine = self.links.get(auction_id, {})
        return {
            seq: h
            for seq, (_, h) in sorted(mine.items())
            if after_seq < seq and (upto_seq is None or seq <= upto_seq)
        }

    async def sealed_hash(self, auction_id: int) -> bytes | None:
        self._check_open()
        for kind, h in self.links.get(auction_id, {}).values():
            if kind == "auction_closed":
                return h  # type: ignore[no-any-return]
        return None

    async def unchained(self) -> list[int]:
        self._check_open()
        return []

    async def chain(self, auction_id: int, hashes: dict[int, bytes]) -> None:
        self._check_open()
        mine = self.links.setdefault(auction_id, {})
        for seq, h in hashes.items():
            mine[seq] = (mine.get(seq, ("", None))[0], h)
