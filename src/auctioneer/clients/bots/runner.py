"""The bots' I/O: accounts, connections, turns, and the tally of what happened.

Why separate from the strategies: a strategy only decides (pure, in
`strategies.py`); the runner registers each bot's own account, keeps its view
of the lots fresh from events, draws the random numbers, sends the actions,
and counts bids sent, accepted, rejected by reason code, and items won. One
asyncio task per bot, all in one process, which also makes the bots a load
generator for the benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from auctioneer.clients.backoff import backoff
from auctioneer.clients.book import auction_id_of_topic
from auctioneer.clients.bots.strategies import (
    STRATEGIES,
    Action,
    BotView,
    LotView,
    PlaceBid,
    StartAutoBid,
    StrategyParams,
    pick_max,
)
from auctioneer.clients.connection import Client
from auctioneer.clients.errors import ClientError, RequestFailed, RequestTimeout
from auctioneer.clients.session import Event, parse_time

__all__ = ["BotConfig", "BotStats", "Tally", "new_tally", "run_bots"]

FINISHED = ("closed", "cancelled")

#: A lot still "open" this long after its end is re-read: its closing event
#: may have been lost with a dropped connection before the resume.
STALE_AFTER_S = 2.0


async def _first(*events: asyncio.Event) -> None:
    """Wait until any of `events` is set."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class _StartLine:
    """Hold every bot until all have registered, so that they bid as a field."""

    def __init__(self, count: int) -> None:
        self._left = count
        self.go = asyncio.Event()
        if count <= 0:
            self.go.set()

    def arrived(self) -> None:
        self._left -= 1
        if self._left <= 0:
            self.go.set()


@dataclass(frozen=True)
class BotConfig:
    """How to run the bots (the `auctioneer bots` options). Amounts in minor units."""

    server: str
    count: int = 5
    probability: float = 0.7
    max_price: tuple[int, int] = (10_000, 50_000)
    think: tuple[float, float] = (0.5, 2.0)
    strategy: str = "random"
    auctions: tuple[int, ...] = ()  # empty: every open lot, including ones opening later
    duration: float | None = None
    seed: int | None = None
    name_prefix: str = "bot"
    snipe_window_s: float = 3.0
    login_concurrency: int = 4  # registrations at once (password hashing is slow on purpose)


@dataclass
class BotStats:
    """One bot's account and record."""

    index: int
    name: str
    paddle: str | None = None
    maxima: dict[int, int] = field(default_factory=dict)
    sent: Counter[int] = field(default_factory=Counter)  # actions sent, per lot
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    won: set[tuple[int, int]] = field(default_factory=set)  # (auction, round)
    error: str | None = None
    connected: bool = False


