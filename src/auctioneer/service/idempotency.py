"""First replies kept for retries (docs/protocol.md rule 10).

A write retried with the same request id by the same user gets its first
reply and changes nothing. Replies of this process live in memory (bounded).
The store does not keep an accepted request's reply: its log rows say which
request made them, and a record of the request (written behind) says where
its reply is rebuilt from (`RequestRecord`: the auction at a version). The
store keeps the bytes only of what the log cannot rebuild (a sale's reply, a
refusal). Either way a retry after a restart, or through another process,
finds its first reply for IDEMPOTENCY_WINDOW_MS. The store is asked only for
ids it may hold (written before this process started, or forgotten from
memory), so a fresh id costs no read on the write path.
"""

from __future__ import annotations

import asyncio
import logging

from auctioneer import engine
from auctioneer.service.auction_view import EMPTY_RESULT, AuctionView, people_in
from auctioneer.service.ledger import stored_head
from auctioneer.service.ports import Clock, EventStore, RequestRecord
from auctioneer.service.users import UserService

__all__ = [
    "FORGET_CHUNK",
    "FORGET_EVERY_S",
    "IDEMPOTENCY_WINDOW_MS",
    "REFRESH_MARGIN_MS",
    "Replies",
    "ReplyKey",
]

log = logging.getLogger(__name__)

IDEMPOTENCY_WINDOW_MS = 7 * 24 * 3600 * 1000  # a retry older than a week runs again
FORGET_EVERY_S = 3600.0  # how often stored replies older than the window are deleted
FORGET_CHUNK = 5000  # replies deleted per write, so other writes are not held up
MEMORY_LIMIT = 200_000  # replies kept in memory before they are left to the store

ReplyKey = tuple[int, str]  # (user_id, request_id)


REFRESH_MARGIN_MS = 60_000


class Replies:
    """The first reply of every (user, request id) this house has answered."""

    def __init__(self, store: EventStore, clock: Clock, users: UserService) -> None:
        self._store = store
        self._clock = clock
        self._users = users
        self._cache: dict[ReplyKey, bytes] = {}
        self._known: set[ReplyKey] = set()  # stored, not (or no longer) in the cache
        self._recorded: dict[ReplyKey, RequestRecord] = {}  # rebuilt from the log on demand
        self._saving: set[asyncio.Task[None]] = set()  # refusals on their way to the store
        self._forgetting: asyncio.Task[None] | None = None
        self._learned_at = 0  # epoch ms of the last read of the stored ids

    async def start(self) -> None:
        """Learn which ids the store holds, and start deleting expired ones hourly."""
        now = self._clock.now_ms()
        since = now - IDEMPOTENCY_WINDOW_MS
        self._learned_at = now
        self._known = set(await self._store.request_ids(since))
        for record in await self._store.requests(since):
            self._recorded[(record.user_id, record.request_id)] = record
        self._forgetting = asyncio.get_running_loop().create_task(self._forget_old())

    async def refresh(self) -> None:
        """Learn the ids stored since the last look (by other processes): this
        process now owns auctions they wrote to (service/handover.py). Only
        what was stored since then, less REFRESH_MARGIN_MS for the writers'
        clocks and commits, so a move reads the newest records, not the week's."""
        now = self._clock.now_ms()
        since = max(now - IDEMPOTENCY_WINDOW_MS, self._learned_at - REFRESH_MARGIN_MS)
        self._learned_at = now
        self._known.update(await self._store.request_ids(since))
        for record in await self._store.requests(since):
            self._recorded.setdefault((record.user_id, record.request_id), record)

    async def stop(self) -> None:
        """Stop the hourly clean-up; let refusals on their way reach the store."""
        if self._forgetting is not None:
            self._forgetting.cancel()
            await asyncio.wait({self._forgetting})
        if self._saving:
            await asyncio.wait(self._saving, timeout=5)

    def cached(self, key: ReplyKey) -> bytes | None:
        """The reply in memory, without a coroutine (the write path asks per command)."""
        return self._cache.get(key)

    def may_be_stored(self, key: ReplyKey) -> bool:
        """Whether the store may hold a reply this process does not have in memory."""
        return key in self._known or key in self._recorded

    async def stored(
        self, key: ReplyKey, *, ask_store: bool = False
    ) -> bytes | RequestRecord | None:
        """The first reply to `key`, or where to rebuild it from, if there was one.

        Args:
            ask_store: ask the store even for an id it is not known to hold
                (another process may have written it meanwhile).
        """
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        recorded = self._recorded.get(key)
        if recorded is not None:
            return recorded
        if not ask_store and key not in self._known:
            return None
        return await self._store.stored_reply(*key)

    async def first_reply(
        self, key: ReplyKey, *, admin: bool, ask_store: bool = False
    ) -> bytes | None:
        """The first reply to `key` as its caller saw it (`admin`: the admin view
        of an auction), rebuilt from the log when the store did not keep it."""
        stored = await self.stored(key, ask_store=ask_store)
        if isinstance(stored, RequestRecord):
            return await self._rebuilt(stored, admin=admin)
        return stored

    async def _rebuilt(self, record: RequestRecord, *, admin: bool) -> bytes:
        """The auction as the request left it: replayed up to its version."""
        if record.reply == "empty":
            return EMPTY_RESULT
        events = await self._store.load_events(record.auction_id, 0, limit=record.version)
        state = engine.replay(record.auction_id, events)
        names = await self._users.names(people_in([state])) if admin else {}
        head = await stored_head(self._store, state)
        return AuctionView(state, names, head.log_hash).result(empty=False, admin=admin)

    def remember(self, user_id: int, request_id: str, result: bytes) -> None:
        """Keep a durable reply in memory for retries."""
        if len(self._cache) > MEMORY_LIMIT:
            # Bounded memory: forget the replies but not that they exist, so a
            # retry of one of them asks the store instead of running again.
            self._known.update(self._cache)
            self._cache.clear()
        self._cache[(user_id, request_id)] = result

    def forget(self, key: ReplyKey) -> None:
        """Drop a reply that was never made durable (its batch is decided again)."""
        self._cache.pop(key, None)

    def keep_refusals(self, refused: list[tuple[int, str, bytes]]) -> None:
        """Store refusals that came without a commit, off the auction's path.

        They are remembered in memory already; the store makes them outlive a
        restart and reach other processes. One group commit takes them all.
        """

        async def keep() -> None:
            try:
                await asyncio.gather(*(self._store.save_reply(*row) for row in refused))
            except Exception:  # a retry would run again: nothing was changed either way
                log.exception("storing %d refusals failed", len(refused))

        task = asyncio.get_running_loop().create_task(keep())
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)

    async def _forget_old(self) -> None:
        """Delete stored replies past the window, now and then every hour.

        They are honoured for IDEMPOTENCY_WINDOW_MS only, so keeping them
        would only grow the database (a bid's reply holds the whole auction).
        """
        while True:
            try:
                await self.forget_before(self._clock.now_ms() - IDEMPOTENCY_WINDOW_MS)
            except Exception:  # tried again next time; nothing depends on it
                log.exception("deleting old stored replies failed")
            await asyncio.sleep(FORGET_EVERY_S)

    async def forget_before(self, before_ms: int) -> int:
        """Delete every stored reply written before `before_ms`, a chunk per write."""
        total = 0
        while (gone := await self._store.forget_replies(before_ms, FORGET_CHUNK)) > 0:
            total += gone
            if gone < FORGET_CHUNK:
                break
        return total
