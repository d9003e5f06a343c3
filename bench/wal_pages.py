"""Which tables and indexes a transaction writes: WAL pages per transaction, by b-tree.

Why: SQLite writes every page a transaction changes, whole, to the WAL and
flushes it; the bytes written per bid follow the pages a transaction touches,
not the bytes it stores. This drives the `bench.service_bench` shape
in-process (one SQLite store, group commit), keeps the WAL from being reset
meanwhile (a read transaction held open from before the load), then reads the
frame headers the load appended (each names one page; a commit frame ends a
transaction) and names each page's table or index with SQLite's `dbstat`.

    .venv/bin/python -m bench.wal_pages [--auctions 1] [--depth 8] [--bids 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import uvloop

from auctioneer.gateways.compose import build_house
from auctioneer.service.settings import Settings
from bench.service_bench import auction_load, setup

__all__ = ["Frame", "main", "measure", "page_owners", "per_transaction", "wal_frames"]

_WAL_HEADER = 32
_FRAME_HEADER = 24


@dataclass(frozen=True)
class Frame:
    page: int
    commit: bool  # the last frame of a transaction


def wal_frames(wal: Path, start: int = 0) -> list[Frame]:
    """The frames of a WAL file from byte `start` on (0: all of them)."""
    data = wal.read_bytes()
    if len(data) < _WAL_HEADER:
        return []
    page_size = int.from_bytes(data[8:12], "big")
    step = _FRAME_HEADER + page_size
    frames = []
    at = max(start, _WAL_HEADER)
    while at + step <= len(data):
        page = int.from_bytes(data[at : at + 4], "big")
        size_after_commit = int.from_bytes(data[at + 4 : at + 8], "big")
        frames.append(Frame(page, size_after_commit != 0))
        at += step
    return frames


def page_owners(db: Path) -> dict[int, str]:
    """Page number -> the table or index it belongs to, as the database is now."""
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT pageno, name FROM dbstat").fetchall())
    finally:
        conn.close()


def per_transaction(frames: list[Frame], owners: dict[int, str]) -> tuple[int, Counter[str]]:
    """The number of transactions and the pages written for each b-tree."""
    transactions = sum(1 for f in frames if f.commit)
    return transactions, Counter(owners.get(f.page, "(freed since)") for f in frames)


async def measure(auctions: int, depth: int, bids: int) -> tuple[int, int, Counter[str]]:
    with tempfile.TemporaryDirectory(prefix="wal-pages-") as tmp:
        db = Path(tmp) / "bench.db"
        wal = Path(tmp) / "bench.db-wal"
        house = await build_house(Settings(db=f"sqlite:///{db}", bid_rate=1e6, bid_burst=1e6))
        pin = None
        try:
            ids, bidders = await setup(house, auctions)
            await house.store.auction_rows()  # the setup's projections are written first
            pin = sqlite3.connect(db, isolation_level=None)
            pin.execute("BEGIN")
            pin.execute("SELECT count(*) FROM auctions").fetchone()  # the WAL cannot restart now
            start = wal.stat().st_size
            tally = [0, 0]
            await asyncio.gather(
                *(
                    auction_load(house, a, i, bidders, bids // len(ids), tally, depth)
                    for i, a in enumerate(ids)
                )
            )
            await house.store.auction_rows()  # and the load's projections, written behind
            frames = wal_frames(wal, start)
            pin.execute("COMMIT")
            transactions, pages = per_transaction(frames, page_owners(db))
            return tally[0], transactions, pages
        finally:
            if pin is not None:
                pin.close()
            await house.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--auctions", type=int, default=1)
    parser.add_argument("--depth", type=int, default=8, help="bids in flight per auction")
    parser.add_argument("--bids", type=int, default=4000, help="bids in all")
    args = parser.parse_args(argv)
    accepted, transactions, pages = uvloop.run(measure(args.auctions, args.depth, args.bids))
    total = sum(pages.values())
    print(
        f"{accepted} bids accepted in {transactions} transactions"
        f" ({accepted / max(1, transactions):.1f} per transaction):"
        f" {total / max(1, transactions):.1f} WAL pages per transaction"
    )
    for name, count in pages.most_common():
        print(f"  {name:<34} {count / max(1, transactions):6.2f} per transaction")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
