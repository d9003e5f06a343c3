"""Timers and sales: when to send an auction a Tick, and a sale its next lot.

The engine says when an auction's next deadline is (`next_deadline`) and
what happens then (`decide(state, Tick(), deadline)`); this module only
keeps one loop timer per auction for it, and opens a sale's next lot when
the running one closes, at the close time. An auction whose deadline passed
while the server was down is caught up by `due_events`, each deadline
decided at its own time, before the next command is decided.

Ending-soon points (`engine.next_reminder`) get a second timer per auction.
Unlike a deadline, a point is decided at the real time it is handled
(`Remind`, not caught up by `due_events`): after a restart a point that
passed while the round is still open is announced at once, and one whose
round ended meanwhile never is. When it fires, the users to tell are read
from the watchlist (`audience`) and travel in the command; a point with
nobody to tell writes nothing (an auction nobody watches gets no log rows
for its points), and is remembered in memory so the next point is armed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from auctioneer import engine
from auctioneer.engine.commands import OpenLot, Remind, Tick
from auctioneer.engine.errors import AuctionError
from auctioneer.engine.events import AuctionClosed, Event
from auctioneer.engine.state import Auction, Status
from auctioneer.service.actor import ActorPool, Work
from auctioneer.service.errors import Internal
from auctioneer.service.ports import AuctionLog, Clock

__all__ = ["MAX_CATCH_UP_ROUNDS", "Scheduler", "due_events"]

log = logging.getLogger(__name__)

MAX_CATCH_UP_ROUNDS = 100_000

StateOf = Callable[[int], Awaitable[Auction | None]]
Audience = Callable[[Auction], Awaitable[tuple[int, ...]]]
BeforeOpen = Callable[[int, int, int], Awaitable[None]]  # (sale_id, auction_id, at)


def due_events(state: Auction, now: int) -> list[Event]:
    """The events of every deadline that passed by `now`, each decided at its own time."""
    events: list[Event] = []
    for _ in range(MAX_CATCH_UP_ROUNDS):
        deadline = engine.next_deadline(state)
        if deadline is None or deadline > now:
            break
        step = engine.decide(state, Tick(), deadline)
        if not step:
            break
        for event in step:
            state = engine.evolve(state, event)
        events.extend(step)
    return events


class Scheduler:
    """One loop timer per auction with a deadline, and the sales' next lots.

    Args:
        actors: the auctions' writers (timer commands are queued there).
        state_of: an auction's current state.
        store: read for a sale's lots.
        clock: wall-clock epoch ms (deadlines are wall-clock times).
        ending_soon: the ending-soon points, seconds before a round's end.
        audience: who is told at a point of this auction (the watchlist);
            without it no point is armed.
    """

    def __init__(
        self,
        actors: ActorPool,
        state_of: StateOf,
        store: AuctionLog,
        clock: Clock,
        *,
        ending_soon: tuple[int, ...] = (),
        audience: Audience | None = None,
        owns: Callable[[int], bool] = lambda auction_id: True,
    ) -> None:
        self._actors = actors
        self._owns = owns  # timers fire only in the auction's owner
        # A sale's next lot may be another process's: the service routes it.
        self.submit: Callable[[int, Work], Awaitable[bytes]] = actors.submit
        self._state_of = state_of
        self._store = store
        self._clock = clock
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._reminders: dict[int, asyncio.TimerHandle] = {}
        # auction -> (round, ends_at, point) that came with no watcher to tell
        self._quiet: dict[int, set[tuple[int, int | None, int]]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.ending_soon = ending_soon
        self._audience = audience
        # Set by service/budgets.py: each lot gets the sale's budgets before it
        # opens, under the sale's lock (docs/architecture.md "Cross-lot budgets").
        self.before_open: BeforeOpen | None = None
        self.sale_lock: Callable[[int], asyncio.Lock] = lambda sale_id: asyncio.Lock()

    def schedule(self, state: Auction) -> None:
        """(Re)arm the auction's timer for its next deadline, if it has one
        and this process owns the auction (and its ending-soon reminder)."""
        self.cancel(state.id)
        if not self._owns(state.id):
            return
        self._arm_reminder(state)
        deadline = engine.next_deadline(state)
        if deadline is None or not self._owns(state.id):
            return
        # +1 ms: the loop's monotonic timer may fire a hair before the wall-clock deadline.
        delay = max(0.0, (deadline - self._clock.now_ms() + 1) / 1000)
        self._timers[state.id] = self._actors.loop.call_later(delay, self._fire, state.id)

    def _arm_reminder(self, state: Auction) -> None:
        timer = self._reminders.pop(state.id, None)
        if timer is not None:
            timer.cancel()
        if self._audience is None or not self.ending_soon:
            return
        point = engine.next_reminder(state, self._points(state))
        if point is None:
            if state.status is not Status.OPEN:
                self._quiet.pop(state.id, None)
            return
        delay = max(0.0, (point - self._clock.now_ms() + 1) / 1000)
        self._reminders[state.id] = self._actors.loop.call_later(delay, self._remind, state.id)

    def _points(self, state: Auction) -> tuple[int, ...]:
        """The points still to arm for this round and end: not those that found
        nobody to tell (kept in memory only: a restart asks again, at no cost)."""
        quiet = self._quiet.get(state.id, set())
        return tuple(t for t in self.ending_soon if (state.round, state.ends_at, t) not in quiet)

    def cancel(self, auction_id: int) -> None:
        """Cancel the auction's timers (it moves to another owner)."""
        for timers in (self._timers, self._reminders):
            timer = timers.pop(auction_id, None)
            if timer is not None:
                timer.cancel()

    def stop(self) -> None:
        """Cancel every timer."""
        for timers in (self._timers, self._reminders):
            for timer in timers.values():
                timer.cancel()
            timers.clear()

    def _fire(self, auction_id: int) -> None:
        self._timers.pop(auction_id, None)
        if self._actors.closed or not self._owns(auction_id):
            return
        future = self._actors.submit(auction_id, Work(Tick(), result="empty"))
        future.add_done_callback(_log_failure)

    def _remind(self, auction_id: int) -> None:
        self._reminders.pop(auction_id, None)
        if not self._actors.closed and self._owns(auction_id):
            self._in_background(self.send_reminder(auction_id))

    async def send_reminder(self, auction_id: int) -> None:
        """Read who watches, then let the auction's writer decide the point; returns
        once it is decided and durable (or refused: the auction closed meanwhile)."""
        state = await self._state_of(auction_id)
        if state is None or self._audience is None or self._actors.closed:
            return
        try:
            watchers = await self._audience(state)
        except Exception as e:  # the store may be briefly away: try again shortly
            log.error("ending-soon watchers not read: %r", e)
            timer = self._actors.loop.call_later(1.0, self._remind, auction_id)
            self._reminders[auction_id] = timer
            return
        if not watchers:
            # Nobody to tell: no event. The point counts as passed for this round
            # and end, and the next one is armed (a watcher who comes later gets that).
            due = engine.due_thresholds(state, self._points(state), self._clock.now_ms())
            key = (state.round, state.ends_at)
            self._quiet.setdefault(auction_id, set()).update((*key, t) for t in due)
            self._arm_reminder(state)
            return
        work = Work(Remind(thresholds=self.ending_soon, watchers=watchers), result="empty")
        future = self._actors.submit(auction_id, work)
        future.add_done_callback(_log_failure)
        with contextlib.suppress(Exception):  # logged by _log_failure
            await future

    # -- sales -------------------------------------------------------------------
    def open_next_lot(self, state: Auction, steps: Sequence[tuple[Event, Auction]]) -> None:
        """A running lot of a sale closed: open the next one, at the close time."""
        events = [event for event, _ in steps]
        lot = engine.next_lot_number(events)
        if lot is None or state.sale_id is None:
            return
        closed_at = next(e.at for e in events if isinstance(e, AuctionClosed))
        self._in_background(self._open_lot(state.sale_id, lot, closed_at))

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` beside the auctions, kept referenced until it ends."""
        task = self._actors.loop.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _open_lot(self, sale_id: int, lot: int, at: int) -> None:
        """Open lot `lot`; a lot cancelled while it waited is skipped (engine/sale.py)."""
        async with self.sale_lock(sale_id):
            await self._open_lot_locked(sale_id, lot, at)

    async def _open_lot_locked(self, sale_id: int, lot: int, at: int) -> None:
        lots = await self._store.sale_lots(sale_id)
        for auction_id in lots[lot - 1 :]:
            try:
                if self.before_open is not None:
                    await self.before_open(sale_id, auction_id, at)
                await self.submit(auction_id, Work(OpenLot(), now=at, result="empty"))
                return
            except AuctionError:
                state = await self._state_of(auction_id)
                if state is None or state.status in (Status.SCHEDULED, Status.OPEN):
                    return  # already running (opened by someone else): nothing to do
                # closed or deleted before its turn: the lot after it goes

    async def resume_sales(self, waiting: list[Auction]) -> None:
        """After a restart: open each waiting lot whose previous lot already closed."""
        for state in waiting:
            if state.sale_id is None or state.lot is None or state.lot < 2:
                continue
            lots = await self._store.sale_lots(state.sale_id)
            previous = await self._state_of(lots[state.lot - 2])
            if previous is not None and previous.status in (Status.CLOSED, Status.CANCELLED):
                at = previous.closed_at or self._clock.now_ms()
                await self._open_lot(state.sale_id, state.lot, at)


def _log_failure(future: asyncio.Future[bytes]) -> None:
    error = None if future.cancelled() else future.exception()
    if error is not None and (not isinstance(error, AuctionError) or isinstance(error, Internal)):
        log.error("timer command failed: %r", error)
