"""`auctioneer room [HOST [PORT]]`: the seeds' live room over the TCP socket.

Why line-oriented: the seeds' client read one bid per line from a terminal,
and the room must work as well with standard input as a pipe (scripts, tests).
So the room prints plain lines (the lot, each bid, the countdown calling
"going once, going twice", the hammer) and reads stdin in a thread that
feeds an asyncio queue, which works for terminals, pipes and files alike.

Typed lines: an amount (``125.50``) bids on the current lot; ``auto 200``
sets an auto-bid maximum; ``buy`` buys now; ``help``; ``quit`` (or the end
of input) leaves.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from rich.console import Console

from auctioneer.clients.book import auction_id_of_topic
from auctioneer.clients.cli.parsing import format_countdown
from auctioneer.clients.cli.render import minimum_bid, price_text, seconds_left
from auctioneer.clients.connection import Client
from auctioneer.clients.errors import RequestFailed
from auctioneer.clients.money import AmountError, format_amount, parse_amount
from auctioneer.clients.session import Event

__all__ = ["CALLS", "Room", "read_lines"]

#: Seconds left at which the room calls the lot, as an auctioneer would.
CALLS = {5: "going once", 3: "going twice", 1: "going three times"}

HELP = "Type an amount to bid (e.g. 125.50), `auto MAX`, `buy`, `help`, or `quit` to leave."


def read_lines(
    stream: TextIO, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]
) -> None:
    """Feed `stream`'s lines into `queue` from a daemon thread; None marks the end."""

    def pump() -> None:
        for line in stream:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="room-stdin", daemon=True).start()


