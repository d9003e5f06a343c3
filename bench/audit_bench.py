"""`python -m bench.audit_bench [--events N] [--per-auction N] [--db PATH]`: how long
the operator's audit (`auctioneer audit --db`) takes on a database of N events.

Writes the database through the real store the way the write path would
(engine decisions, frames hashed by the service's chain, group-committed
appends: auctions of `--per-auction` events, bids alternating between two
bidders, each auction closed at the end so it has a purchase), then runs the
audit on it in-process and prints the events per second. Kept with `--db`
to time `auctioneer audit --db PATH` by hand as well.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from auctioneer import engine
from auctioneer.engine.commands import AuctionSpec, CloseAuction, CreateAuction, PlaceBid
from auctioneer.gateways.audit import audit_store
from auctioneer.service.auction_view import AuctionView
from auctioneer.service.chain import Head
from auctioneer.service.commits import commit_of, purchases_of
from auctioneer.service.publisher import Publisher
from auctioneer.store.sqlite import SQLiteStore

START_MS = 1_790_000_000_000
BATCH = 20  # auctions per append_all (one commit each)


def _auction(auction_id: int, events_wanted: int) -> object:
    """One auction's whole log as one commit: created, bids, closed."""
    state = engine.new_auction(auction_id)
    spec = AuctionSpec(
        name=f"Lot {auction_id}", starting_bid=100, min_increment=1, duration_s=86_400
    )
    now = START_MS
    events = list(engine.decide(state, CreateAuction(spec=spec), now))
    state = engine.replay(auction_id, events)
    amount = 100
    bidder = 1
    while len(events) < events_wanted - 2:
        now += 10
        made = engine.decide(state, PlaceBid(bidder_id=bidder, paddle=bidder, amount=amount), now)
        for event in made:
            state = engine.evolve(state, event)
        events += made
        amount += 1
        bidder = 3 - bidder
    made = engine.decide(state, CloseAuction(), now + 10)
    events += made
    steps = engine.fold_steps(engine.new_auction(auction_id), events)
    _, heads = Publisher.render(steps, Head())
    final = steps[-1][1]
    hashes = [h.last if e.seq is not None else None for (e, _), h in zip(steps, heads, strict=True)]
    view = AuctionView(final, {}, heads[-1].log_hash)
    return commit_of(
        engine.new_auction(auction_id), view, steps, [], purchases_of(events), hashes=hashes
    )


async def build(path: Path, total: int, per_auction: int) -> int:
    store = SQLiteStore(path)
    await store.open()
    written = 0
    auction_id = 0
    try:
        while written < total:
            commits = []
            for _ in range(BATCH):
                if written >= total:
                    break
                auction_id += 1
                commit = _auction(auction_id, min(per_auction, total - written))
                commits.append(commit)
                written += len(commit.events)  # type: ignore[attr-defined]
            await store.append_all(commits)  # type: ignore[arg-type]
    finally:
        await store.close()
    return written


async def audit(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    cpu = time.process_time()  # every thread of the process: less noisy than the wall clock
    try:
        report = await audit_store(store, progress=True)
    finally:
        await store.close()
    cpu = time.process_time() - cpu
    print(report.summary())
    print(f"CPU {cpu:.1f} s: {cpu / max(report.events, 1) * 1e6:.1f} µs per event")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-auction", type=int, default=1_000)
    parser.add_argument("--db", type=Path, default=None, help="keep the database here")
    args = parser.parse_args()
    folder = None if args.db else tempfile.TemporaryDirectory()
    path = args.db or Path(folder.name) / "audit.db"  # type: ignore[union-attr]
    started = time.perf_counter()
    if not path.exists():
        written = asyncio.run(build(path, args.events, args.per_auction))
        print(f"wrote {written:,} events in {time.perf_counter() - started:.1f} s to {path}")
    asyncio.run(audit(path))
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
