"""In-process micro-benchmark of the per-bid path below the gateways.

Why it exists: the `spread` scenario of `bench.run` measures the whole server
over sockets, where the doors' cost and a busy machine blur the share of the
service and the store. This drives the same shape (50 auctions, two
alternating bidders each, 4 bids in flight per auction, one watcher per
auction, SQLite store with group commit) straight through `Api.handle`, the
way `gateways/connection.py` does after reading a frame, and reports accepted
bids per second and process CPU (all threads, so the SQLite writer too) per
accepted bid. No network, no load generator in the process.

    .venv/bin/python -m bench.service_bench [--bids 20000] [--runs 3]
        [--auctions 50] [--depth 4]

`--auctions 1 --depth 8` is the `hot-latest` shape without its subscribers.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvloop

from auctioneer.gateways.compose import House, build_house
from auctioneer.gateways.server import tune_runtime
from auctioneer.service.ports import Frame
from auctioneer.service.settings import Settings
from auctioneer.service.users import Caller
from auctioneer.wire import codec
from auctioneer.wire import messages as m
from auctioneer.wire.topics import auction_topic

AUCTIONS = 50
DEPTH = 4  # bids in flight per auction


class Watcher:
    """A hub subscriber that only counts frames (one per auction topic)."""

    def __init__(self) -> None:
        self.frames = 0

    def deliver(self, topic: str, frame: Frame) -> None:
        self.frames += 1


@dataclass
class Result:
    accepted: int
    rejected: int
    wall_s: float
    cpu_s: float
    frames: int
    disk_bytes: int  # written to disk by the process (WAL frames, checkpoints)
    transactions: int  # the store's append transactions
    writer_cpu_s: float  # the SQLite writer thread alone

    @property
    def disk_kb_per_bid(self) -> float:
        return self.disk_bytes / self.accepted / 1024

    @property
    def bids_per_transaction(self) -> float:
        return self.accepted / max(1, self.transactions)

    @property
    def writer_us_per_bid(self) -> float:
        return self.writer_cpu_s / self.accepted * 1e6

    @property
    def bids_per_s(self) -> float:
        return self.accepted / self.wall_s

    @property
    def cpu_us_per_bid(self) -> float:
        return self.cpu_s / self.accepted * 1e6


def _disk_bytes() -> int:
    """Bytes this process caused to be written to disk so far (/proc/self/io)."""
    with open("/proc/self/io", "rb") as f:
        for line in f:
            if line.startswith(b"write_bytes:"):
                return int(line.split()[1])
    return 0


def _writer_cpu_s() -> float:
    """CPU seconds (user + system) of the SQLite writer thread, found by its name."""
    for thread in threading.enumerate():
        if thread.name == "sqlite-writer" and thread.native_id is not None:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


async def _request(house: House, caller: Caller, raw: bytes) -> bytes:
    rid, action, request = m.parse_request(codec.decode(raw))
    return await house.api.handle(caller, action, request, rid)


async def setup(house: House, auctions: int = AUCTIONS) -> tuple[list[int], list[Caller]]:
    """An admin, `auctions` open auctions and one bidder more than auctions."""
    store = house.store
    admin = Caller(user=await store.create_user("bench-admin", "-", "admin"))
    bidders = [
        Caller(user=await store.create_user(f"bench-{i}", "-", "bidder"))
        for i in range(auctions + 1)
    ]
    ids = []
    for i in range(auctions):
        raw = codec.encode(
            {
                "id": f"c{i}",
                "action": "create_auction",
                "name": f"lot {i}",
                "starting_bid": 100,
                "min_increment": 1,
                "duration_s": 3600,
            }
        )
        ids.append(int(codec.decode(await _request(house, admin, raw))["auction"]["id"]))
    return ids, bidders


async def auction_load(
    house: House,
    auction_id: int,
    index: int,
    bidders: list[Caller],
    bids: int,
    tally: list[int],
    depth: int = DEPTH,
) -> None:
    """`bids` bids on one auction, `depth` in flight, alternating between two bidders."""
    counter = itertools.count()
    prefix = b'{"action":"place_bid","auction_id":%d,' % auction_id

    async def lane() -> None:
        while (k := next(counter)) < bids:
            caller = bidders[index + k % 2]
            raw = prefix + b'"amount":%d,"id":"b%d-%d"}' % (100 + k, auction_id, k)
            try:
                await _request(house, caller, raw)
                tally[0] += 1
            except Exception:
                tally[1] += 1

    await asyncio.gather(*(lane() for _ in range(depth)))


async def one_run(bids: int, auctions: int = AUCTIONS, depth: int = DEPTH) -> Result:
    with tempfile.TemporaryDirectory(prefix="service-bench-") as tmp:
        db = Path(tmp) / "bench.db"
        settings = Settings(db=f"sqlite:///{db}", bid_rate=1e6, bid_burst=1e6)
        house = await build_house(settings)
        try:
            ids, bidders = await setup(house, auctions)
            watchers = [Watcher() for _ in ids]
            for auction_id, watcher in zip(ids, watchers, strict=True):
                await house.hub.attach(auction_topic(auction_id), watcher)
            per_auction = bids // len(ids)
            tally = [0, 0]
            tune_runtime()  # as the server does once it is up: collector, switch interval
            stats = house.store.stats
            tx0, disk0, writer0 = stats.append_transactions, _disk_bytes(), _writer_cpu_s()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.gather(
                *(
                    auction_load(house, auction_id, i, bidders, per_auction, tally, depth)
                    for i, auction_id in enumerate(ids)
                )
            )
            cpu1, wall1 = time.process_time(), time.perf_counter()
            disk = _disk_bytes() - disk0
            writer = _writer_cpu_s() - writer0
            gc.unfreeze()
            frames = sum(w.frames for w in watchers)
            return Result(
                tally[0],
                tally[1],
                wall1 - wall0,
                cpu1 - cpu0,
                frames,
                disk,
                stats.append_transactions - tx0,
                writer,
            )
        finally:
            await house.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bids", type=int, default=20_000, help="bids per run (all auctions)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--auctions", type=int, default=AUCTIONS)
    parser.add_argument("--depth", type=int, default=DEPTH, help="bids in flight per auction")
    args = parser.parse_args(argv)
    results = []
    for run in range(args.runs):
        result = uvloop.run(one_run(args.bids, args.auctions, args.depth))
        results.append(result)
        print(
            f"run {run + 1}: {result.accepted} accepted, {result.rejected} rejected,"
            f" {result.frames} frames watched, {result.bids_per_s:,.0f} bids/s,"
            f" {result.cpu_us_per_bid:.1f} µs CPU per bid"
            f" ({result.writer_us_per_bid:.1f} in the SQLite writer),"
            f" {result.bids_per_transaction:.1f} bids per transaction,"
            f" {result.disk_kb_per_bid:.1f} KB written per bid",
            file=sys.stderr,
        )
    rate = statistics.median(r.bids_per_s for r in results)
    cpu = statistics.median(r.cpu_us_per_bid for r in results)
    writer = statistics.median(r.writer_us_per_bid for r in results)
    disk = statistics.median(r.disk_kb_per_bid for r in results)
    print(
        f"median of {args.runs}: {rate:,.0f} accepted bids/s, {cpu:.1f} µs CPU per accepted bid"
        f" ({writer:.1f} in the SQLite writer), {disk:.1f} KB written per bid"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
