"""Rounds: closing a round, selling a unit, starting the next round, buy-now.

docs/protocol.md rules 5, 6 and 7. A lot of `quantity` units sells one unit per
round; `UnitSold` both records the sale and (unless `final`) starts the next
round, whose losers' proxies then bid at once.

Decisions where docs/protocol.md is silent:

- Round close: the leader wins at `current_bid` if the reserve is met (or
  there is none): `unit_sold`, then for the last unit `auction_closed` with
  reason `ended` (quantity 1) or `sold_out` (quantity > 1). A leader below
  the reserve: `auction_closed` `reserve_not_met`, remaining units unsold.
  No bid in the round: `auction_closed` `no_bids`, remaining units unsold.
- `auction_closed` carries `winner`/`price` only when that close sold a
  unit; earlier rounds' sales stay in the auction's `sales`.
- Admin close of an open auction ends the whole lot now: a leader with the
  reserve met wins the current round (`unit_sold` with `final`, then
  `auction_closed` `admin` with winner and price); a leader below the
  reserve gives `reserve_not_met`; no bid in the round gives `admin`. The
  remaining units stay unsold. Admin close of a scheduled auction: `admin`.
- Buy-now (rule 7) is offered while the round has no bid and `buy_now` is
  set, before the round's end; anyone may take it. It sells the round's unit
  at `buy_now` (`unit_sold` with `buy_now: true`); a single unit closes with
  `buy_now`, the last of several with `sold_out`; otherwise the next round
  starts at once.
- A lot of a sale that was running and closes (any reason, even cancelled or
  deleted) names the next lot in `auction_closed.next_lot`; a lot that closes
  before it ever opened does not.
"""

from __future__ import annotations

from auctioneer.engine.bidding import require_running
from auctioneer.engine.budget import check_budget
from auctioneer.engine.commands import BuyNow
from auctioneer.engine.errors import BuyNowUnavailable
from auctioneer.engine.events import AuctionClosed, CloseReason, Event, UnitSold
from auctioneer.engine.fold import Draft
from auctioneer.engine.proxy import resolve
from auctioneer.engine.softclose import next_round_ends_at
from auctioneer.engine.state import Auction, Status

__all__ = ["buy_now_offered", "close_round", "decide_buy_now", "emit_close", "sell_unit"]


def emit_close(
    draft: Draft,
    reason: CloseReason,
    *,
    winner_id: int | None = None,
    paddle: int | None = None,
    price: int | None = None,
) -> None:
    """Emit `AuctionClosed`, naming the next lot if this was a running sale lot."""
    state = draft.state
    running_lot = state.status is Status.OPEN and state.sale_id is not None
    next_lot = state.lot + 1 if running_lot and state.lot is not None else None
    draft.emit(
        AuctionClosed,
        reason=reason,
        winner_id=winner_id,
        paddle=paddle,
        price=price,
        sale_id=state.sale_id,
        next_lot=next_lot,
    )


def sell_unit(
    draft: Draft,
    *,
    winner_id: int,
    paddle: int,
    price: int,
    buy_now: bool = False,
    admin: bool = False,
) -> None:
    """Sell the round's unit; close the lot or start the next round (rule 6)."""
    state = draft.state
    assert state.spec is not None
    units_left = state.units_left - 1
    final = admin or units_left == 0
    draft.emit(
        UnitSold,
        round=state.round,
        winner_id=winner_id,
        paddle=paddle,
        price=price,
        units_left=units_left,
        buy_now=buy_now,
        next_ends_at=None if final else next_round_ends_at(state, draft.now),
        final=final,
    )
    if not final:
        resolve(draft)  # the losers' maxima bid at once in the new round
        return
    if admin:
        reason = CloseReason.ADMIN
    elif state.spec.quantity > 1:
        reason = CloseReason.SOLD_OUT
    else:
        reason = CloseReason.BUY_NOW if buy_now else CloseReason.ENDED
    emit_close(draft, reason, winner_id=winner_id, paddle=paddle, price=price)


def close_round(draft: Draft, *, admin: bool = False) -> None:
    """Close the open round at its end (or now, for an admin close): rule 5."""
    state = draft.state
    if state.leader_id is None:
        emit_close(draft, CloseReason.ADMIN if admin else CloseReason.NO_BIDS)
    elif not state.reserve_ok:
        emit_close(draft, CloseReason.RESERVE_NOT_MET)
    else:
        assert state.leader_paddle is not None and state.current_bid is not None
        sell_unit(
            draft,
            winner_id=state.leader_id,
            paddle=state.leader_paddle,
            price=state.current_bid,
            admin=admin,
        )


def buy_now_offered(state: Auction) -> bool:
    """Whether the server offers buy-now right now (rule 7): the auction has a
    buy-now price, is open and not deleted, and its round has no bid yet.

    Stated to clients as `buy_now_available`, so none of them recomputes it.
    """
    spec = state.spec
    return (
        spec is not None
        and spec.buy_now is not None
        and state.status is Status.OPEN
        and not state.deleted
        and state.current_bid is None
    )


def decide_buy_now(state: Auction, command: BuyNow, now: int) -> list[Event]:
    """Buy the round's unit at the buy-now price (rule 7).

    Returns:
        `UnitSold` (buy_now), then `AuctionClosed` or the next round's proxy bids.

    Raises:
        AuctionNotOpen: the round's end has passed.
        BuyNowUnavailable: the auction has no buy-now price, or the round has a bid.
    """
    require_running(state, now)
    assert state.spec is not None
    if state.spec.buy_now is None:
        raise BuyNowUnavailable()
    if not buy_now_offered(state):
        raise BuyNowUnavailable("Buy now ended with the first bid of this round")
    check_budget(state, command.bidder_id, state.spec.buy_now)
    draft = Draft(state, now)
    sell_unit(
        draft,
        winner_id=command.bidder_id,
        paddle=command.paddle,
        price=state.spec.buy_now,
        buy_now=True,
    )
    return draft.events
