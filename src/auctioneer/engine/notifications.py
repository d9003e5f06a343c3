"""Personal notices for the `user:me` topic, derived from an auction's new events.

`notices(before, events)` folds the events over the state they were decided
against and says who must be told what. It is pure: the service appends the
notices (the store gives each user its own seq) and publishes them.

Kinds and their `data` (JSON-able: ints, strings, booleans, None):

- `outbid`: a user who led the round before or during these events and does
  not lead at the end of them: auction_id, name, amount (the current bid
  now), round. A proxy that answers at once (same command) is not an outbid
  for its owner; the manual bidder it beat is.
- `won`: the winner of a `unit_sold`: auction_id, name, price, round, buy_now.
- `auction_lost`: when a round closes, every user who bid in it and did not
  win it: auction_id, name, price (the winning price, or None when the round
  sold nothing), round, reason (the close reason; `ended` or `buy_now` for a
  round of a multi-unit lot that goes on).
- `auto_bid_exhausted`: the owner of a maximum that can no longer lead:
  auction_id, name, max_amount, current_bid.
- `ending_soon`: every watcher an `EndingSoon` event names (engine/reminders.py):
  auction_id, name, round, ends_at (epoch ms here; the service stores it as the wire's ISO
  text), threshold_s
  (the point reached, in seconds before the end), current_bid.
- `budget_reached`: the owner of a maximum withdrawn because its sale budget
  allows no more (engine/budget.py): auction_id, name, max_amount, sale_id.

Within one call the notices come in event order, each round's `outbid`
before its `auto_bid_exhausted`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from auctioneer.engine.events import (
    AuctionClosed,
    AutoBidExhausted,
    AutoBidWithdrawn,
    BidPlaced,
    CloseReason,
    EndingSoon,
    Event,
    UnitSold,
)
from auctioneer.engine.fold import fold_steps
from auctioneer.engine.state import Auction

__all__ = ["NOTICE_KINDS", "Notice", "NoticeData", "notices"]

NoticeData = dict[str, int | str | bool | None]
NOTICE_KINDS = (
    "outbid",
    "won",
    "auction_lost",
    "auto_bid_exhausted",
    "ending_soon",
    "budget_reached",
)


@dataclass(frozen=True, slots=True)
class Notice:
    """One message for one user's `user:me` topic."""

    user_id: int
    kind: str
    data: NoticeData


@dataclass(slots=True)
class _Round:
    """What one round's slice of the events owes its users, sent at its end."""

    displaced: dict[int, None] = field(default_factory=dict)  # ordered set
    exhausted: list[Notice] = field(default_factory=list)


def _name(state: Auction) -> str:
    return state.spec.name if state.spec is not None else ""


def _flush(out: list[Notice], pending: _Round, state: Auction) -> None:
    """Send what the round owes (to `out`) and empty `pending` for the next one."""
    for user_id in pending.displaced:
        if user_id != state.leader_id:
            data: NoticeData = {
                "auction_id": state.id,
                "name": _name(state),
                "amount": state.current_bid,
                "round": state.round,
            }
            out.append(Notice(user_id, "outbid", data))
    out.extend(pending.exhausted)
    pending.displaced.clear()
    pending.exhausted.clear()


def _lost(
    state: Auction, losers: Sequence[int], *, price: int | None, rnd: int, reason: str
) -> list[Notice]:
    return [
        Notice(
            user_id,
            "auction_lost",
            {
                "auction_id": state.id,
                "name": _name(state),
                "price": price,
                "round": rnd,
                "reason": reason,
            },
        )
        for user_id in losers
    ]


def notices(before: Auction, events: Sequence[Event]) -> list[Notice]:
    """Who must be told what, now that `events` happened to `before`.

    Args:
        before: the auction state the events were decided against.
        events: the events of one decision (or any run of consecutive events).

    Returns:
        The notices, in order.

    Raises:
        InvalidCommand: the events do not follow `before` (see `evolve`).
    """
    out: list[Notice] = []
    pending = _Round()
    sold: UnitSold | None = None  # a final sale whose AuctionClosed follows
    state = before
    for event, after in fold_steps(before, events):  # a decision's own states, not refolded
        prev, state = state, after
        if isinstance(event, BidPlaced):
            if prev.leader_id is not None and prev.leader_id != event.bidder_id:
                pending.displaced[prev.leader_id] = None
        elif isinstance(event, AutoBidExhausted):
            data: NoticeData = {
                "auction_id": state.id,
                "name": _name(state),
                "max_amount": event.max_amount,
                "current_bid": state.current_bid,
            }
            pending.exhausted.append(Notice(event.bidder_id, "auto_bid_exhausted", data))
        elif isinstance(event, EndingSoon):
            soon: NoticeData = {
                "auction_id": state.id,
                "name": _name(state),
                "round": event.round,
                "ends_at": event.ends_at,
                "threshold_s": min(event.thresholds),
                "current_bid": state.current_bid,
            }
            out.extend(Notice(user_id, "ending_soon", soon) for user_id in event.watchers)
        elif isinstance(event, AutoBidWithdrawn):
            reached: NoticeData = {
                "auction_id": state.id,
                "name": _name(state),
                "max_amount": event.max_amount,
                "sale_id": state.sale_id,
            }
            pending.exhausted.append(Notice(event.bidder_id, "budget_reached", reached))
        elif isinstance(event, UnitSold):
            _flush(out, pending, prev)
            won: NoticeData = {
                "auction_id": state.id,
                "name": _name(state),
                "price": event.price,
                "round": event.round,
                "buy_now": event.buy_now,
            }
            out.append(Notice(event.winner_id, "won", won))
            if event.final or event.units_left == 0:
                sold = event
            else:
                reason = CloseReason.BUY_NOW if event.buy_now else CloseReason.ENDED
                losers = sorted(prev.round_bidders - {event.winner_id})
                out += _lost(state, losers, price=event.price, rnd=event.round, reason=reason.value)
        elif isinstance(event, AuctionClosed):
            _flush(out, pending, prev)
            if sold is not None:
                losers = sorted(prev.round_bidders - {sold.winner_id})
                reason = event.reason
                out += _lost(state, losers, price=sold.price, rnd=sold.round, reason=reason.value)
            else:
                losers = sorted(prev.round_bidders)
                out += _lost(state, losers, price=None, rnd=prev.round, reason=event.reason.value)
    _flush(out, pending, state)
    return out
