"""What every backend shares: the checked plan of a commit, stats, the clock.

`plan_commit` turns a `Commit` into the exact rows to write, checking it
first, so the three backends write the same thing and only differ in how.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from auctioneer.engine.events import AuctionCreated
from auctioneer.service.ports import Commit, Decision, NoticeRecord, PurchaseRecord, RequestRecord
from auctioneer.store.records import dumps, event_data

__all__ = [
    "DECISION_CODES",
    "DECISION_REPLIES",
    "UNFINISHED_STATUSES",
    "CommitPlan",
    "EventRow",
    "StoreStats",
    "plan_commit",
    "system_clock_ms",
]

# Statuses whose auctions still need a timer (docs/protocol.md lifecycle).
UNFINISHED_STATUSES = ("scheduled", "open")


def system_clock_ms() -> int:
    """Wall-clock epoch ms, for `created_at` when no clock is injected."""
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class StoreStats:
    """Counters for tests and metrics.

    `transactions` counts committed write transactions; `appends` counts
    commits written by `append` (successful ones). Group commit shows as
    `appends / append_transactions` > 1.
    """

    transactions: int = 0
    append_transactions: int = 0
    appends: int = 0
    conflicts: int = 0
    largest_batch: int = 0

    def committed(self, appended: int, conflicts: int) -> None:
        """Count one committed write transaction with `appended` successful appends."""
        self.transactions += 1
        if appended:
            self.append_transactions += 1
            self.appends += appended
            self.largest_batch = max(self.largest_batch, appended)
        self.conflicts += conflicts


# The log's `decision` column: where a decision starts, and what its reply was.
DECISION_CODES = {"auction": 1, "empty": 2, None: 3}
DECISION_REPLIES = {code: reply for reply, code in DECISION_CODES.items()}


# Not frozen, as the service's records (service/ports.py): built per event and
# per commit, read once by the writer.
@dataclass(slots=True)
class EventRow:
    version: int
    seq: int | None
    type: str
    at: int
    data: bytes  # JSON
    user_id: int | None = None  # who caused it (the decision's request)
    request_id: str | None = None
    decision: int | None = None  # DECISION_CODES on a decision's first row, else None
    hash: bytes | None = None  # its link in the chain (32 bytes); None when private

    def log_params(self, auction_id: int) -> tuple[Any, ...]:
        """The log row in the column order both backends insert (the hash apart)."""
        return (
            auction_id,
            self.version,
            self.seq,
            self.type,
            self.at,
            self.data.decode(),
            self.user_id,
            self.request_id,
            self.decision,
        )


@dataclass(slots=True)
class CommitPlan:
    """The rows one commit writes, computed and checked before the transaction."""

    auction_id: int
    expected_version: int
    new_version: int
    last_seq: int  # highest public seq in the commit, 0 if none
    lot: int | None
    status: str
    public: bool
    deleted: bool
    sale_id: int | None
    events: tuple[EventRow, ...]
    row: bytes  # JSON
    notices: tuple[NoticeRecord, ...]
    notice_data: tuple[bytes, ...]  # JSON, one per notice
    purchases: tuple[PurchaseRecord, ...]
    idempotency: tuple[tuple[int, str, bytes], ...]  # (user_id, request_id, reply)
    requests: tuple[RequestRecord, ...]
    sale: tuple[int, bytes] | None  # (sale id, JSON) from commit.extra["sale"]
    at: int  # time of the commit (last event's `at`, else the clock), for idempotency rows

    def auction_params(self) -> tuple[Any, ...]:
        """The parameters of both backends' auction-row upsert, in their column order."""
        return (
            self.auction_id,
            self.status,
            self.public,
            self.deleted,
            self.sale_id,
            self.lot,
            self.row.decode(),
            self.new_version,
            self.last_seq,
        )


def one_per_auction(plans: Sequence[CommitPlan]) -> None:
    """`append_all` takes one commit per auction: two would need versions in between."""
    if len({plan.auction_id for plan in plans}) != len(plans):
        raise ValueError("append_all takes at most one commit per auction")


def plan_commit(commit: Commit, *, now_ms: Callable[[], int] = system_clock_ms) -> CommitPlan:
    """Check a commit and compute its rows.

    Raises:
        ValueError: the events do not belong to the auction, their versions
            are not expected_version+1, +2, ..., or a seq is above its version
            (reads by seq rely on seq <= version); a caller bug, nothing written.
        TypeError: the row, a notice or an event holds a value JSON cannot carry.
    """
    rows: list[EventRow] = []
    last_seq = 0
    causes = {d.first_version: d for d in commit.decisions}
    cause: Decision | None = None
    lot: int | None = None
    raw_lot = commit.row.get("lot")
    if isinstance(raw_lot, int) and not isinstance(raw_lot, bool):
        lot = raw_lot
    hashes = list(commit.hashes) or [None] * len(commit.events)
    if len(hashes) != len(commit.events):
        raise ValueError(f"{len(hashes)} hashes for {len(commit.events)} events")
    for i, event in enumerate(commit.events, start=1):
        link = hashes[i - 1]
        if link is not None and (event.seq is None or len(link) != 32):
            raise ValueError(f"event {event.event} at version {event.version} has a bad hash")
        if event.auction_id != commit.auction_id:
            raise ValueError(
                f"event {event.event} of auction {event.auction_id} "
                f"in a commit for auction {commit.auction_id}"
            )
        if event.version != commit.expected_version + i:
            raise ValueError(
                f"event {event.event} has version {event.version}, "
                f"expected {commit.expected_version + i}"
            )
        if event.seq is not None:
            if event.seq <= last_seq:
                raise ValueError(f"event seqs must increase, got {event.seq} after {last_seq}")
            if event.seq > event.version:
                raise ValueError(f"event seq {event.seq} is above its version {event.version}")
            last_seq = event.seq
        if isinstance(event, AuctionCreated) and event.lot is not None:
            lot = event.lot
        starts = causes.get(event.version)
        cause = starts or cause
        rows.append(
            EventRow(
                version=event.version,
                seq=event.seq,
                type=event.event,
                at=event.at,
                data=dumps(event_data(event)),
                user_id=cause.user_id if cause else None,
                request_id=cause.request_id if cause else None,
                decision=DECISION_CODES[starts.reply] if starts else None,
                hash=link,
            )
        )
    sale: tuple[int, bytes] | None = None
    raw_sale: Any = commit.extra.get("sale")
    if isinstance(raw_sale, dict):
        sale = (int(raw_sale["id"]), dumps(raw_sale))
    at = max((e.at for e in commit.events), default=None)
    return CommitPlan(
        auction_id=commit.auction_id,
        expected_version=commit.expected_version,
        new_version=commit.expected_version + len(rows),
        last_seq=last_seq,
        lot=lot,
        status=str(commit.status),
        public=commit.public,
        deleted=commit.deleted,
        sale_id=commit.sale_id,
        events=tuple(rows),
        row=commit.row_json if commit.row_json is not None else dumps(commit.row),
        notices=tuple(commit.notices),
        notice_data=tuple(dumps(n.data) for n in commit.notices),
        purchases=tuple(commit.purchases),
        idempotency=tuple(commit.idempotency),
        requests=tuple(commit.requests),
        sale=sale,
        at=at if at is not None else now_ms(),
    )
