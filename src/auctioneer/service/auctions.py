"""The auction service: load, decide, append, then reply and publish.

Per auction, commands go through one writer (service/actor.py). For a batch
the worker first lets any passed deadline happen (a Tick at the deadline's own
time, so an auction that ended while the server was down closes at its real
end), then decides each command against the state in memory, writes all the
events, the current-state row, the notices, the purchases and the idempotency
records in one commit, and only after the commit replies and publishes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any

from orjson import Fragment

from auctioneer import engine
from auctioneer.engine.commands import CreateAuction, OpenLot, Tick
from auctioneer.engine.errors import AuctionError
from auctioneer.engine.events import (
    AuctionClosed,
    AuctionDeleted,
    AuctionUpdated,
    Event,
    UnitSold,
)
from auctioneer.engine.state import Auction, Status
from auctioneer.pubsub.hub import Hub
from auctioneer.service.actor import ActorPool, Work
from auctioneer.service.errors import Conflict, Internal, NotFound
from auctioneer.service.metrics import Metrics
from auctioneer.service.ports import (
    Clock,
    Commit,
    EventStore,
    Frame,
    NoticeRecord,
    PurchaseRecord,
    StoredNotice,
)
from auctioneer.service.replies import first_reply, is_refusal, refusal, refusal_bytes
from auctioneer.service.users import UserService
from auctioneer.wire import codec
from auctioneer.wire.topics import AUCTIONS, AUCTIONS_ADMIN, USER_ME, auction_topic, user_topic
from auctioneer.wire.views import auction_object, public_view

__all__ = ["AuctionService"]

log = logging.getLogger(__name__)

FRAME_CACHE = 1024  # recent public frames per auction, for cheap resumes
CATCH_UP_PAGE = 500  # events read, folded and encoded per turn of the loop in a catch-up
MAX_CATCH_UP_ROUNDS = 100_000
IDEMPOTENCY_WINDOW_MS = 7 * 24 * 3600 * 1000  # a retry older than a week runs again
CONFLICT_ATTEMPTS = 3  # tries at a batch that keeps losing races before `conflict`
FORGET_EVERY_S = 3600.0  # how often stored replies older than the window are deleted
FORGET_CHUNK = 5000  # replies deleted per write, so other writes are not held up


class AuctionService:
    """Runs every auction: one writer each, many in parallel."""

    def __init__(
        self,
        store: EventStore,
        hub: Hub,
        clock: Clock,
        users: UserService,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics or Metrics()
        self.hub = hub
        self.clock = clock
        self.users = users
        self._states: dict[int, Auction] = {}
        self._frames: dict[int, deque[Frame]] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._idempotent: dict[tuple[int, str], bytes] = {}
        self._known_request_ids: set[tuple[int, str]] = set()
        self._actors = ActorPool(self._process, self.metrics)
        # The in-process broker delivers only to this process's subscribers.
        self._inline = bool(getattr(hub.broker, "delivers_inline", False))
        self._background: set[asyncio.Task[None]] = set()
        self._saving: set[asyncio.Task[None]] = set()  # refusals being stored
        self._forgetting: asyncio.Task[None] | None = None
        self.conflicts_retried = 0  # batches decided again after losing a race

    # -- lifecycle -----------------------------------------------------------
    async def start(self) -> None:
        """Load every unfinished auction and set its timer again."""
        since = self.clock.now_ms() - IDEMPOTENCY_WINDOW_MS
        self._known_request_ids = set(await self.store.request_ids(since))
        waiting: list[Auction] = []
        for auction_id in await self.store.unfinished_auction_ids():
            state = await self.state(auction_id)
            if state is not None:
                self._schedule(state)
                if state.waits_for_previous and state.status is Status.SCHEDULED:
                    waiting.append(state)
        await self._resume_sales(waiting)
        self._forgetting = asyncio.get_running_loop().create_task(self._forget_old_replies())

    async def stop(self) -> None:
        """Finish in-flight writes, then cancel every timer."""
        if self._forgetting is not None:
            self._forgetting.cancel()
            await asyncio.wait({self._forgetting})
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        await self._actors.drain()
        if self._saving:  # refusals still on their way to the store
            await asyncio.wait(self._saving, timeout=5)

    # -- reads ---------------------------------------------------------------
    async def state(self, auction_id: int) -> Auction | None:
        """The auction's current state, or None if it was never created."""
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
        if upto_seq <= after_seq:
            return []
        cache = self._frames.get(auction_id)
        if cache and _covers(cache, after_seq + 1, upto_seq):
            return [f for f in cache if f.seq is not None and after_seq < f.seq <= upto_seq]
        # A page at a time (issue 20, item 7): a catch-up from seq 0 of a long
        # log folds and encodes CATCH_UP_PAGE events per turn of the event loop,
        # never the whole log in one go, and stops reading at `upto_seq`.
        state = engine.new_auction(auction_id)
        frames: list[Frame] = []
        version = 0
        while True:
            events = await self.store.load_events(auction_id, version, limit=CATCH_UP_PAGE)
            for event in events:
                state = engine.evolve(state, event)
                if event.seq is not None and after_seq < event.seq <= upto_seq:
                    frames.append(self._frame(event, state))
            if len(events) < CATCH_UP_PAGE or (frames and frames[-1].seq == upto_seq):
                return frames
            version = events[-1].version
            await asyncio.sleep(0)  # let other work in between pages

    async def notice_frames(self, user_id: int, after_seq: int, upto_seq: int) -> list[Frame]:
        notices = await self.store.notices(user_id, after_seq)
        return [self._notice_frame(n) for n in notices if n.seq <= upto_seq]

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
        return self._actors.submit(auction_id, work)

    async def _process(self, auction_id: int, batch: list[Work]) -> None:
        """Decide and commit a batch; on a version conflict decide it again on the truth.

        A conflict means another writer (another server process, or a state
        cached before a restore) moved the auction on: nothing of this batch
        was written or answered, so it is decided again on the stored state,
        up to CONFLICT_ATTEMPTS times, before its writers are told to retry.
        """
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            again, last = attempt > 1, attempt == CONFLICT_ATTEMPTS
            if await self._attempt(auction_id, batch, again=again, last=last):
                return
            self.conflicts_retried += 1

    async def _attempt(
        self, auction_id: int, batch: list[Work], *, again: bool, last: bool
    ) -> bool:
        """One try at the batch; False when it lost a race and should be tried again.

        When trying `again`, every request id is looked up in the store: the
        race may have been lost to the same request's first write elsewhere.
        """
        state = await self.state(auction_id) or engine.new_auction(auction_id)
        start = state
        real_now = self.clock.now_ms()
        steps: list[tuple[Event, Auction]] = []
        notices: list[NoticeRecord] = []
        purchases: list[PurchaseRecord] = []
        done: list[tuple[Work, Auction | bytes | AuctionError]] = []
        refused: list[tuple[int, str, bytes]] = []  # kept like replies: a retry is refused again
        seen: set[tuple[int, str]] = set()

        def fold(events: Sequence[Event], at_state: Auction) -> Auction:
            if not events:
                return at_state
            folded = engine.fold_steps(at_state, events)  # the decision's own states
            steps.extend(folded)
            notices.extend(_notice_records(engine.notices(at_state, events), events[-1].at))
            purchases.extend(_purchases(events))
            return folded[-1][1]

        for work in batch:
            if again and work.future.done() and not work.future.cancelled():
                continue  # answered by an earlier try (a refusal on committed state)
            if state.status is Status.NEW and not isinstance(work.command, CreateAuction):
                _fail(work, NotFound())
                continue
            key = (work.user_id, work.request_id) if work.user_id and work.request_id else None
            if key is not None:
                if key in seen:  # a retry inside this batch gets the first reply
                    done.append((work, b""))
                    continue
                stored = self._idempotent.get(key)  # `stored_reply` without a coroutine
                if stored is None and (again or key in self._known_request_ids):
                    stored = await self.store.stored_reply(*key)
                if stored is not None:
                    done.append((work, stored))
                    continue
            state = fold(self._due(state, real_now), state)
            try:
                events = engine.decide(state, work.command, work.now or real_now)
            except AuctionError as e:
                if key is not None:
                    refused.append((*key, refusal_bytes(e)))
                    self._remember(*refused[-1])
                if state is start and self._inline:
                    # It rests on committed state only, and no other process
                    # writes here (in-process broker): answer it at once.
                    _fail(work, e)
                else:
                    # After the commit: it may rest on this batch's bids, or on
                    # a cached state another process has moved on since.
                    done.append((work, e))
                continue
            state = fold(events, state)
            if key is not None:
                seen.add(key)
            done.append((work, state))

        final, replies = await self._render(state, done)
        if steps:
            try:
                kept = [*replies, *refused]
                commit = _commit_of(start, final, steps, notices, purchases, kept)
                stored_notices = await self._commit(commit)
            except BaseException as e:
                self._forget_deferred_refusals(done)  # decided on a state never written
                if _is_conflict(e) and not last:
                    await self._catch_up(auction_id)
                    return False
                self._states.pop(auction_id, None)  # reload from the truth next time
                error: AuctionError = Conflict("Try again") if _is_conflict(e) else Internal()
                if not isinstance(e, AuctionError) and not _is_conflict(e):
                    log.exception("commit failed for auction %s", auction_id)
                for work, _ in done:
                    _fail(work, error)
                if not isinstance(e, Exception):
                    raise
                return True
            # Cache the frames with the state, so a resume that reads this seq finds them.
            frames = self._remember_frames(state.id, steps)
            self._states[auction_id] = state
        else:
            stored_notices, frames = [], []
            # No commit checked the state these refusals rest on: another
            # process may have moved the auction on since it was cached.
            any_refused = any(isinstance(outcome, AuctionError) for _, outcome in done)
            if any_refused and not last and await self._catch_up(auction_id):
                self._forget_deferred_refusals(done)
                return False
            if refused:
                self._keep_refusals(refused)
        self._resolve(done)
        # Always re-arm: a timer that fired a little early decided nothing, and
        # must not leave the auction without a timer.
        self._schedule(state)
        if steps:
            # Replies first (their tasks wake on the futures above), then the events.
            self._actors.loop.call_soon(self._publish, start, final, frames, stored_notices)
            self._open_next_lots(state, steps)
        return True

    def _forget_deferred_refusals(
        self, done: list[tuple[Work, Auction | bytes | AuctionError]]
    ) -> None:
        """The batch is decided again: its unanswered refusals may turn out otherwise."""
        for work, outcome in done:
            if isinstance(outcome, AuctionError) and work.user_id and work.request_id:
                self._idempotent.pop((work.user_id, work.request_id), None)

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
        self._frames.pop(auction_id, None)  # its seqs now have a gap
        return True

    def _due(self, state: Auction, now: int) -> list[Event]:
        """The events of every deadline that passed, each decided at its own time."""
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

    async def _render(
        self, state: Auction, done: list[tuple[Work, Auction | bytes | AuctionError]]
    ) -> tuple[_View, list[tuple[int, str, bytes]]]:
        """Encode each accepted command's result (in place); the ones to keep for retries.

        Every accepted command gets a result here, also one that emitted no
        event (a no-op such as stopping a maximum that was never set). The
        batch's final state is rendered once, for its results, the stored
        row and the summaries (returned as a `_View`).
        """
        names = await self.users.names(
            _people([state, *(s for _, s in done if isinstance(s, Auction))])
        )
        final = _View(state, names)
        replies: list[tuple[int, str, bytes]] = []
        for index, (work, outcome) in enumerate(done):
            if isinstance(outcome, Auction):
                view = final if outcome is state else _View(outcome, names)
                result = view.result(work)
                done[index] = (work, result)
                if work.user_id and work.request_id:
                    replies.append((work.user_id, work.request_id, result))
        return final, replies

    async def _commit(self, commit: Commit) -> list[StoredNotice]:
        """Append one batch; once durable, its replies answer retries from memory."""
        started = time.perf_counter()
        stored = await self.store.append(commit)
        self.metrics.commit.observe(time.perf_counter() - started)
        for user_id, request_id, result in commit.idempotency:
            self._remember(user_id, request_id, result)
        return stored

    async def create_lots(
        self,
        commands: Sequence[CreateAuction],
        *,
        key: tuple[int, str] | None,
        reply: Callable[[list[dict[str, Any]]], bytes],
    ) -> bytes:
        """Create several auctions (a sale's lots) in one transaction: all or none.

        The lots get fresh ids nobody can have written to yet, so they need no
        per-auction writer. `reply` builds the result from the lots' admin
        objects; it is stored under `key` in the same transaction, so a crash
        leaves either the whole sale with its reply or nothing at all.

        Raises:
            AuctionError: a lot the rules refuse (nothing is created, no id taken).
        """
        self.validate_lots(commands)
        ids = await self.store.allocate_ids("auction", len(commands))
        now = self.clock.now_ms()
        lots: list[tuple[Auction, _View, list[tuple[Event, Auction]], list[NoticeRecord]]] = []
        for auction_id, command in zip(ids, commands, strict=True):
            start = engine.new_auction(auction_id)
            events = engine.decide(start, command, now)
            steps = engine.fold_steps(start, events)
            notices = _notice_records(engine.notices(start, events), events[-1].at)
            lots.append((start, _View(steps[-1][1], {}), steps, notices))
        result = reply([view.admin for _, view, _, _ in lots])
        replies = [(*key, result)] if key is not None else []
        commits = [
            _commit_of(start, view, steps, notices, [], replies if index == len(lots) - 1 else [])
            for index, (start, view, steps, notices) in enumerate(lots)
        ]
        try:
            stored = await self.store.append_all(commits)
        except Exception as e:
            if _is_conflict(e) and key is not None:  # the same request, stored meanwhile
                first = await self.store.stored_reply(*key)
                if first is not None:
                    return first_reply(first)
            if not _is_conflict(e):
                log.exception("creating %d lots failed", len(commits))
            raise (Conflict("Try again") if _is_conflict(e) else Internal()) from e
        if key is not None:
            self._remember(*key, result)
        for (start, view, steps, _), stored_notices in zip(lots, stored, strict=True):
            frames = self._remember_frames(view.state.id, steps)
            self._states[view.state.id] = view.state
            self._schedule(view.state)
            self._actors.loop.call_soon(self._publish, start, view, frames, stored_notices)
        return result

    def validate_lots(self, commands: Iterable[CreateAuction]) -> None:
        """Check every lot against the create rules now, before any id is taken.

        Raises:
            AuctionError: the first lot the rules refuse.
        """
        now = self.clock.now_ms()
        for command in commands:
            engine.validate_create(command, now)

    async def _forget_old_replies(self) -> None:
        """Delete stored replies past the window, now and then every hour.

        They are honoured for IDEMPOTENCY_WINDOW_MS only, so keeping them
        would only grow the database (a bid's reply holds the whole auction).
        """
        while True:
            try:
                await self._forget_replies_before(self.clock.now_ms() - IDEMPOTENCY_WINDOW_MS)
            except Exception:  # tried again next time; nothing depends on it
                log.exception("deleting old stored replies failed")
            await asyncio.sleep(FORGET_EVERY_S)

    async def _forget_replies_before(self, before_ms: int) -> int:
        """Delete every stored reply written before `before_ms`, a chunk per write."""
        total = 0
        while (gone := await self.store.forget_replies(before_ms, FORGET_CHUNK)) > 0:
            total += gone
            if gone < FORGET_CHUNK:
                break
        return total

    async def stored_reply(self, key: tuple[int, str]) -> bytes | None:
        """The first reply to this (user, request id), if there was one.

        The store is asked only for ids it may hold (written before this
        process started): a fresh id costs no read on the hot path.
        """
        cached = self._idempotent.get(key)
        if cached is not None:
            return cached
        if key not in self._known_request_ids:
            return None
        return await self.store.stored_reply(*key)

    def _remember(self, user_id: int, request_id: str, result: bytes) -> None:
        if len(self._idempotent) > 200_000:
            # Bounded memory: forget the replies but not that they exist, so a
            # retry of one of them asks the store instead of running again.
            self._known_request_ids.update(self._idempotent)
            self._idempotent.clear()
        self._idempotent[(user_id, request_id)] = result

    def _keep_refusals(self, refused: list[tuple[int, str, bytes]]) -> None:
        """Store refusals that came without a commit, off the auction's path.

        They are remembered in memory already; the store makes them outlive a
        restart and reach other processes. One group commit takes them all.
        """

        async def keep() -> None:
            try:
                await asyncio.gather(*(self.store.save_reply(*row) for row in refused))
            except Exception:  # a retry would run again: nothing was changed either way
                log.exception("storing %d refusals failed", len(refused))

        self._in_background(keep(), self._saving)

    def _resolve(self, done: list[tuple[Work, Auction | bytes | AuctionError]]) -> None:
        first: dict[tuple[int, str], bytes] = {}
        for work, outcome in done:
            if work.future.done():
                continue
            key = (work.user_id or 0, work.request_id or "")
            if isinstance(outcome, AuctionError):
                work.future.set_exception(outcome)
            elif isinstance(outcome, bytes) and is_refusal(outcome):
                work.future.set_exception(refusal(outcome))
            elif isinstance(outcome, bytes) and outcome:
                first.setdefault(key, outcome)
                work.future.set_result(outcome)
            elif isinstance(outcome, bytes):  # a retry inside the same batch
                work.future.set_result(first.get(key) or self._idempotent.get(key, b"{}"))

    # -- publishing ----------------------------------------------------------
    def _frame(self, event: Event, after: Auction) -> Frame:
        data = codec.encode_event(
            event.event,
            codec.event_data(event, after),
            topic=auction_topic(event.auction_id),
            seq=event.seq,
            at=event.at,
        )
        assert after.spec is not None
        hides = isinstance(event, AuctionDeleted) or (
            isinstance(event, AuctionUpdated) and event.public is False
        )
        return Frame(data, event.seq, hides)

    def _notice_frame(self, notice: StoredNotice) -> Frame:
        data = codec.encode_event(
            notice.kind, notice.data, topic=USER_ME, seq=notice.seq, at=notice.at
        )
        return Frame(data, notice.seq)

    def _remember_frames(self, auction_id: int, steps: list[tuple[Event, Auction]]) -> list[Frame]:
        cache = self._frames.setdefault(auction_id, deque(maxlen=FRAME_CACHE))
        frames = [self._frame(event, after) for event, after in steps if event.seq is not None]
        cache.extend(frames)
        return frames

    def _publish(
        self,
        start: Auction,
        final: _View,
        frames: list[Frame],
        notices: list[StoredNotice],
    ) -> None:
        topic = auction_topic(final.state.id)
        for frame in frames:
            self.hub.post(topic, frame)
        for notice in notices:
            if self._heard(topic := user_topic(notice.user_id)):
                self.hub.post(topic, self._notice_frame(notice))
        self._publish_summary(start, final)

    def _heard(self, topic: str) -> bool:
        """Whether a frame posted to `topic` can reach anyone, so is worth encoding.

        Through a remote broker always (other processes may listen); with the
        in-process broker only when this process has a subscriber.
        """
        return not self._inline or bool(self.hub.subscribers(topic))

    def _publish_summary(self, start: Auction, final: _View) -> None:
        state = final.state
        if self._heard(AUCTIONS_ADMIN):
            admin_frame = Frame(
                codec.encode_event(
                    "auction_summary", Fragment(final.admin_json), topic=AUCTIONS, seq=state.seq
                )
            )
            self.hub.post(AUCTIONS_ADMIN, admin_frame)
        assert state.spec is not None
        visible = state.spec.public and not state.deleted
        was_visible = start.spec is not None and start.spec.public and not start.deleted
        if not self._heard(AUCTIONS):
            return
        if visible:
            data = Fragment(final.public_json)
            frame = Frame(
                codec.encode_event("auction_summary", data, topic=AUCTIONS, seq=state.seq)
            )
            self.hub.post(AUCTIONS, frame)
        elif was_visible:
            hidden = {"auction_id": state.id}
            frame = Frame(
                codec.encode_event("auction_hidden", hidden, topic=AUCTIONS, seq=state.seq)
            )
            self.hub.post(AUCTIONS, frame)

    # -- timers and sales ------------------------------------------------------
    def _schedule(self, state: Auction) -> None:
        timer = self._timers.pop(state.id, None)
        if timer is not None:
            timer.cancel()
        deadline = engine.next_deadline(state)
        if deadline is None:
            return
        loop = self._actors.loop
        # +1 ms: the loop's monotonic timer may fire a hair before the wall-clock deadline.
        delay = max(0.0, (deadline - self.clock.now_ms() + 1) / 1000)
        self._timers[state.id] = loop.call_later(delay, self._fire, state.id)

    def _fire(self, auction_id: int) -> None:
        self._timers.pop(auction_id, None)
        if self._actors.closed:
            return
        future = self._actors.submit(auction_id, Work(Tick(), result="empty"))
        future.add_done_callback(_log_failure)

    def _open_next_lots(self, state: Auction, steps: list[tuple[Event, Auction]]) -> None:
        """A running lot of a sale closed: open the next one, at the close time."""
        events = [event for event, _ in steps]
        lot = engine.next_lot_number(events)
        if lot is None or state.sale_id is None:
            return
        closed_at = next(e.at for e in events if isinstance(e, AuctionClosed))
        self._in_background(self._open_lot(state.sale_id, lot, closed_at))

    def _in_background(
        self, work: Coroutine[Any, Any, None], tasks: set[asyncio.Task[None]] | None = None
    ) -> None:
        """Run `work` beside the auctions, kept referenced (in `tasks`) until it ends."""
        keep = self._background if tasks is None else tasks
        task = self._actors.loop.create_task(work)
        keep.add(task)
        task.add_done_callback(keep.discard)

    async def _open_lot(self, sale_id: int, lot: int, at: int) -> None:
        """Open lot `lot`; a lot cancelled while it waited is skipped (engine/sale.py)."""
        lots = await self.store.sale_lots(sale_id)
        for auction_id in lots[lot - 1 :]:
            try:
                await self.submit(auction_id, Work(OpenLot(), now=at, result="empty"))
                return
            except AuctionError:
                state = await self.state(auction_id)
                if state is None or state.status in (Status.SCHEDULED, Status.OPEN):
                    return  # already running (opened by someone else): nothing to do
                # closed or deleted before its turn: the lot after it goes

    async def _resume_sales(self, waiting: list[Auction]) -> None:
        """After a restart: open each waiting lot whose previous lot already closed."""
        for state in waiting:
            if state.sale_id is None or state.lot is None or state.lot < 2:
                continue
            lots = await self.store.sale_lots(state.sale_id)
            previous = await self.state(lots[state.lot - 2])
            if previous is not None and previous.status in (Status.CLOSED, Status.CANCELLED):
                at = previous.closed_at or self.clock.now_ms()
                await self._open_lot(state.sale_id, state.lot, at)


