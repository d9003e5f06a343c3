"""Where each auction's hash chain stands, and the chain of logs older than it.

The write path hashes a batch's public events when it renders their frames
(`Publisher.render`), before its commit, so each hash is stored with its log
row; the head after a batch is kept here with the state it belongs to (the
writer may be a batch or two ahead of the durable state). A state whose head
is not kept (after a restart, a rewind, another process's events) has it
read from the log. Events written before the chain existed get their hashes
computed once, on start (`chain_unchained`).
"""

from __future__ import annotations

import logging

from auctioneer import engine
from auctioneer.engine.state import Auction
from auctioneer.service.chain import GENESIS, Head
from auctioneer.service.ports import AuctionLog
from auctioneer.service.publisher import Publisher

__all__ = ["Heads", "chain_unchained", "stored_head"]

log = logging.getLogger(__name__)

KEPT = 4  # heads kept per auction: the durable state's and the batches ahead of it


async def stored_head(store: AuctionLog, state: Auction) -> Head:
    """The chain's head at `state`, read from the log (its seq's hash, and the
    `auction_closed` event's once closed)."""
    if state.seq == 0:
        return Head()
    found = await store.log_hashes(state.id, state.seq - 1, state.seq)
    last = found.get(state.seq) or GENESIS
    sealed = await store.sealed_hash(state.id) if state.close_reason is not None else None
    return Head(last, sealed)


class Heads:
    """The heads of the states the write path holds, by identity of the state."""

    def __init__(self, store: AuctionLog) -> None:
        self._store = store
        self._kept: dict[int, list[tuple[Auction, Head]]] = {}

    def keep(self, state: Auction, head: Head) -> None:
        kept = self._kept.setdefault(state.id, [])
        kept.append((state, head))
        if len(kept) > KEPT:
            del kept[0]

    async def of(self, state: Auction) -> Head:
        """The head at `state`: kept, or read from the log (then kept)."""
        for known, head in reversed(self._kept.get(state.id, ())):
            if known is state:
                return head
        head = await stored_head(self._store, state)
        self.keep(state, head)
        return head


async def chain_unchained(store: AuctionLog) -> int:
    """Compute and store the hashes of every log written before the chain; how many."""
    todo = await store.unchained()
    for auction_id in todo:
        events = await store.load_events(auction_id)
        steps = engine.fold_steps(engine.new_auction(auction_id), events) if events else []
        _, heads = Publisher.render(steps, Head())
        hashes = {
            event.seq: head.last
            for (event, _), head in zip(steps, heads, strict=True)
            if event.seq is not None
        }
        await store.chain(auction_id, hashes)
    if todo:
        log.warning("computed the hash chains of %d auctions written before them", len(todo))
    return len(todo)
