"""`auctioneer room [HOST [PORT]]`: the seeds' live room over the TCP socket.

Why line-oriented: the seeds' client read one bid per line from a terminal,
and the room must work as well with standard input as a pipe (scripts, tests).
So the room prints plain lines (the lot, each bid, the countdown calling
"going once, going twice", the hammer) and reads stdin in a thread that
feeds an asyncio queue, which works for terminals, pipes and files alike.

The room follows one sale, as a person in a saleroom does: the live sale that
is running (or the one given with `--sale`, or the sale of the lot given with
`--auction`). It stays on the sale's current lot until that lot ends, then
announces the next lot of the same sale once ("Lot 2 of 5: ..."); it never
jumps to a lot of another sale or to an auction outside it. With no sale at
all it follows the open auction that ends first, until that one ends.

Typed lines: an amount (``125.50``) bids on the lot that was shown when the
line was entered (a bid for a lot that has just ended is refused, never moved
to the next lot); ``auto 200`` sets an auto-bid maximum; ``buy`` buys now;
``help``; ``quit`` (or the end of input) leaves.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TextIO

from rich.console import Console

from auctioneer.clients.book import auction_id_of_topic
from auctioneer.clients.cli.parsing import format_countdown
from auctioneer.clients.cli.render import minimum_bid
from auctioneer.clients.connection import Client
from auctioneer.clients.errors import RequestFailed
from auctioneer.clients.money import AmountError, format_amount, parse_amount
from auctioneer.clients.session import Event, parse_time

__all__ = ["CALLS", "QUIET_CALLS", "Room", "read_lines"]

#: Seconds left at which the room calls a lot that has a bid, as an auctioneer would.
CALLS = {5: "going once", 3: "going twice", 1: "going three times"}
#: Seconds left at which the room warns that a lot with no bid is about to go unsold.
QUIET_CALLS = (10, 5)

HELP = "Type an amount to bid (e.g. 125.50), `auto MAX`, `buy`, `help`, or `quit` to leave."

#: How an unsold close reads (`auction_closed.reason`); a sale was already called SOLD.
UNSOLD = {
    "no_bids": "passed unsold: no bids",
    "reserve_not_met": "not sold: the reserve was not met",
    "cancelled": "was cancelled",
    "admin": "was closed by the auctioneer",
}

#: Seconds between a lot's close and "Waiting for the next lot" (it usually opens at once).
WAIT_NOTE_S = 2.0

Line = tuple[str, int | None]  # a typed line and the lot shown when it was entered


def read_lines(
    stream: TextIO,
    loop: asyncio.AbstractEventLoop,
    queue: asyncio.Queue[Line | None],
    lot_shown: Callable[[], int | None] = lambda: None,
) -> None:
    """Feed `stream`'s lines, each with the lot shown as it was read, into `queue`.

    A daemon thread reads; None marks the end of input. Reading `lot_shown()`
    in the thread, the moment the line arrives, is what ties a typed amount to
    the lot the person saw, even if the room moves on before the loop gets it.
    """

    def pump() -> None:
        for line in stream:
            item = (line, lot_shown())
            loop.call_soon_threadsafe(queue.put_nowait, item)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="room-stdin", daemon=True).start()


def deadline_of(auction: dict[str, Any]) -> tuple[float | None, bool]:
    """When an open lot's round ends, and whether that end passes it unsold.

    Returns:
        (POSIX seconds or None, True when the time is `passes_at`).
    """
    if auction.get("status") != "open":
        return None, False
    end = parse_time(auction.get("ends_at"))
    if end is not None:
        return end, False
    passing = parse_time(auction.get("passes_at")) if auction.get("current_bid") is None else None
    return passing, passing is not None


class Room:
    """The room's state: which sale and lot it follows, and what it has said."""

    def __init__(
        self,
        client: Client,
        console: Console,
        *,
        auction_id: int | None = None,
        sale_id: int | None = None,
    ) -> None:
        self.client = client
        self.console = console
        self.fixed = auction_id
        self.sale_id = sale_id
        self.lots: list[int] = []  # the followed sale's lots, in lot order
        self.current: int | None = None
        self._called: set[int] = set()
        self._announced: set[int] = set()
        self._ended: set[int] = set()
        self._said_waiting: str | None = None
        self._moving = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- output ----------------------------------------------------------------

    def say(self, text: str) -> None:
        self.console.print(text, highlight=False, markup=False)

    @property
    def me(self) -> str | None:
        user = self.client.user
        return f"#{user['paddle']}" if user and user.get("paddle") is not None else None

    def _who(self, paddle: Any) -> str:
        return "you" if paddle is not None and paddle == self.me else str(paddle)

    def _auction(self, aid: int | None = None) -> dict[str, Any] | None:
        aid = self.current if aid is None else aid
        return None if aid is None else self.client.session.book.get(aid)

    def _label(self, a: dict[str, Any]) -> str:
        """``Lot 2 of 5`` inside a followed sale, else ``#12``."""
        if a.get("sale_id") is not None and a.get("lot"):
            total = f" of {len(self.lots)}" if self.lots else ""
            return f"Lot {a['lot']}{total}"
        return f"#{a['id']}"

    def _state_text(self, a: dict[str, Any]) -> str:
        """Price, leader, next bid and timing of an open lot, as one phrase."""
        minimum = minimum_bid(a)
        if a.get("current_bid") is None:
            parts = [f"opening bid {format_amount(minimum or a.get('starting_bid'))}"]
        else:
            leader = self._who(a.get("leader"))
            leads = "you lead" if leader == "you" else f"{leader} leads"
            parts = [f"at {format_amount(a['current_bid'])}, {leads}"]
            parts.append(f"next bid {format_amount(minimum)}")
        end, passing = deadline_of(a)
        left = None if end is None else end - self.client.server_now()
        if left is not None and not passing:
            parts.append(f"{format_countdown(left)} left")
        elif a.get("countdown_s"):
            parts.append(f"the {a['countdown_s']} s countdown starts at the first bid")
        if passing and left is not None:
            parts.append(f"passes unsold in {format_countdown(left)} without a bid")
        return "; ".join(parts)

    def announce(self) -> None:
        """Say what is on sale now (once per lot)."""
        a = self._auction()
        if a is None or a["id"] in self._announced:
            return
        self._announced.add(a["id"])
        name = a.get("name", "")
        if a.get("sale_id") is not None and a.get("lot"):
            self.say(f"{self._label(a)}: #{a['id']} {name}, {self._state_text(a)}.")
        else:
            self.say(f"Now selling #{a['id']} {name}: {self._state_text(a)}.")

    # -- choosing the sale and the lot -------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` from an event callback; keep the task and report its failure."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                self.say(f"(could not follow the next lot: {t.exception()})")

        task.add_done_callback(done)

    def _current_open(self) -> bool:
        a = self._auction()
        return a is not None and a.get("status") == "open" and not a.get("deleted")

    async def _running_sale(self) -> int | None:
        """The live sale: the lowest-numbered sale with an open lot, else one about to start."""
        for status in ("open", "scheduled"):
            result = await self.client.request("get_auctions", status=[status])
            sales = [a["sale_id"] for a in result.get("auctions", []) if a.get("sale_id")]
            if sales:
                return int(min(sales))
        return None

    async def _load_sale(self) -> None:
        assert self.sale_id is not None
        result = await self.client.request("get_auctions", sale_id=self.sale_id)
        lots = sorted(result.get("auctions", []), key=lambda a: (a.get("lot") or 0, a["id"]))
        self.lots = [int(a["id"]) for a in lots]

    async def start(self) -> None:
        """Pick the sale (or lot) to follow and show its current lot."""
        if self.fixed is not None:
            result = await self.client.request("get_auction", auction_id=self.fixed)
            self.sale_id = result.get("auction", {}).get("sale_id")
            if self.sale_id is not None:
                await self._load_sale()
            await self._show(self.fixed)
            return
        if self.sale_id is None:
            self.sale_id = await self._running_sale()
        if self.sale_id is not None:
            await self._load_sale()
            if not self.lots:
                self.say(f"Sale {self.sale_id} has no lot you can see.")
        await self._advance()

    async def _advance(self, *, refresh: bool = False) -> None:
        """Move to the next lot once the current one has ended (never before)."""
        async with self._moving:
            if self._current_open():
                return
            if refresh and self.sale_id is not None:
                await self._load_sale()
            book = self.client.session.book
            if self.sale_id is not None:
                lots = [book.get(aid) or {"id": aid} for aid in self.lots]
                running = [a for a in lots if a.get("status") == "open" and not a.get("deleted")]
                if running:
                    await self._show(int(running[0]["id"]))
                elif any(a.get("status") == "scheduled" for a in lots):
                    # The server opens the next lot the moment one closes: say
                    # we wait only if it has not opened a moment later.
                    self._spawn(self._wait_note("Waiting for the next lot of the sale to open..."))
                elif lots and self.current is not None:
                    self._waiting("That was the last lot of this sale. Thank you!")
                else:
                    self._waiting("This sale has ended.")
                return
            open_lots = [
                a
                for a in book.auctions.values()
                if a.get("status") == "open" and not a.get("deleted")
            ]
            if not open_lots:
                self._waiting("No lot is open. Waiting for the next one...")
                return
            first = min(
                open_lots, key=lambda a: (a.get("ends_at") is None, a.get("ends_at") or "", a["id"])
            )
            await self._show(int(first["id"]))

    async def _wait_note(self, text: str) -> None:
        await asyncio.sleep(WAIT_NOTE_S)
        if not self._current_open():
            self._waiting(text)

    def _waiting(self, text: str) -> None:
        """Say why the room waits, once (not again on every change of another lot)."""
        if self._said_waiting != text:
            self._said_waiting = text
            self.say(text)

    async def _show(self, aid: int) -> None:
        if aid == self.current:
            self.announce()
            return
        if self.current is not None:
            await self.client.unsubscribe(f"auction:{self.current}")
        self.current = aid
        self._called.clear()
        self._said_waiting = None
        await self.client.follow(aid)
        self.announce()

    # -- events ------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if event.name == "auction_summary":
            self._on_summary(event.data)
            return
        aid = auction_id_of_topic(event.topic)
        if aid is None or aid != self.current:
            if event.topic == "user:me" and event.name in ("outbid", "won", "auto_bid_exhausted"):
                self.say(
                    f"({event.name.replace('_', ' ')}: auction #{event.data.get('auction_id')})"
                )
            return
        data = event.data
        if event.name == "bid_placed":
            self._called.clear()
            auto = " (auto)" if data.get("auto") else ""
            a = self._auction() or {}
            end, _ = deadline_of(a)
            tail = f"; {format_countdown(end - self.client.server_now())} left" if end else ""
            who = self._who(data.get("bidder"))
            self.say(f"{who} bid {format_amount(data.get('amount'))}{auto}{tail}")
        elif event.name == "auction_extended":
            self._called.clear()
        elif event.name == "unit_sold":
            self._sold(data)
        elif event.name == "auction_closed":
            self._closed(aid, data)

    def _on_summary(self, a: dict[str, Any]) -> None:
        """Another lot changed: maybe the next lot of our sale opened."""
        if self.fixed is not None and self.sale_id is None:
            return  # a standalone lot given with --auction: stay on it
        if self._current_open():
            return  # never leave a lot that is still selling
        sale = a.get("sale_id")
        if self.sale_id is None and sale is not None and a.get("status") == "open":
            self.sale_id = int(sale)
            self._spawn(self._advance(refresh=True))
        elif self.sale_id is None or sale == self.sale_id:
            self._spawn(self._advance())

    def _sold(self, data: dict[str, Any]) -> None:
        self._called.clear()
        self.say(f"SOLD to {self._who(data.get('winner'))} for {format_amount(data.get('price'))}!")
        left = int(data.get("units_left") or 0)
        if left > 0:
            a = self._auction() or {}
            opening = format_amount(data.get("minimum_bid") or a.get("starting_bid"))
            units = "unit" if left == 1 else "units"
            self.say(
                f"Round {int(data.get('round') or 1) + 1}: the next unit "
                f"({left} {units} left), opening bid {opening}."
            )

    def _closed(self, aid: int, data: dict[str, Any]) -> None:
        if aid in self._ended:
            return
        self._ended.add(aid)
        reason = str(data.get("reason") or "closed")
        a = self._auction(aid) or {"id": aid}
        if not data.get("winner"):
            sold_before = bool(a.get("sales"))
            why = UNSOLD.get(reason, reason.replace("_", " "))
            if sold_before and reason == "no_bids":
                why = "ended: the remaining units pass unsold (no bids)"
            self.say(f"{self._label(a)} ({a.get('name', '#' + str(aid))}) {why}.")
        if self.fixed is None or self.sale_id is not None:
            self._spawn(self._advance(refresh=True))

    def tick(self) -> None:
        """Call a lot with a bid at 5, 3 and 1 seconds left; warn before a lot goes unsold."""
        a = self._auction()
        if a is None:
            return
        end, passing = deadline_of(a)
        if end is None:
            return
        left = end - self.client.server_now()
        if left <= 0:
            return
        if a.get("current_bid") is not None:
            for mark, words in CALLS.items():
                if mark - 1 < left <= mark and mark not in self._called:
                    self._called.add(mark)
                    price = format_amount(a["current_bid"])
                    self.say(f"{words} at {price}... {format_countdown(left)} left")
            return
        for mark in QUIET_CALLS:
            if mark - 1 < left <= mark and mark not in self._called:
                self._called.add(mark)
                verb = "passes" if passing else "ends"
                opening = format_amount(minimum_bid(a) or a.get("starting_bid"))
                self.say(
                    f"No bid yet at {opening}: {self._label(a)} {verb} unsold in "
                    f"{format_countdown(left)}."
                )

    # -- typed lines ---------------------------------------------------------------

    async def handle(self, line: str, lot: int | None = None) -> bool:
        """Act on one typed line for `lot` (the lot shown when it was typed); False: leave."""
        text = line.strip()
        if not text:
            return True
        word = text.split()[0].lower()
        if word in ("quit", "exit", "q"):
            return False
        if word in ("help", "?"):
            self.say(HELP)
            return True
        lot = self.current if lot is None else lot
        if lot is None:
            self.say("No lot is open right now.")
            return True
        a = self._auction(lot) or {"id": lot}
        if a.get("status") in ("closed", "cancelled") or a.get("deleted"):
            self.say(f"Refused: {self._label(a)} has ended; nothing was placed.")
            return True
        try:
            if word == "buy":
                reply = await self.client.request("buy_now", auction_id=lot)
                self.say(f"Bought for {format_amount(reply['auction'].get('price'))}.")
            elif word == "auto":
                amount = parse_amount(text.split(maxsplit=1)[1] if " " in text else "")
                reply = await self.client.request(
                    "start_auto_bid", auction_id=lot, max_amount=amount
                )
                self._result("Auto-bid set", amount, reply["auction"])
            else:
                amount = parse_amount(text)
                reply = await self.client.request("place_bid", auction_id=lot, amount=amount)
                self._result("Bid", amount, reply["auction"])
        except AmountError as e:
            self.say(f"Not a bid: {e}. {HELP}")
        except RequestFailed as e:
            if e.code == "auction_not_open":
                self.say(f"Refused: {self._label(a)} is not open for bids now; nothing was placed.")
            else:
                self.say(f"Refused: {e}")
        return True

    def _result(self, what: str, amount: int, auction: dict[str, Any]) -> None:
        leader = self._who(auction.get("leader"))
        price = format_amount(auction.get("current_bid"))
        standing = "you lead" if leader == "you" else f"{leader} leads at {price}"
        self.say(f"{what} {format_amount(amount)} accepted: {standing}.")

    async def run(self, stdin: TextIO | None = None) -> None:
        """Join, follow the sale's lots, and handle typed lines until `quit` or end of input."""
        client = self.client
        who = f" as {client.user['username']} ({self.me})" if client.user else " (not logged in)"
        self.say(f"Connected to {client.url}{who}. {HELP}")
        client.on_event(self.on_event)
        await client.subscribe("auctions")  # before the listing, so no change is missed
        await client.request("get_auctions", status=["open"])
        await self.start()
        queue: asyncio.Queue[Line | None] = asyncio.Queue()
        read_lines(stdin or sys.stdin, asyncio.get_running_loop(), queue, lambda: self.current)
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), 0.25)
            except TimeoutError:
                self.tick()
                continue
            except asyncio.CancelledError:  # Ctrl-C leaves the room like `quit`
                break
            if item is None or not await self.handle(*item):
                break
        for task in list(self._tasks):
            task.cancel()
        self.say("Left the room.")
