"""Cross-lot budgets of a sale: "win at most N lots", "spend at most X".

A sale's lots are separate auctions with separate writers, so the budget is
checked inside each lot, by its own writer, on a figure the lot's log holds:
`BudgetSet` (private) says what the bidder may still win in this lot, which
the service computes as the sale budget less the bidder's wins in the sale's
other lots (all closed before this lot opened: lots run one after another).
This module subtracts the lot's own sales (earlier rounds of a multi-unit
lot), so every decision sees exactly what is left, with no read outside the
lot's state (docs/architecture.md "Cross-lot budgets").

Decisions the protocol leaves open:

- Each unit won counts as one lot against `max_lots`; its price counts
  against `max_spend`.
- A manual bid, a buy-now, or a new maximum is refused with
  `budget_exceeded` when no lot is left, or when its amount (the buy-now
  price, the maximum) is above the money left; the error carries
  `lots_left` and `spend_left` (null: no limit of that kind).
- A proxy bids at most the money left (its maximum is capped, never raised;
  capped, it keeps its place in time, so it still wins a tie at that
  figure). A proxy that can no longer lead because of its budget (no lot
  left; less money left than the leader's own standing bid; or outbid past
  the money left, where a maximum would be exhausted) is withdrawn:
  `auto_bid_withdrawn` (private, reason `budget`), and its owner gets the
  notice `budget_reached`. This is checked whenever proxies bid (every bid,
  every new round) and when a budget is set or changed.
- A lowered budget never takes back a bid already placed.
- Setting the same budget again changes nothing and emits nothing.
"""

from __future__ import annotations

from auctioneer.engine.commands import SetBudget
from auctioneer.engine.errors import BudgetExceeded, InvalidCommand
from auctioneer.engine.events import AutoBidWithdrawn, BudgetSet, Event
from auctioneer.engine.fold import Draft
from auctioneer.engine.state import Auction, AutoBid, Status
from auctioneer.engine.units import format_amount

__all__ = [
    "budget_binds",
    "budget_left",
    "check_budget",
    "decide_set_budget",
    "proxy_ceiling",
    "withdraw_over_budget",
]


def budget_left(state: Auction, bidder_id: int) -> tuple[int | None, int | None] | None:
    """(lots, money) the bidder may still win in this lot, or None without a budget."""
    if not state.budgets:  # the usual case: nobody in this lot set a budget
        return None
    budget = next((b for b in state.budgets if b.bidder_id == bidder_id), None)
    if budget is None:
        return None
    mine = [s.price for s in state.sales if s.winner_id == bidder_id]
    lots = None if budget.lots_left is None else budget.lots_left - len(mine)
    spend = None if budget.spend_left is None else budget.spend_left - sum(mine)
    return lots, spend


def check_budget(state: Auction, bidder_id: int, amount: int) -> None:
    """Refuse a bid, buy-now or maximum of `amount` that the bidder's budget does not allow.

    Raises:
        BudgetExceeded: no lot left, or `amount` above the money left.
    """
    if not state.budgets:  # the usual case, on every bid: nothing to check
        return
    left = budget_left(state, bidder_id)
    if left is None:
        return
    lots, spend = left
    if lots is not None and lots <= 0:
        raise BudgetExceeded(
            "Your budget for this sale allows no more lots", lots_left=0, spend_left=spend
        )
    if spend is not None and amount > spend:
        raise BudgetExceeded(
            f"Your budget for this sale has {format_amount(max(spend, 0))} left",
            lots_left=lots,
            spend_left=max(spend, 0),
        )


def proxy_ceiling(state: Auction, bidder_id: int, max_amount: int) -> int | None:
    """The most a proxy may bid: its maximum capped by the money left; None: nothing."""
    if not state.budgets:
        return max_amount
    left = budget_left(state, bidder_id)
    if left is None:
        return max_amount
    lots, spend = left
    if lots is not None and lots <= 0:
        return None
    if spend is None:
        return max_amount
    return min(max_amount, spend) if spend > 0 else None


def budget_binds(state: Auction, ab: AutoBid) -> bool:
    """True when the owner's budget, not its maximum, limits what this proxy may bid."""
    return proxy_ceiling(state, ab.bidder_id, ab.max_amount) != ab.max_amount


def withdraw_over_budget(draft: Draft) -> None:
    """Withdraw the live proxies their budget lets bid nothing at all (no lot left, or
    less money than the leader's own standing bid); `proxy.resolve` withdraws, instead
    of exhausting, the others that lose only because of their budget."""
    state = draft.state
    if not state.budgets or not state.auto_bids or state.status is not Status.OPEN:
        return
    for ab in state.live_auto_bids:
        ceiling = proxy_ceiling(state, ab.bidder_id, ab.max_amount)
        if ceiling == ab.max_amount:
            continue
        leads = ab.bidder_id == state.leader_id
        if ceiling is None or (leads and ceiling < (state.current_bid or 0)):
            draft.emit(
                AutoBidWithdrawn, bidder_id=ab.bidder_id, paddle=ab.paddle, max_amount=ab.max_amount
            )


def _limit(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCommand(f"{field} must be a whole number", field=field)
    return value


def decide_set_budget(state: Auction, command: SetBudget, now: int) -> list[Event]:
    """Record what the bidder may still win here; withdraw proxies it no longer allows.

    Returns:
        `BudgetSet` and any `AutoBidWithdrawn`; `[]` when nothing changes.

    Raises:
        InvalidCommand: a limit that is not a whole number.
    """
    lots = _limit(command.lots_left, "lots_left")
    spend = _limit(command.spend_left, "spend_left")
    old = next((b for b in state.budgets if b.bidder_id == command.bidder_id), None)
    if (old is None and lots is None and spend is None) or (
        old is not None and (old.lots_left, old.spend_left) == (lots, spend)
    ):
        return []
    draft = Draft(state, now)
    draft.emit(BudgetSet, bidder_id=command.bidder_id, lots_left=lots, spend_left=spend)
    withdraw_over_budget(draft)  # the others are at rest already: nobody else bids
    return draft.events