class Room:
    """The room's state: which lot is current, and what has been said about it."""

    def __init__(self, client: Client, console: Console, *, auction_id: int | None = None) -> None:
        self.client = client
        self.console = console
        self.fixed = auction_id
        self.current: int | None = None
        self._called: set[int] = set()
        self._announced_end: set[int] = set()
        self._switching = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    def _spawn_switch(self) -> None:
        """Re-pick the lot from an event callback; keep the task and report its failure."""
        task = asyncio.get_running_loop().create_task(self._switch())
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                self.say(f"(could not follow the next lot: {t.exception()})")

        task.add_done_callback(done)

    def say(self, text: str) -> None:
        self.console.print(text, highlight=False, markup=False)

    @property
    def me(self) -> str | None:
        user = self.client.user
        return f"#{user['paddle']}" if user and user.get("paddle") is not None else None

    def _auction(self, aid: int | None = None) -> dict[str, Any] | None:
        aid = self.current if aid is None else aid
        return None if aid is None else self.client.session.book.get(aid)

    def _pick(self) -> int | None:
        """The current lot: the given one, else the open lot that ends first."""
        if self.fixed is not None:
            return self.fixed
        book = self.client.session.book.auctions.values()
        open_lots = [a for a in book if a.get("status") == "open" and not a.get("deleted")]
        if not open_lots:
            return None
        key: Callable[[dict[str, Any]], tuple[Any, ...]] = lambda a: (  # noqa: E731
            a.get("ends_at") is None,
            a.get("ends_at") or "",
            a.get("sale_id") is None,
            a.get("lot") or 0,
            a["id"],
        )
        return int(min(open_lots, key=key)["id"])

    async def _switch(self) -> None:
        async with self._switching:
            await self._switch_now()

    async def _switch_now(self) -> None:
        aid = self._pick()
        if aid == self.current:
            return
        if self.current is not None:
            await self.client.unsubscribe(f"auction:{self.current}")
        self.current = aid
        self._called.clear()
        if aid is None:
            self.say("No lot is open. Waiting for the next one...")
            return
        await self.client.follow(aid)
        self.announce()

    def announce(self) -> None:
        a = self._auction()
        if a is None:
            return
        lot = f"lot {a['lot']} " if a.get("lot") else ""
        left = seconds_left(a, self.client.server_now())
        timing = (
            f"{format_countdown(left)} left"
            if left is not None
            else f"{a.get('countdown_s') or '?'} s countdown after the first bid"
        )
        leader = f", {a['leader']} leads" if a.get("leader") else ""
        self.say(
            f"Now selling {lot}#{a['id']} {a.get('name', '')}: {price_text(a)}{leader}; "
            f"next bid {format_amount(minimum_bid(a))}; {timing}."
        )

    def on_event(self, event: Event) -> None:
        aid = auction_id_of_topic(event.topic)
        if event.name == "auction_summary":
            if self.fixed is None:
                self._spawn_switch()
            return
        if aid is None or aid != self.current:
            if event.topic == "user:me" and event.name in ("outbid", "won", "auto_bid_exhausted"):
                self.say(
                    f"({event.name.replace('_', ' ')}: auction #{event.data.get('auction_id')})"
                )
            return
        data = event.data
        if event.name == "bid_placed":
            self._called.clear()
            who = "you" if data.get("bidder") == self.me else data.get("bidder")
            auto = " (auto)" if data.get("auto") else ""
            a = self._auction() or {}
            left = seconds_left(a, self.client.server_now())
            tail = f"; {format_countdown(left)} left" if left is not None else ""
            self.say(f"{who} bid {format_amount(data.get('amount'))}{auto}{tail}")
        elif event.name == "auction_extended":
            self._called.clear()
        elif event.name in ("unit_sold", "auction_closed"):
            self._hammer(aid, event)

    def _hammer(self, aid: int, event: Event) -> None:
        data = event.data
        if event.name == "auction_closed" and aid in self._announced_end:
            return
        winner, price = data.get("winner"), data.get("price")
        if winner:
            who = "you" if winner == self.me else winner
            self.say(f"SOLD to {who} for {format_amount(price)}!")
        elif event.name == "auction_closed":
            self.say(f"Lot #{aid} closed unsold ({data.get('reason', 'closed')}).")
        if event.name == "auction_closed" or data.get("units_left") == 0:
            self._announced_end.add(aid)
        if event.name == "auction_closed" and self.fixed is None:
            self._spawn_switch()

    def tick(self) -> None:
        """Call the lot at 5, 3 and 1 seconds left."""
        a = self._auction()
        if a is None:
            return
        left = seconds_left(a, self.client.server_now())
        if left is None or left <= 0:
            return
        for mark, words in CALLS.items():
            if mark - 1 < left <= mark and mark not in self._called:
                self._called.add(mark)
                self.say(f"{words}... {format_countdown(left)} left at {price_text(a)}")

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False means leave."""
        text = line.strip()
        if not text:
            return True
        word = text.split()[0].lower()
        if word in ("quit", "exit", "q"):
            return False
        if word in ("help", "?"):
            self.say(HELP)
            return True
        if self.current is None:
            self.say("No lot is open right now.")
            return True
        try:
            if word == "buy":
                reply = await self.client.request("buy_now", auction_id=self.current)
                self.say(f"Bought for {format_amount(reply['auction'].get('price'))}.")
            elif word == "auto":
                amount = parse_amount(text.split(maxsplit=1)[1] if " " in text else "")
                reply = await self.client.request(
                    "start_auto_bid", auction_id=self.current, max_amount=amount
                )
                self._result("Auto-bid set", amount, reply["auction"])
            else:
                amount = parse_amount(text)
                reply = await self.client.request(
                    "place_bid", auction_id=self.current, amount=amount
                )
                self._result("Bid", amount, reply["auction"])
        except AmountError as e:
            self.say(f"Not a bid: {e}. {HELP}")
        except RequestFailed as e:
            self.say(f"Refused: {e}")
        return True

    def _result(self, what: str, amount: int, auction: dict[str, Any]) -> None:
        leader = auction.get("leader")
        standing = "you lead" if leader == self.me else f"{leader} leads at {price_text(auction)}"
        self.say(f"{what} {format_amount(amount)} accepted: {standing}.")

    async def run(self, stdin: TextIO | None = None) -> None:
        """Join, follow the lots, and handle typed lines until `quit` or end of input."""
        client = self.client
        who = f" as {client.user['username']} ({self.me})" if client.user else " (not logged in)"
        self.say(f"Connected to {client.url}{who}. {HELP}")
        client.on_event(self.on_event)
        if self.fixed is None:
            await client.subscribe("auctions")  # before the listing, so no change is missed
        await client.request("get_auctions", status=["open"])
        await self._switch()
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        read_lines(stdin or sys.stdin, asyncio.get_running_loop(), queue)
        while True:
            try:
                line = await asyncio.wait_for(queue.get(), 0.25)
            except TimeoutError:
                self.tick()
                continue
            except asyncio.CancelledError:  # Ctrl-C leaves the room like `quit`
                break
            if line is None or not await self.handle(line):
                break
        for task in list(self._tasks):
            task.cancel()
        self.say("Left the room.")
