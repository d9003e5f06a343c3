"""The write path: decide ahead on the newest state, append the log, release after.

Per auction, commands go through one writer (actor.py). A batch first lets
any passed deadline happen (decided at its own time), then each command is
decided on the newest state, even one whose commit is still on its way; its
log rows go to the store, and it is answered and published, in order, only
once they are durable (`finish_batch`). Beside it: publisher.py, scheduler.py,
idempotency.py, batches.py, sales.py, recovery.py (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import cast

from auctioneer import engine
from auctioneer.engine.commands import CreateAuction, Tick
from auctioneer.engine.errors import AuctionError
from auctioneer.engine.events import BidPlaced, Event
from auctioneer.engine.state import Auction, Status
from auctioneer.service.actor import ActorPool, Work
from auctioneer.service.auction_view import AuctionView, people_in
from auctioneer.service.batches import DecidedBatch, Outcome
from auctioneer.service.chain import Head
from auctioneer.service.commits import (
    commit_of,
    decision_of,
    notice_records,
    purchases_of,
    request_of,
)
from auctioneer.service.errors import Conflict, Internal, NotFound
from auctioneer.service.forwarding import Forwarder, hand_on, log_failure
from auctioneer.service.handover import Handover
from auctioneer.service.idempotency import Replies
from auctioneer.service.ledger import Heads, chain_unchained
from auctioneer.service.metrics import Metrics
from auctioneer.service.ownership import Ownership
from auctioneer.service.ports import (
    Clock,
    Commit,
    Decision,
    EventStore,
    Frame,
    NoticeRecord,
    Projected,
    PurchaseRecord,
    StoredNotice,
    WatchRecords,
)
from auctioneer.service.publisher import FanOut, Publisher
from auctioneer.service.read_copies import ReadCopies
from auctioneer.service.recovery import project_unprojected, refresh_old_rows
from auctioneer.service.replies import refusal_bytes
from auctioneer.service.scheduler import Scheduler, due_events
from auctioneer.service.users import UserService
from auctioneer.service.watchlist import DEFAULT_ENDING_SOON, audience_factory

__all__ = ["AuctionService"]

log = logging.getLogger(__name__)

CONFLICT_ATTEMPTS = 3  # tries at a batch that keeps losing races before `conflict`


class AuctionService:
    """Runs every auction: one writer each, many in parallel."""

    def __init__(
        self,
        store: EventStore,
        hub: FanOut,
        clock: Clock,
        users: UserService,
        metrics: Metrics | None = None,
        ownership: Ownership | None = None,
        *,
        ending_soon: tuple[int, ...] = DEFAULT_ENDING_SOON,
    ) -> None:
        self.store = store
        self.metrics = metrics or Metrics()
        # Which auctions this process decides (service/ownership.py); the
        # others are forwarded to their owner and read from copies.
        self.ownership = ownership or Ownership(None, self.metrics)
        self.copies = ReadCopies(store)
        self.forwarder: Forwarder | None = None  # set by the composition root (many processes)
        self.address = ""  # this process's internal door, told to the others
        self.hub = hub
        self.clock = clock
        self.users = users
        self._states: dict[int, Auction] = {}  # durable: what reads see
        self._ahead: dict[int, Auction] = {}  # decided, its commit on its way
        self._generation: dict[int, int] = {}  # bumped when a failed commit rewinds
        self._inflight_keys: set[tuple[int, str]] = set()  # accepted, not yet durable
        self._actors = ActorPool(self._process, self.metrics)
        # The in-process broker delivers only to this process's subscribers.
        broker = getattr(hub, "broker", None)
        self._inline = bool(getattr(broker, "delivers_inline", False))
        self.publisher = Publisher(hub, store, inline=self._inline)
        self.publisher.hints = not self.ownership.solo
        self.heads = Heads(store)  # where each state's hash chain stands
        self.replies = Replies(store, clock, users)
        self.scheduler = Scheduler(
            self._actors,
            self.state,
            store,
            clock,
            ending_soon=ending_soon,
            audience=audience_factory(cast(WatchRecords, store), store),
            owns=self.ownership.owns,
        )
        self.conflicts_retried = 0  # batches decided again after losing a race
        self.scheduler.submit = self.submit
        self.handover = Handover(self)
        self.ownership.on_gain = self.handover.gain
        self.ownership.on_lose = self.handover.lose
        self.metrics.owned_auctions = lambda: sum(map(self.ownership.owns, self._states))

    # -- lifecycle -----------------------------------------------------------
    async def start(self) -> None:
        """Project what a crash left unprojected (logs older than the hash chain
        get theirs first), then take up this process's auctions (all of them,
        alone): load every unfinished one and set its timer again (handover.py)."""
        await chain_unchained(self.store)
        await project_unprojected(self.store, self.users)
        await refresh_old_rows(self.store, self.users)
        await self.replies.start()
        await self.ownership.start(self.address)

    async def stop(self) -> None:
        """Hand this process's auctions back, finish in-flight writes, then
        cancel every timer."""
        await self.ownership.stop()
        self.scheduler.stop()
        await self._actors.drain()
        await self.replies.stop()

    # -- reads ---------------------------------------------------------------
    async def state(self, auction_id: int, *, fresh: bool = False) -> Auction | None:
        """The auction's current durable state, or None if it was never created.

        For an auction another process owns, the read copy (`fresh`: checked
        against the store now, as a subscription's catch-up needs).
        """
        if not self.ownership.owns(auction_id):
            return await self.copies.get(auction_id, fresh=fresh)
        state = self._states.get(auction_id)
        if state is None:
            events = await self.store.load_events(auction_id)
            if not events:
                return None
            state = engine.replay(auction_id, events)
            self._states[auction_id] = state
        return state

    async def frames(self, auction_id: int, after_seq: int, upto_seq: int) -> list[Frame]:
        """The public event frames with after_seq < seq <= upto_seq, in order."""
        return await self.publisher.frames(auction_id, after_seq, upto_seq)

    async def log_hash(self, state: Auction) -> bytes | None:
        """The head of the auction's hash chain at `state` (its `log_hash`)."""
        return (await self.heads.of(state)).log_hash

    async def notice_frames(self, user_id: int, after_seq: int, upto_seq: int) -> list[Frame]:
        notices = await self.store.notices(user_id, after_seq)
        return [self.publisher.notice_frame(n) for n in notices if n.seq <= upto_seq]

    async def stored_reply(
        self, key: tuple[int, str], *, admin: bool = False, ask_store: bool = False
    ) -> bytes | None:
        """The first reply to this (user, request id), if there was one (as the
        caller saw it: `admin` for the admin view of an auction). `ask_store`:
        also for an id this process does not know (another may have used it)."""
        ask_store = ask_store or not self.ownership.solo  # another process may have used it
        return await self.replies.first_reply(key, admin=admin, ask_store=ask_store)

    # -- writes --------------------------------------------------------------
    async def create(self, command: CreateAuction, work: Work) -> bytes:
        """Create a new auction (an id from the store) and return the reply.

        The rules check the command first: a refused create takes no id.
        """
        engine.validate_create(command, self.clock.now_ms())
        (auction_id,) = await self.store.allocate_ids("auction", 1)
        work.command = command
        return await self.submit(auction_id, work)

    def submit(self, auction_id: int, work: Work) -> asyncio.Future[bytes]:
        """Queue `work` on the auction's writer; await the future for the encoded
        result, set once durable.

        The future raises AuctionError: the rules refused it (nothing
        changed), NotFound, Conflict or Internal (nothing changed either).
        """
        # No shield needed: a caller that goes away cancels only its own future;
        # the command stays queued and its batch is written for the others
        # (every result and error below skips a future that is already done).
        if self.ownership.owns(auction_id) or self.forwarder is None:
            return self._actors.submit(auction_id, work)
        return self._actors.loop.create_task(self.forwarder.forward(auction_id, work))

    def submit_here(self, auction_id: int, work: Work) -> asyncio.Future[bytes]:
        """Queue `work` on this process's writer of the auction (it owns it)."""
        return self._actors.submit(auction_id, work)

    def durable_version(self, auction_id: int) -> int:
        """The version of the owned auction's durable state (0: not loaded)."""
        state = self._states.get(auction_id)
        return state.version if state is not None else 0

    def forget(self, which: Callable[[int], bool]) -> None:
        """Drop every state, copy and cached frame of the auctions `which` picks
        (they change owner: the next read loads the truth)."""
        for auction_id in [a for a in (*self._states, *self._ahead) if which(a)]:
            self._states.pop(auction_id, None)
            self._ahead.pop(auction_id, None)
            self.publisher.forget(auction_id)
            self.scheduler.cancel(auction_id)
        self.copies.forget(which)

    async def settle(self, which: Callable[[int], bool]) -> None:
        """Wait until the writers of the auctions `which` picks are idle."""
        await self._actors.settle(which)

    async def _process(self, auction_id: int, batch: list[Work]) -> DecidedBatch | None:
        """Decide a batch on the auction's newest state and send its commit.

        The newest state may be ahead of the durable one: batches still on
        their way to the store (decide ahead). The batch is answered later, in
        order, by `finish_batch` (release after).
        """
        if self.handover.gate is not None:  # taking the auction up: first learn its requests
            await asyncio.shield(self.handover.gate)
        if not self.ownership.owns(auction_id) and self.forwarder is not None:
            for work in batch:  # it moved away while they waited: its owner decides them
                hand_on(self.forwarder, auction_id, work)
            return None
        attempt = max(work.attempts for work in batch)
        again, last = attempt > 0, attempt >= CONFLICT_ATTEMPTS - 1
        ahead = self._ahead.get(auction_id)
        state = ahead or await self.state(auction_id) or engine.new_auction(auction_id)
        start = state
        real_now = self.clock.now_ms()
        steps: list[tuple[Event, Auction]] = []
        notices: list[NoticeRecord] = []
        purchases: list[PurchaseRecord] = []
        decisions: list[Decision] = []
        done: list[tuple[Work, Outcome]] = []
        refused: list[tuple[int, str, bytes]] = []  # kept like replies: a retry is refused again
        seen: set[tuple[int, str]] = set()
        replies = self.replies

        def fold(events: Sequence[Event], at_state: Auction, work: Work | None = None) -> Auction:
            if not events:
                return at_state
            decisions.append(decision_of(events[0].version, work))
            folded = engine.fold_steps(at_state, events)  # the decision's own states
            steps.extend(folded)
            notices.extend(notice_records(engine.notices(at_state, events), events[-1].at))
            purchases.extend(purchases_of(events))
            return folded[-1][1]

        for work in batch:
            if again and work.future.done() and not work.future.cancelled():
                continue  # answered by an earlier try (a refusal on committed state)
            if state.status is Status.NEW and not isinstance(work.command, CreateAuction):
                _fail(work, NotFound())
                continue
            key = (work.user_id, work.request_id) if work.user_id and work.request_id else None
            if key is not None:
                if key in seen or key in self._inflight_keys:
                    # A retry of a request decided here or in a batch still on its
                    # way: it gets the first reply, once that is durable.
                    done.append((work, b""))
                    continue
                stored = replies.cached(key)  # no coroutine on the usual path
                if stored is None and (again or replies.may_be_stored(key)):
                    stored = await replies.first_reply(key, admin=work.admin, ask_store=True)
                if stored is not None:
                    done.append((work, stored))
                    continue
            state = fold(due_events(state, real_now), state)
            try:
                events = engine.decide(state, work.command, work.now or real_now)
            except AuctionError as e:
                if key is not None:
                    refused.append((*key, refusal_bytes(e)))
                    replies.remember(*refused[-1])
                if state is start and ahead is None and self._inline:
                    # It rests on durable state only, and no other process
                    # writes here (in-process broker): answer it at once.
                    _fail(work, e)
                else:
                    # After the commits before it: it may rest on bids not yet
                    # durable, or on a cached state another process moved on.
                    done.append((work, e))
                continue
            state = fold(events, state, work)
            if key is not None:
                seen.add(key)
            done.append((work, state))

        # Hash the public events onto the chain as their frames are rendered,
        # so each hash is written with its log row.
        head = await self.heads.of(start)
        frames, heads = self.publisher.render(steps, head)
        by_state = {id(start): head} | {id(s): h for (_, s), h in zip(steps, heads, strict=True)}
        final, rendered = await self._render(state, done, by_state)
        commit: asyncio.Task[Projected] | None = None
        if steps:
            self.heads.keep(state, heads[-1])
            requests = [
                request_of(auction_id, work, version, real_now) for work, _, version in rendered
            ]
            links = [
                h.last if e.seq is not None else None
                for (e, _), h in zip(steps, heads, strict=True)
            ]
            record = commit_of(
                start, final, steps, notices, purchases, decisions=decisions, requests=requests,
                hashes=links,
            )  # fmt: skip
            commit = self._actors.loop.create_task(self._commit(record))
            self._ahead[auction_id] = state
            self._inflight_keys.update(seen)
        return DecidedBatch(
            self, auction_id, batch, start, final, steps, frames, bool(notices), done, refused,
            rendered, commit, self._generation.get(auction_id, 0), last,
        )  # fmt: skip

    async def finish_batch(self, b: DecidedBatch) -> list[Work]:
        """Answer and publish a decided batch once its commit is durable, in order.

        Returns the commands to decide again: all of the batch's when its
        commit lost a race to another writer (after catching up), or when an
        earlier batch's commit failed (this one rested on it). Any other failed
        commit refuses the batch (`internal`) and rewinds the auction to its
        durable state; nothing decided on the lost state is ever answered.
        """
        auction_id, state = b.auction_id, b.final.state
        stale = b.rewound
        self._inflight_keys.difference_update(b.keys())
        projected: Projected | None = None
        if b.commit is not None:
            try:
                projected = await b.commit
            except BaseException as e:
                if stale:
                    b.forget_deferred_refusals(self.replies)
                    return b.undone()
                self._rewind(auction_id, b)
                if _is_conflict(e) and not b.last:
                    await self._catch_up(auction_id)
                    self.conflicts_retried += 1
                    return b.undone(again=True)
                self._states.pop(auction_id, None)  # reload from the truth next time
                error: AuctionError = Conflict("Try again") if _is_conflict(e) else Internal()
                if not isinstance(e, AuctionError) and not _is_conflict(e):
                    log.exception("commit failed for auction %s", auction_id)
                for work, _ in b.done:
                    _fail(work, error)
                if not isinstance(e, Exception):
                    raise
                return []
            if stale:  # cannot happen: its version rested on the batch that failed
                log.error("auction %s: a batch after a failed commit was written", auction_id)
            for work, result, _ in b.rendered:  # durable: retries are answered from memory
                self.replies.remember(work.user_id or 0, work.request_id or "", result)
            # Cache the frames with the state, so a resume that reads this seq finds them.
            frames = self.publisher.remember(auction_id, b.frames)
            self.metrics.bids_accepted.inc(sum(isinstance(e, BidPlaced) for e, _ in b.steps))
            self._states[auction_id] = state
            if self._ahead.get(auction_id) is state:
                del self._ahead[auction_id]
            if b.notices:  # told once the projection has given them their seqs
                self.publisher.publish_notices_of(projected)
        else:
            if stale:
                b.forget_deferred_refusals(self.replies)
                return b.undone()
            frames = []
            # No commit checked the state these refusals rest on: another
            # process may have moved the auction on since it was cached.
            any_refused = any(isinstance(outcome, AuctionError) for _, outcome in b.done)
            if any_refused and not b.last and await self._catch_up(auction_id):
                self._rewind(auction_id, b)
                self.conflicts_retried += 1
                return b.undone(again=True)
        if b.refused:  # kept for retries, off the auction's path
            self.replies.keep_refusals(b.refused)
        b.resolve(self.replies)
        # Always re-arm: a timer that fired a little early decided nothing, and
        # must not leave the auction without a timer.
        self.scheduler.schedule(self._ahead.get(auction_id) or state)
        if b.steps:
            # Replies first (their tasks wake on the futures above), then the events.
            publish = self.publisher.publish
            self._actors.loop.call_soon(publish, b.start, b.final, frames, [])
            self.scheduler.open_next_lot(state, b.steps)
        return []

    def generation(self, auction_id: int) -> int:
        """How many times a failed commit rewound the auction (batches remember theirs)."""
        return self._generation.get(auction_id, 0)

    def _rewind(self, auction_id: int, b: DecidedBatch) -> None:
        """Forget what was decided on top of the durable state: it will be decided again."""
        self._generation[auction_id] = self._generation.get(auction_id, 0) + 1
        self._ahead.pop(auction_id, None)
        b.forget_deferred_refusals(self.replies)

    async def _catch_up(self, auction_id: int) -> bool:
        """Fold into the cached state what other writers appended; True if they had.

        One indexed read that normally finds nothing, instead of replaying the
        whole log. Without a cached state the next `state()` loads it anyway.
        """
        state = self._states.get(auction_id)
        if state is None:
            return True
        try:
            newer = await self.store.load_events(auction_id, state.version)
        except Exception:  # the store is down: the commit will tell
            log.warning("could not check auction %s for newer events", auction_id)
            return False
        if not newer:
            return False
        for event in newer:
            state = engine.evolve(state, event)
        self._states[auction_id] = state
        self.publisher.forget(auction_id)  # its seqs now have a gap
        return True

    async def _render(
        self, state: Auction, done: list[tuple[Work, Outcome]], heads: dict[int, Head]
    ) -> tuple[AuctionView, list[tuple[Work, bytes, int]]]:
        """Encode each accepted command's result (in place); the ones to keep for retries.

        Every accepted command gets a result here, also one that emitted no
        event (a no-op such as stopping a maximum that was never set). The
        batch's final state is rendered once, for its results, the stored
        row and the summaries.
        """
        names = await self.users.names(
            people_in([state, *(s for _, s in done if isinstance(s, Auction))])
        )
        final = AuctionView(state, names, heads[id(state)].log_hash)
        kept: list[tuple[Work, bytes, int]] = []
        for index, (work, outcome) in enumerate(done):
            if isinstance(outcome, Auction):
                view = final
                if outcome is not state:
                    view = AuctionView(outcome, names, heads[id(outcome)].log_hash)
                result = view.result(empty=work.result == "empty", admin=work.admin)
                done[index] = (work, result)
                if work.user_id and work.request_id:
                    kept.append((work, result, outcome.version))
        return final, kept

    async def _commit(self, commit: Commit) -> Projected:
        """Append one batch's log entries; its projections follow (the future)."""
        started = time.perf_counter()
        projected = await self.store.append(commit)
        self.metrics.commit.observe(time.perf_counter() - started)
        return projected

    def adopt(
        self,
        start: Auction,
        view: AuctionView,
        frames: list[Frame],
        head: Head,
        notices: list[StoredNotice],
    ) -> None:
        """Take up an auction created outside its writer (a sale's lot, written
        with its sale): cache it, set its timer, publish what it did."""
        auction_id = view.state.id
        self.publisher.remember(auction_id, frames)
        if self.ownership.owns(auction_id):
            self._states[auction_id] = view.state
            self.heads.keep(view.state, head)
            self.scheduler.schedule(view.state)
        else:  # its owner takes it up (loads it, sets its timer) on a no-op Tick
            self.copies.heard(auction_id, view.state.version)
            self.submit(auction_id, Work(Tick(), result="empty")).add_done_callback(log_failure)
        publish = self.publisher.publish
        self._actors.loop.call_soon(publish, start, view, frames, notices)


def _fail(work: Work, error: BaseException) -> None:
    """Refuse `work`, unless its caller went away (its future is cancelled)."""
    if not work.future.done():
        work.future.set_exception(error)


def _is_conflict(e: BaseException) -> bool:
    return getattr(e, "code", None) == "conflict"
