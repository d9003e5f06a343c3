"""An in-process EventStore with the semantics of the SQL ones (for fast tests).

Nothing survives the process. Each method runs without awaiting in between,
so on one event loop every call is atomic, like a transaction. Rows, notices
and replies are kept as JSON bytes and decoded on read, so callers get fresh
copies and a value JSON cannot carry fails here as it would in SQLite.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from auctioneer.engine.events import BidPlaced, Event
from auctioneer.service.ports import (
    Commit,
    Decision,
    Projected,
    PurchaseRecord,
    RequestRecord,
    StoredNotice,
    TokenRecord,
    UserRecord,
)
from auctioneer.store.base import (
    DECISION_REPLIES,
    UNFINISHED_STATUSES,
    CommitPlan,
    StoreStats,
    one_per_auction,
    plan_commit,
    system_clock_ms,
)
from auctioneer.store.budgets import MemoryBudgetRecords
from auctioneer.store.chain_memory import MemoryChain
from auctioneer.store.errors import (
    ConcurrencyConflict,
    StoreError,
    StoreUnavailable,
    UsernameTaken,
)
from auctioneer.store.house_memory import MemoryHouseRecords
from auctioneer.store.records import loads
from auctioneer.store.watch_memory import MemoryWatchRecords

__all__ = ["MemoryStore"]


class _AuctionRow:
    __slots__ = ("deleted", "lot", "public", "row", "sale_id", "seq", "status", "version")

    def __init__(self, plan: CommitPlan) -> None:
        self.status = plan.status
        self.public = plan.public
        self.deleted = plan.deleted
        self.sale_id = plan.sale_id
        self.lot = plan.lot
        self.row = plan.row
        self.version = plan.new_version
        self.seq = plan.last_seq


class MemoryStore(MemoryChain, MemoryHouseRecords, MemoryWatchRecords, MemoryBudgetRecords):
    """The EventStore Protocol in memory. `stats` counts transactions."""

    def __init__(self, *, clock: Callable[[], int] = system_clock_ms) -> None:
        self._now_ms = clock
        self.stats = StoreStats()
        self._open = False
        self._events: dict[int, list[Event]] = {}  # by version - 1
        self._public: dict[int, list[Event]] = {}  # in seq order
        self._auctions: dict[int, _AuctionRow] = {}
        self._sales: dict[int, bytes] = {}
        self._counters: dict[str, int] = {}
        self._users: dict[int, UserRecord] = {}
        self._user_names: dict[str, int] = {}  # casefolded name -> id
        self._tokens: dict[str, TokenRecord] = {}
        self._user_changed: dict[int, int] = {}  # user id -> epoch ms of its last change
        self._notices: dict[int, list[StoredNotice]] = {}
        self._notice_data: dict[tuple[int, int], bytes] = {}
        self._purchases: list[PurchaseRecord] = []
        self._replies: dict[tuple[int, str], bytes] = {}
        self._reply_times: dict[tuple[int, str], int] = {}
        self._requests: dict[tuple[int, str], RequestRecord] = {}
        self._decisions: dict[int, list[Decision]] = {}

    async def open(self) -> None:
        self._open = True

    async def close(self) -> None:
        self._open = False

    async def ping(self) -> None:
        self._check_open()

    def _check_open(self) -> None:
        if not self._open:
            raise StoreUnavailable("memory", "the store is not open")

    def _committed(self) -> None:
        self.stats.transactions += 1

    # -- auctions ---------------------------------------------------------------

    async def allocate_ids(self, kind: str, count: int = 1) -> list[int]:
        self._check_open()
        if count < 1:
            raise ValueError("count must be at least 1")
        last = self._counters.get(kind, 0)
        self._counters[kind] = last + count
        self._committed()
        return list(range(last + 1, last + count + 1))

    async def append(self, commit: Commit) -> Projected:
        """The log and its projections at once (nothing to lose in memory)."""
        self._check_open()
        plan = plan_commit(commit, now_ms=self._now_ms)
        self._check([plan])
        # Checked: from here on nothing can fail, so the commit is all or nothing.
        done: asyncio.Future[list[StoredNotice]] = asyncio.get_running_loop().create_future()
        done.set_result(self._apply(plan, commit))
        return done

    async def append_all(self, commits: Sequence[Commit]) -> list[list[StoredNotice]]:
        self._check_open()
        plans = [plan_commit(commit, now_ms=self._now_ms) for commit in commits]
        one_per_auction(plans)
        self._check(plans)
        return [self._apply(plan, commit) for plan, commit in zip(plans, commits, strict=True)]

    def _check(self, plans: Sequence[CommitPlan]) -> None:
        """Raise ConcurrencyConflict if any of the plans cannot be written."""
        keys: list[tuple[int, str]] = []
        for plan in plans:
            current = self._auctions.get(plan.auction_id)
            stored_version = current.version if current is not None else 0
            if stored_version != plan.expected_version:
                self.stats.conflicts += 1
                raise ConcurrencyConflict(plan.auction_id, plan.expected_version)
            keys.extend((user_id, request_id) for user_id, request_id, _ in plan.idempotency)
            if len(set(keys)) != len(keys) or any(k in self._replies for k in keys):
                self.stats.conflicts += 1
                raise ConcurrencyConflict(
                    plan.auction_id, plan.expected_version, reason="request_id"
                )

    def _apply(self, plan: CommitPlan, commit: Commit) -> list[StoredNotice]:
        current = self._auctions.get(plan.auction_id)
        log = self._events.setdefault(plan.auction_id, [])
        public = self._public.setdefault(plan.auction_id, [])
        self._link(plan)
        for event in commit.events:
            log.append(event)
            if event.seq is not None:
                public.append(event)
        self._decisions.setdefault(plan.auction_id, []).extend(
            Decision(row.version, row.user_id, row.request_id, DECISION_REPLIES[row.decision])
            for row in plan.events
            if row.decision is not None
        )
        for request in plan.requests:
            self._requests.setdefault((request.user_id, request.request_id), request)
        if current is None:
            self._auctions[plan.auction_id] = _AuctionRow(plan)
        else:
            current.status = plan.status
            current.public = plan.public
            current.deleted = plan.deleted
            current.sale_id = plan.sale_id
            if plan.lot is not None:
                current.lot = plan.lot
            current.row = plan.row
            current.version = plan.new_version
            current.seq = max(current.seq, plan.last_seq)
        stored: list[StoredNotice] = []
        for notice, data in zip(plan.notices, plan.notice_data, strict=True):
            mine = self._notices.setdefault(notice.user_id, [])
            seq = len(mine) + 1
            self._notice_data[(notice.user_id, seq)] = data
            mine.append(StoredNotice(notice.user_id, seq, notice.kind, loads(data), notice.at))
            stored.append(StoredNotice(notice.user_id, seq, notice.kind, loads(data), notice.at))
        units = {(p.auction_id, p.round) for p in self._purchases}
        self._purchases.extend(p for p in plan.purchases if (p.auction_id, p.round) not in units)
        for user_id, request_id, reply in plan.idempotency:
            self._replies[(user_id, request_id)] = bytes(reply)
            self._reply_times[(user_id, request_id)] = plan.at
        if plan.sale is not None:
            self._sales[plan.sale[0]] = plan.sale[1]
        self._committed()
        self.stats.append_transactions += 1
        self.stats.appends += 1
        self.stats.largest_batch = max(self.stats.largest_batch, 1)
        return stored

    async def load_events(
        self, auction_id: int, after_version: int = 0, *, limit: int | None = None
    ) -> list[Event]:
        self._check_open()
        start = max(after_version, 0)
        end = None if limit is None else start + max(limit, 0)
        return list(self._events.get(auction_id, [])[start:end])

    async def bids(
        self, auction_id: int, *, before_seq: int | None = None, limit: int = 100
    ) -> list[Event]:
        self._check_open()
        out: list[Event] = []
        if limit <= 0:
            return out
        for event in reversed(self._public.get(auction_id, [])):
            if not isinstance(event, BidPlaced):
                continue
            if before_seq is not None and (event.seq or 0) >= before_seq:
                continue
            out.append(event)
            if len(out) >= limit:
                break
        return out

    async def auction_rows(
        self,
        *,
        statuses: Sequence[str] | None = None,
        sale_id: int | None = None,
        include_private: bool = False,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        self._check_open()
        wanted = None if statuses is None else {str(s) for s in statuses}
        out: list[dict[str, Any]] = []
        for auction_id in sorted(self._auctions):
            a = self._auctions[auction_id]
            if wanted is not None and a.status not in wanted:
                continue
            if sale_id is not None and a.sale_id != sale_id:
                continue
            if not include_private and not a.public:
                continue
            if not include_deleted and a.deleted:
                continue
            out.append(loads(a.row))
        return out

    async def auction_row(self, auction_id: int) -> dict[str, Any] | None:
        self._check_open()
        a = self._auctions.get(auction_id)
        return None if a is None else dict(loads(a.row))

    async def unfinished_auction_ids(self) -> list[int]:
        self._check_open()
        return sorted(i for i, a in self._auctions.items() if a.status in UNFINISHED_STATUSES)

    async def sale_lots(self, sale_id: int) -> list[int]:
        self._check_open()
        lots = [(a.lot, i) for i, a in self._auctions.items() if a.sale_id == sale_id]
        lots.sort(key=lambda p: (p[0] is None, p[0] or 0, p[1]))
        return [i for _, i in lots]

    async def sale_row(self, sale_id: int) -> dict[str, Any] | None:
        """The sale as last written through `Commit.extra["sale"]`, if any."""
        self._check_open()
        data = self._sales.get(sale_id)
        return None if data is None else dict(loads(data))

    # -- idempotency ------------------------------------------------------------

    async def stored_reply(self, user_id: int, request_id: str) -> bytes | RequestRecord | None:
        self._check_open()
        key = (user_id, request_id)
        return self._replies.get(key) or self._requests.get(key)

    async def requests(self, since_ms: int) -> list[RequestRecord]:
        self._check_open()
        return [r for r in self._requests.values() if r.at >= since_ms]

    async def project(self, commit: Commit) -> list[StoredNotice]:
        raise StoreError("the memory store writes projections with the log")

    async def unprojected(self) -> list[tuple[int, int]]:
        self._check_open()
        return []  # the log and its projections are written together here

    async def decisions(self, auction_id: int, after_version: int = 0) -> list[Decision]:
        self._check_open()
        return [d for d in self._decisions.get(auction_id, []) if d.first_version > after_version]

    async def save_reply(self, user_id: int, request_id: str, result: bytes) -> None:
        """Store a reply outside a commit; the first reply stored for a key stays."""
        self._check_open()
        key = (user_id, request_id)
        if key not in self._replies:
            self._replies[key] = bytes(result)
            self._reply_times[key] = self._now_ms()
        self._committed()

    async def request_ids(self, since_ms: int) -> list[tuple[int, str]]:
        self._check_open()
        return sorted(k for k, at in self._reply_times.items() if at >= since_ms)

    async def forget_replies(self, before_ms: int, limit: int) -> int:
        self._check_open()
        old = [k for k, at in self._reply_times.items() if at < before_ms][:limit]
        for key in old:
            del self._replies[key], self._reply_times[key]
        requests = [k for k, r in self._requests.items() if r.at < before_ms][:limit]
        for key in requests:
            del self._requests[key]
        self._committed()
        return len(old) + len(requests)

    # -- users and tokens -------------------------------------------------------

    async def create_user(self, username: str, password_hash: str, role: str) -> UserRecord:
        self._check_open()
        key = username.casefold()
        if key in self._user_names:
            raise UsernameTaken(username)
        user_id = self._counters.get("user", 0) + 1
        paddle = self._counters.get("paddle", 0) + 1
        self._counters["user"] = user_id
        self._counters["paddle"] = paddle
        user = UserRecord(user_id, username, password_hash, role, paddle, self._now_ms())
        self._users[user_id] = user
        self._user_names[key] = user_id
        self._committed()
        return user

    async def user_by_name(self, username: str) -> UserRecord | None:
        self._check_open()
        user_id = self._user_names.get(username.casefold())
        return None if user_id is None else self._users[user_id]

    async def user_by_id(self, user_id: int) -> UserRecord | None:
        self._check_open()
        return self._users.get(user_id)

    async def users_by_ids(self, user_ids: Sequence[int]) -> dict[int, UserRecord]:
        self._check_open()
        return {i: self._users[i] for i in user_ids if i in self._users}

    async def add_token(self, token_hash: str, user_id: int, expires_at: int) -> None:
        self._check_open()
        self._tokens[token_hash] = TokenRecord(token_hash, user_id, expires_at, False)
        self._committed()

    async def token(self, token_hash: str) -> TokenRecord | None:
        self._check_open()
        return self._tokens.get(token_hash)

    async def revoke_token(self, token_hash: str) -> None:
        self._check_open()
        token = self._tokens.get(token_hash)
        if token is not None:
            self._tokens[token_hash] = TokenRecord(
                token.token_hash, token.user_id, token.expires_at, True
            )
        self._committed()

    async def update_user(
        self,
        user_id: int,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        password_hash: str | None = None,
    ) -> UserRecord | None:
        self._check_open()
        user = self._users.get(user_id)
        if user is None:
            return None
        user = self._users[user_id] = dataclasses.replace(
            user,
            role=user.role if role is None else role,
            disabled=user.disabled if disabled is None else disabled,
            password_hash=user.password_hash if password_hash is None else password_hash,
            changed_at=self._now_ms(),
        )
        self._user_changed[user_id] = user.changed_at
        self._committed()
        return user

    async def revoke_tokens(self, user_id: int, *, keep: str | None = None) -> int:
        self._check_open()
        revoked = 0
        for token_hash, token in list(self._tokens.items()):
            if token.user_id == user_id and token_hash != keep and not token.revoked:
                self._tokens[token_hash] = dataclasses.replace(token, revoked=True)
                revoked += 1
        if user_id in self._users:
            now = self._user_changed[user_id] = self._now_ms()
            self._users[user_id] = dataclasses.replace(self._users[user_id], changed_at=now)
        self._committed()
        return revoked

    async def users_changed(self, since_ms: int) -> list[UserRecord]:
        self._check_open()
        changed = sorted(uid for uid, at in self._user_changed.items() if at > since_ms)
        return [self._users[uid] for uid in changed]

    async def purge_tokens(self, before_ms: int, limit: int) -> int:
        self._check_open()
        old = [h for h, t in self._tokens.items() if t.revoked or t.expires_at < before_ms][
            : max(limit, 0)
        ]
        for token_hash in old:
            del self._tokens[token_hash]
        self._committed()
        return len(old)

    # -- notices and purchases --------------------------------------------------

    async def notices(self, user_id: int, after_seq: int = 0) -> list[StoredNotice]:
        self._check_open()
        return [
            StoredNotice(
                n.user_id, n.seq, n.kind, loads(self._notice_data[(n.user_id, n.seq)]), n.at
            )
            for n in self._notices.get(user_id, [])[max(after_seq, 0) :]
        ]

    async def last_notice_seq(self, user_id: int) -> int:
        self._check_open()
        return len(self._notices.get(user_id, []))

    async def purchases(self, user_id: int | None = None) -> list[PurchaseRecord]:
        self._check_open()
        return [p for p in self._purchases if user_id is None or p.user_id == user_id]
