"""What a decided batch writes: the store's `Commit` and its derived records.

The notices and purchases a batch owes are derived from its events by the
engine (`engine.notices`, the `UnitSold` events); the auction's row is the
batch's final state rendered once (`AuctionView`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auctioneer.engine.events import Event, UnitSold
from auctioneer.engine.state import Auction
from auctioneer.service.auction_view import AuctionView
from auctioneer.service.ports import Commit, NoticeRecord, PurchaseRecord

__all__ = ["commit_of", "notice_records", "purchases_of"]


def commit_of(
    start: Auction,
    final: AuctionView,
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


def notice_records(notices: Iterable[Any], at: int) -> list[NoticeRecord]:
    return [NoticeRecord(n.user_id, n.kind, dict(n.data), at) for n in notices]


def purchases_of(events: Iterable[Event]) -> list[PurchaseRecord]:
    return [
        PurchaseRecord(e.auction_id, e.round, e.winner_id, e.price, e.at, e.buy_now)
        for e in events
        if isinstance(e, UnitSold)
    ]