@dataclass
class Tally:
    """Every bot's record, and the lots as last seen."""

    bots: list[BotStats]
    lots: dict[int, dict[str, Any]] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def sent(self) -> int:
        return sum(sum(b.sent.values()) for b in self.bots)

    @property
    def accepted(self) -> int:
        return sum(b.accepted for b in self.bots)

    @property
    def rejected(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for b in self.bots:
            total.update(b.rejected)
        return total

    @property
    def won(self) -> int:
        return sum(len(b.won) for b in self.bots)

    def bot_by_paddle(self, paddle: str | None) -> BotStats | None:
        return next((b for b in self.bots if paddle and b.paddle == paddle), None)

    def observe(self, auction: dict[str, Any] | None) -> None:
        if auction is None or "id" not in auction:
            return
        held = self.lots.get(int(auction["id"]))
        if held is None or int(auction.get("seq") or 0) >= int(held.get("seq") or 0):
            self.lots[int(auction["id"])] = auction

    def as_dict(self) -> dict[str, Any]:
        elapsed = (self.finished or time.monotonic()) - self.started
        return {
            "elapsed_s": round(elapsed, 3),
            "sent": self.sent,
            "accepted": self.accepted,
            "rejected": dict(self.rejected),
            "won": self.won,
            "bots": [
                {
                    "name": b.name,
                    "paddle": b.paddle,
                    "maxima": b.maxima,
                    "sent": dict(b.sent),
                    "accepted": b.accepted,
                    "rejected": dict(b.rejected),
                    "won": sorted(b.won),
                    "error": b.error,
                }
                for b in self.bots
            ],
            "lots": {
                aid: {k: a.get(k) for k in ("status", "winner", "price", "reason")}
                for aid, a in self.lots.items()
            },
        }


def _outcome(auction: dict[str, Any]) -> dict[str, Any]:
    return {k: auction.get(k) for k in ("status", "winner", "price", "reason")}


class _Bot:
    def __init__(
        self,
        stats: BotStats,
        config: BotConfig,
        rng: random.Random,
        tally: Tally,
        stop: asyncio.Event,
    ) -> None:
        self.stats = stats
        self.config = config
        self.rng = rng
        self.tally = tally
        self.stop = stop
        self.strategy = STRATEGIES[config.strategy]
        self.params = StrategyParams(config.probability, config.snipe_window_s)
        self.targets: set[int] = set(config.auctions)
        self.auto: dict[tuple[int, int], int] = {}
        self._refreshed: dict[int, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.client = Client(
            config.server,
            reconnect=True,
            queue_events=False,
            backoff_delays=lambda: backoff(initial=0.2, maximum=5.0, jitter=0.5, rng=rng),
        )

    async def start(self, gate: asyncio.Semaphore, password: str) -> None:
        async with gate:
            await self.client.connect()
            await self.client.register(self.stats.name, password)
            await self.client.login(self.stats.name, password)
        user = self.client.user or {}
        self.stats.paddle = f"#{user.get('paddle')}"
        self.stats.connected = True
        self.client.on_status(self.on_status)
        self.client.on_event(self.on_event)
        with contextlib.suppress(RequestFailed):  # `won` events, where the server has them
            await self.client.subscribe("user:me")
        if self.config.auctions:
            for aid in self.config.auctions:
                await self._follow(aid)
        else:
            await self.client.subscribe("auctions")  # first, so no change is missed
            listing = await self.client.request("get_auctions", status=["open"])
            for auction in listing["auctions"]:
                await self._follow(int(auction["id"]))

    async def _follow(self, aid: int) -> None:
        self.targets.add(aid)
        await self.client.follow(aid)
        self.tally.observe(self.client.session.book.get(aid))

    def on_status(self, status: str) -> None:
        """Online only while connected: "Online" drops while the server is down."""
        self.stats.connected = status == "connected"

    def on_event(self, event: Event) -> None:
        data = event.data
        if event.name == "auction_summary":
            aid = data.get("id")
            if data.get("status") == "open" and isinstance(aid, int) and aid not in self.targets:
                self.targets.add(aid)
                task = asyncio.get_running_loop().create_task(self._follow(aid))
                self._tasks.add(task)
                task.add_done_callback(self._followed)
            return
        aid = auction_id_of_topic(event.topic) or data.get("auction_id")
        if not isinstance(aid, int):
            return
        auction = self.client.session.book.get(aid) or {}
        self.tally.observe(auction)
        won = event.name == "won" or (
            event.name in ("unit_sold", "auction_closed")
            and data.get("winner") == self.stats.paddle
        )
        if won and (event.name != "auction_closed" or data.get("reason") != "cancelled"):
            self.stats.won.add((aid, int(data.get("round") or auction.get("round") or 1)))

    def _followed(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.stats.rejected["follow_failed"] += 1  # e.g. deleted before we subscribed

    def _view(self, auction: dict[str, Any]) -> BotView:
        aid = int(auction["id"])
        start = int(auction.get("starting_bid") or 1)
        step = int(auction.get("min_increment") or 100)
        if aid not in self.stats.maxima:
            low, high = self.config.max_price
            self.stats.maxima[aid] = pick_max(
                low, high, starting_bid=start, min_increment=step, roll=self.rng.random()
            )
        end = parse_time(auction.get("ends_at"))
        lot = LotView(
            auction_id=aid,
            status=str(auction.get("status")),
            starting_bid=start,
            min_increment=step,
            current_bid=auction.get("current_bid"),
            leader=auction.get("leader"),
            round=int(auction.get("round") or 1),
            seconds_left=None if end is None else end - self.client.server_now(),
            minimum_bid=auction.get("minimum_bid"),
        )
        return BotView(
            lot,
            self.stats.paddle or "",
            self.stats.maxima[aid],
            self.rng.random(),
            self.auto.get((aid, lot.round)),
        )

    async def _act(self, action: Action, round_: int) -> None:
        self.stats.sent[action.auction_id] += 1
        try:
            if isinstance(action, PlaceBid):
                await self.client.request(
                    "place_bid", auction_id=action.auction_id, amount=action.amount
                )
            elif isinstance(action, StartAutoBid):
                await self.client.request(
                    "start_auto_bid", auction_id=action.auction_id, max_amount=action.max_amount
                )
                self.auto[(action.auction_id, round_)] = action.max_amount
            self.stats.accepted += 1
        except RequestFailed as e:
            self.stats.rejected[e.code] += 1
        except RequestTimeout:
            self.stats.rejected["timeout"] += 1
        except ClientError:
            self.stats.rejected["connection"] += 1
        self.tally.observe(self.client.session.book.get(action.auction_id))

    def _all_finished(self) -> bool:
        book = self.client.session.book
        return bool(self.config.auctions) and all(
            (book.get(a) or {}).get("status") in FINISHED for a in self.config.auctions
        )

    async def turns(self) -> None:
        low, high = self.config.think
        while not self.stop.is_set() and not self._all_finished():
            try:
                await asyncio.wait_for(self.stop.wait(), self.rng.uniform(low, high))
                return
            except TimeoutError:
                pass
            order = sorted(self.targets)
            self.rng.shuffle(order)
            for aid in order:
                auction = await self._fresh(aid)
                if not auction or auction.get("status") != "open" or auction.get("deleted"):
                    continue
                view = self._view(auction)
                action = self.strategy(view, self.params)
                if action is not None:
                    await self._act(action, view.lot.round)

    async def _fresh(self, aid: int) -> dict[str, Any] | None:
        """The lot from the book, re-read from the server if it looks stale."""
        auction = self.client.session.book.get(aid)
        end = parse_time((auction or {}).get("ends_at"))
        now = self.client.server_now()
        if (
            auction is not None
            and auction.get("status") == "open"
            and end is not None
            and now - end > STALE_AFTER_S
            and now - self._refreshed.get(aid, 0.0) > STALE_AFTER_S
        ):
            self._refreshed[aid] = now
            with contextlib.suppress(ClientError):
                await self.client.request("get_auction", auction_id=aid)
            auction = self.client.session.book.get(aid)
        return auction

    async def run(self, gate: asyncio.Semaphore, password: str, line: _StartLine) -> None:
        try:
            try:
                await self.start(gate, password)
            finally:
                line.arrived()
            await _first(line.go, self.stop)
            await self.turns()
        except ClientError as e:
            self.stats.error = str(e)
        finally:
            self.stats.connected = False
            for task in list(self._tasks):
                task.cancel()
            await self.client.close()


def new_tally(config: BotConfig) -> Tally:
    """A fresh tally with one record per bot, named uniquely for this run."""
    run_id = secrets.token_hex(3)
    return Tally(
        [BotStats(i, f"{config.name_prefix}-{run_id}-{i:03d}") for i in range(config.count)]
    )


async def run_bots(
    config: BotConfig, *, stop: asyncio.Event | None = None, tally: Tally | None = None
) -> Tally:
    """Run `config.count` bots until their lots are all closed, `duration`, or `stop`.

    Args:
        config: the options.
        stop: set it to stop every bot after its current action.
        tally: where to count (from `new_tally`), to watch it while the bots run.

    Returns:
        The tally; `Tally.lots` holds each lot as last seen.
    """
    master = random.Random(config.seed)
    tally = tally or new_tally(config)
    stop = stop or asyncio.Event()
    gate = asyncio.Semaphore(max(1, config.login_concurrency))
    password = secrets.token_urlsafe(12)
    bots = [_Bot(s, config, random.Random(master.random()), tally, stop) for s in tally.bots]
    line = _StartLine(len(bots))
    tasks = [asyncio.create_task(b.run(gate, password, line)) for b in bots]
    timer = None
    if config.duration is not None:
        timer = asyncio.get_running_loop().call_later(config.duration, stop.set)
    try:
        await asyncio.gather(*tasks)
    finally:
        if timer is not None:
            timer.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tally.finished = time.monotonic()
    return tally
