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
from auctioneer.service.actor import Work
from auctioneer.service.auction_view import AuctionView
from auctioneer.service.ports import Commit, Decision, NoticeRecord, PurchaseRecord, RequestRecord
from auctioneer.wire.timefmt import format_time

__all__ = ["commit_of", "decision_of", "notice_records", "purchases_of", "request_of"]


def commit_of(
    start: Auction,
    final: AuctionView,
    steps: list[tuple[Event, Auction]],
    notices: list[NoticeRecord],
    purchases: list[PurchaseRecord],
    *,
    idempotency: list[tuple[int, str, bytes]] | None = None,
    decisions: list[Decision] | None = None,
    requests: list[RequestRecord] | None = None,
    hashes: list[bytes | None] | None = None,
) -> Commit:
    """The store's record of one auction's decided batch: the log entries (its
    events and the decisions that made them) and what they project."""
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
        idempotency=idempotency or (),
        row_json=final.admin_json,
        decisions=decisions or (),
        requests=requests or (),
        hashes=hashes or (),
    )


def decision_of(first_version: int, work: Work | None) -> Decision:
    """Who made the events from `first_version` on: `work`'s request, or a deadline."""
    if work is None:
        return Decision(first_version)
    reply = "empty" if work.result == "empty" else "auction"
    return Decision(first_version, work.user_id, work.request_id, reply)


def request_of(auction_id: int, work: Work, version: int, at: int) -> RequestRecord:
    """The record that lets a retry of `work` get its reply rebuilt from the log:
    the auction as it stood at `version`, after the request."""
    assert work.user_id is not None and work.request_id is not None
    reply = "empty" if work.result == "empty" else "auction"
    return RequestRecord(work.user_id, work.request_id, auction_id, version, reply, at)


# Times in a notice's data that the engine gives in epoch ms, stored as the
# wire's ISO text (a notice's data goes out as stored).
_NOTICE_TIMES = {"ending_soon": ("ends_at",)}


def notice_records(notices: Iterable[Any], at: int) -> list[NoticeRecord]:
    records = []
    for n in notices:
        data = dict(n.data)
        for key in _NOTICE_TIMES.get(n.kind, ()):
            if isinstance(data.get(key), int):
                data[key] = format_time(data[key])
        records.append(NoticeRecord(n.user_id, n.kind, data, at))
    return records


def purchases_of(events: Iterable[Event]) -> list[PurchaseRecord]:
    return [
        PurchaseRecord(e.auction_id, e.round, e.winner_id, e.price, e.at, e.buy_now)
        for e in events
        if isinstance(e, UnitSold)
    ]
