"""A topic's frames read back from the store, for a hub whose broker lost some.

The hub (pubsub/gaps.py) knows topics and seqs only; this says what a topic's
seq is and which frames come after one: an auction's public events from its
log, a user's notices from their projection. Always the store's truth, never
this process's cache, which another process may have moved past.
"""

from __future__ import annotations

from auctioneer.service.auctions import AuctionService
from auctioneer.service.ports import Frame

__all__ = ["StoreBackfill"]

_NO_END = 2**62


class StoreBackfill:
    """`pubsub.gaps.Backfill` over the service's store."""

    def __init__(self, auctions: AuctionService) -> None:
        self._auctions = auctions

    async def seq(self, topic: str) -> int | None:
        kind, _, number = topic.partition(":")
        if kind == "auction" and number.isdigit():
            state = await self._auctions.state(int(number))
            return state.seq if state is not None else 0
        if kind == "user" and number.isdigit():
            return await self._auctions.store.last_notice_seq(int(number))
        return None

    async def frames(self, topic: str, after_seq: int) -> list[Frame]:
        kind, _, number = topic.partition(":")
        if kind == "auction" and number.isdigit():
            return await self._auctions.frames(int(number), after_seq, _NO_END)
        if kind == "user" and number.isdigit():
            return await self._auctions.notice_frames(int(number), after_seq, _NO_END)
        return []