def _commit_of(
    start: Auction,
    final: _View,
    steps: list[tuple[Event, Auction]],
    notices: list[NoticeRecord],
    purchases: list[PurchaseRecord],
    replies: list[tuple[int, str, bytes]],
) -> Commit:
    """The store's record of one auction's decided batch."""
    state = final.state
    assert state.spec is not None
    return Commit(
        auction_id=state.id,
        expected_version=start.version,
        events=[event for event, _ in steps],
        row=final.admin,
        status=state.status.value,
        public=state.spec.public,
        deleted=state.deleted,
        sale_id=state.sale_id,
        notices=notices,
        purchases=purchases,
        idempotency=replies,
        row_json=final.admin_json,
    )


def _fail(work: Work, error: BaseException) -> None:
    """Refuse `work`, unless its caller went away (its future is cancelled)."""
    if not work.future.done():
        work.future.set_exception(error)


def _covers(cache: deque[Frame], first: int, last: int) -> bool:
    """Whether the cached frames hold every seq from `first` to `last`."""
    low, high = cache[0].seq, cache[-1].seq
    return low is not None and high is not None and low <= first and high >= last


class _View:
    """One state's auction object, built and encoded at most once (lazily).

    A batch's final state serves its last result, the stored row and both
    summaries; each encoding is made once and embedded where it goes.
    """

    __slots__ = ("_admin", "_admin_json", "_public_json", "names", "state")

    def __init__(self, state: Auction, names: dict[int, str]) -> None:
        self.state = state
        self.names = names
        self._admin: dict[str, Any] | None = None
        self._admin_json: bytes | None = None
        self._public_json: bytes | None = None

    @property
    def admin(self) -> dict[str, Any]:
        if self._admin is None:
            self._admin = auction_object(self.state, names=self.names)
        return self._admin

    @property
    def admin_json(self) -> bytes:
        if self._admin_json is None:
            self._admin_json = codec.encode(self.admin)
        return self._admin_json

    @property
    def public_json(self) -> bytes:
        if self._public_json is None:
            self._public_json = codec.encode(public_view(self.admin))
        return self._public_json

    def result(self, work: Work) -> bytes:
        """The encoded result of `work`: `{}` or `{"auction": ...}` in its caller's view."""
        if work.result == "empty" or self.state.spec is None:
            return _EMPTY
        return b'{"auction":' + (self.admin_json if work.admin else self.public_json) + b"}"


_EMPTY = codec.encode({})


def _people(states: Iterable[Auction]) -> set[int]:
    ids: set[int] = set()
    for state in states:
        if state.leader_id is not None:
            ids.add(state.leader_id)
        ids.update(sale.winner_id for sale in state.sales)
    return ids


def _notice_records(notices: Iterable[Any], at: int) -> list[NoticeRecord]:
    return [NoticeRecord(n.user_id, n.kind, dict(n.data), at) for n in notices]


def _purchases(events: Iterable[Event]) -> list[PurchaseRecord]:
    return [
        PurchaseRecord(e.auction_id, e.round, e.winner_id, e.price, e.at, e.buy_now)
        for e in events
        if isinstance(e, UnitSold)
    ]


def _is_conflict(e: BaseException) -> bool:
    return getattr(e, "code", None) == "conflict"


def _log_failure(future: asyncio.Future[bytes]) -> None:
    error = None if future.cancelled() else future.exception()
    if error is not None and (not isinstance(error, AuctionError) or isinstance(error, Internal)):
        log.error("timer command failed: %r", error)
