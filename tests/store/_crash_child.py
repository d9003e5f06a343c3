"""A child process for the SQLite crash test: bids on many auctions, acks each.

Run as `python _crash_child.py DB AUCTIONS`. It prints `ready` once the
auctions exist, then `ack <auction> <version>` (flushed) after each append
returned, until it is killed.
"""

from __future__ import annotations

import asyncio
import sys

from auctioneer.engine.commands import AuctionSpec
from auctioneer.engine.events import AuctionCreated, BidPlaced
from auctioneer.service.ports import Commit
from auctioneer.store.sqlite import SQLiteStore


def _commit(auction_id: int, version: int, event: AuctionCreated | BidPlaced) -> Commit:
    row = {"id": auction_id, "version": version}
    return Commit(
        auction_id=auction_id,
        expected_version=version - 1,
        events=[event],
        row=row,
        status="open",
        public=True,
        deleted=False,
        sale_id=None,
    )


async def bidder(store: SQLiteStore, auction_id: int) -> None:
    version = 1
    while True:
        version += 1
        event = BidPlaced(
            auction_id=auction_id,
            version=version,
            seq=version,
            at=version,
            bidder_id=1,
            paddle=1,
            amount=100 * version,
            auto=False,
            ends_at=None,
            round=1,
        )
        await store.append(_commit(auction_id, version, event))
        sys.stdout.write(f"ack {auction_id} {version}\n")
        sys.stdout.flush()


async def main(path: str, auctions: int) -> None:
    store = SQLiteStore(path)
    await store.open()
    for a in range(1, auctions + 1):
        spec = AuctionSpec(name=f"Lot {a}", starting_bid=100)
        created = AuctionCreated(auction_id=a, version=1, seq=1, at=0, spec=spec)
        await store.append(_commit(a, 1, created))
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    await asyncio.gather(*(bidder(store, a) for a in range(1, auctions + 1)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
