"""The scenarios of issue 6, each as data: shape of the load, doors, and its target.

Why data and not code: the same scenario runs against the floor server and the
real one, and the table, the ratios and the target checks are all derived from
these records, so a scenario is defined once. Each pass is bounded in time
(`warmup_s + duration_s` of load, plus a bounded settle), so a whole
`make bench` run takes a few minutes.

The floor server has only a raw TCP door, so its scenarios use TCP for every
client; a real-server scenario names its own doors (`ws` or `tcp`) and the
floor scenario it is compared with (`floor_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SCENARIOS", "Scenario", "Target", "by_name"]

# Bids in flight per auction in the spread scenarios: with 50 auctions that is 4
# per connection on average. Deeper pipelines cost a few `bid_too_low` when two
# connections' bids on one auction cross (shown in the table as rejected/s).
SPREAD_DEPTH = 4
HOT_LATEST_DEPTH = 8


@dataclass(frozen=True)
class Target:
    """One target of the issue, checked against the median figures."""

    label: str
    metric: str  # a key of the loadgen result
    op: str  # ">=", "<=", "<"
    value: float | None = None  # an absolute bound
    floor_factor: float | None = None  # a bound relative to the floor's same metric


@dataclass(frozen=True)
class Scenario:
    """A load shape, run against the floor and/or the real server."""

    name: str
    title: str
    servers: tuple[str, ...]  # "floor", "real"
    bidder_kind: str = "tcp"
    watcher_kind: str = "tcp"
    auctions: int = 50
    bidders: int = 50
    depth: int = 1
    cap: int = 0
    watchers_per_auction: int = 1
    watch_mode: str = "full"
    idle: int = 0
    duration_s: float = 3.0
    fresh_server_per_run: bool = False
    floor_of: str | None = None  # the floor scenario this one is compared with
    targets: tuple[Target, ...] = ()
    headline: str = "bids_per_s"  # the figure shown as a ratio of the floor
    plain: bool = False  # bidders written like the seeds' clients (threads, stdlib json)

    def loadgen_config(
        self,
        server: str,
        *,
        host: str,
        port: int,
        tokens: list[str],
        auctions: list[int],
        server_pid: int,
        duration_s: float | None = None,
    ) -> dict[str, Any]:
        """The JSON config for one `bench.loadgen` pass against `server`."""
        tcp_only = server.startswith("floor")
        return {
            "host": host,
            "port": port,
            "bidder_kind": "tcp" if tcp_only else self.bidder_kind,
            "watcher_kind": "tcp" if tcp_only else self.watcher_kind,
            "tokens": tokens,
            "auctions": auctions,
            "bidders": self.bidders,
            "depth": self.depth,
            "cap": self.cap,
            "watchers_per_auction": self.watchers_per_auction,
            "watch_mode": self.watch_mode,
            "idle": self.idle,
            "duration_s": self.duration_s if duration_s is None else duration_s,
            "server_pid": server_pid,
            "plain": self.plain,
        }


NO_LOSS = Target("no lost/duplicated/reordered event", "seq_errors", "<=", 0)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "spread-ws",
        "spread: 50 WS bidders, 50 auctions, 1 watcher each",
        ("real",),
        bidder_kind="ws",
        watcher_kind="ws",
        depth=SPREAD_DEPTH,
        floor_of="spread",
        targets=(
            Target(">= 15,000 bids/s", "bids_per_s", ">=", 15000),
            Target(">= 0.5 x floor bids/s", "bids_per_s", ">=", floor_factor=0.5),
            NO_LOSS,
        ),
    ),
    Scenario(
        "spread",
        "spread over TCP: 50 bidders, 50 auctions, 1 watcher each",
        ("floor", "real"),
        depth=SPREAD_DEPTH,
        floor_of="spread",
        targets=(
            Target(">= 15,000 bids/s", "bids_per_s", ">=", 15000),
            Target(">= 0.5 x floor bids/s", "bids_per_s", ">=", floor_factor=0.5),
            NO_LOSS,
        ),
    ),
    Scenario(
        "hot-full",
        "hot: 1,000 WS subscribers on 1 auction, 10 bidders, full feed",
        ("floor", "real"),
        bidder_kind="ws",
        watcher_kind="ws",
        auctions=1,
        bidders=10,
        depth=1,
        watchers_per_auction=1000,
        floor_of="hot-full",
        headline="last_p99_ms",
        targets=(
            Target("p99 to last subscriber <= 1.5 x floor", "last_p99_ms", "<=", floor_factor=1.5),
            NO_LOSS,
        ),
    ),
    Scenario(
        "hot-latest",
        'hot, `"mode": "latest"`: 1,000 WS subscribers, 10 bidders',
        ("floor", "real"),
        bidder_kind="ws",
        watcher_kind="ws",
        auctions=1,
        bidders=10,
        depth=HOT_LATEST_DEPTH,
        watchers_per_auction=1000,
        watch_mode="latest",
        floor_of="hot-latest",
        targets=(
            Target(">= 2,000 bids/s", "bids_per_s", ">=", 2000),
            Target("p99 bid-to-subscriber < 50 ms", "deliver_p99_ms", "<", 50),
            NO_LOSS,
        ),
    ),
    Scenario(
        "idle",
        "idle: 10,000 subscribed WS connections",
        ("floor", "real"),
        bidder_kind="ws",
        watcher_kind="ws",
        auctions=50,
        bidders=1,
        depth=1,
        watchers_per_auction=0,
        idle=10_000,
        duration_s=0.0,
        fresh_server_per_run=True,
        floor_of="idle",
        headline="rss_per_conn_kb",
        targets=(Target("10,000 connections < 300 MB RSS", "rss_after_mb", "<", 300), NO_LOSS),
    ),
    Scenario(
        "seeds",
        "the seeds' way: 50 TCP clients, 1 request in flight each (fast client)",
        ("floor", "real"),
        depth=1,
        cap=1,
        floor_of="seeds",
        targets=(NO_LOSS,),
    ),
    Scenario(
        "seeds-plain",
        "the seeds' way with the seeds' kind of client: 50 threads, blocking sockets, json",
        ("floor", "real"),
        plain=True,
        floor_of="seeds-plain",
        targets=(NO_LOSS,),
    ),
)


def by_name(name: str) -> Scenario:
    for s in SCENARIOS:
        if s.name == name:
            return s
    raise KeyError(name)
