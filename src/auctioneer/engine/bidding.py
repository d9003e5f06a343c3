"""Manual bids: the minimum, the leader rule, and what every accepted bid sets off.

docs/protocol.md rules 1, 2, 4 and 8. `emit_bid` is the one way a bid (manual or
proxy) enters the log: it emits `BidPlaced`, then `AuctionExtended` when the
bid moved the round's end later, then `ReserveMet` the first time in the round
the current bid reaches the reserve.

Decisions where docs/protocol.md is silent:

- Checks run in this order, and the first failure is the answer: the
  lifecycle table (`auction_not_open`), the amount itself (`invalid_amount`),
  the deadline (`auction_not_open` once `now >= ends_at`), the leader
  (`already_leading`), the minimum (`bid_too_low` with `minimum`).
- `reserve_met` is announced once per round (a new round of a multi-unit lot
  starts with the reserve unmet again); with no reserve there is no
  `reserve_met` event at all.
- A manual bid by a bidder whose own proxy was exhausted leaves that proxy as
  it is (exhausted); the bidder may set a new maximum with `start_auto_bid`.
"""

from __future__ import annotations

from auctioneer.engine.errors import AuctionNotOpen, InvalidTransition
from auctioneer.engine.events import AuctionExtended, BidPlaced, ReserveMet
from auctioneer.engine.fold import Draft
from auctioneer.engine.increments import increment_at
from auctioneer.engine.softclose import deadline_passed, ends_after_bid
from auctioneer.engine.state import Auction, Status

__all__ = ["emit_bid", "minimum_bid", "require_running", "stated_minimum_bid"]


def minimum_bid(state: Auction) -> int:
    """The lowest bid the rules accept now (rule 1).

    Returns:
        `starting_bid` when the round has no bid yet, else `current_bid` plus
        the increment of its band (`increment_at`: the table, else
        `min_increment`).

    Raises:
        InvalidTransition: the auction does not exist yet (status NEW).
    """
    spec = state.spec
    if spec is None:
        raise InvalidTransition(state.status.value, "bid on")
    if state.current_bid is None:
        return spec.starting_bid
    if not spec.increments:  # the usual case: one fixed step, no call
        return state.current_bid + spec.min_increment
    return state.current_bid + increment_at(spec, state.current_bid)


def stated_minimum_bid(state: Auction) -> int | None:
    """The `minimum_bid` the server states to clients: the rule's minimum while open.

    Clients show and use this number and never recompute rule 1 themselves.

    Returns:
        `minimum_bid(state)` for an open auction that is not deleted, else None.
    """
    if state.spec is None or state.status is not Status.OPEN or state.deleted:
        return None
    return minimum_bid(state)


def require_running(state: Auction, now: int) -> None:
    """Refuse a bid once the round's end has passed, even before its Tick.

    Raises:
        AuctionNotOpen: `now >= ends_at` (status reported as "closed").
    """
    if deadline_passed(state, now):
        raise AuctionNotOpen("closed")


def emit_bid(draft: Draft, *, bidder_id: int, paddle: int, amount: int, auto: bool) -> None:
    """Record an accepted bid and what it sets off (countdown, soft close, reserve)."""
    before = draft.state
    ends_at = ends_after_bid(before, draft.now)
    draft.emit(
        BidPlaced,
        bidder_id=bidder_id,
        paddle=paddle,
        amount=amount,
        auto=auto,
        ends_at=ends_at,
        round=before.round,
    )
    if before.ends_at is not None and ends_at is not None and ends_at > before.ends_at:
        draft.emit(AuctionExtended, ends_at=ends_at)
    reserve = before.spec.reserve if before.spec is not None else None
    if reserve is not None and not before.reserve_met and amount >= reserve:
        draft.emit(ReserveMet, amount=amount)
