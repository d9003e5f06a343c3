"""The engine's front door: `decide(state, command, now) -> events`.

`decide` looks the command up in the lifecycle table (`state.TRANSITIONS`),
then hands it to the one function that knows its rule. It never mutates the
state and never reads a clock; a refusal raises an `AuctionError` and emits
nothing. Every returned event carries `auction_id`, `at=now`, the next
`version` numbers (all events) and the next `seq` numbers (public events
only; private ones have `seq=None`), so `evolve` folds them in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auctioneer.engine.budget import decide_set_budget
from auctioneer.engine.commands import (
    BuyNow,
    CancelAuction,
    CloseAuction,
    Command,
    CreateAuction,
    DeleteAuction,
    EditImages,
    OpenLot,
    PlaceBid,
    Remind,
    SetBudget,
    StartAutoBid,
    StopAutoBid,
    Tick,
    UpdateAuction,
)
from auctioneer.engine.events import Event
from auctioneer.engine.images import decide_edit_images
from auctioneer.engine.lifecycle import (
    decide_cancel,
    decide_close,
    decide_create,
    decide_delete,
    decide_open_lot,
    decide_tick,
    decide_update,
)
from auctioneer.engine.multiunit import decide_buy_now
from auctioneer.engine.proxy import decide_place_bid, decide_start_auto_bid, decide_stop_auto_bid
from auctioneer.engine.reminders import decide_remind
from auctioneer.engine.state import Auction, check_transition

__all__ = ["HANDLERS", "decide"]

Handler = Callable[[Auction, Any, int], list[Event]]

# One rule module per command; the lifecycle table has already said "allowed".
HANDLERS: dict[type[Command], Handler] = {
    CreateAuction: decide_create,
    PlaceBid: decide_place_bid,
    StartAutoBid: decide_start_auto_bid,
    StopAutoBid: decide_stop_auto_bid,
    BuyNow: decide_buy_now,
    UpdateAuction: decide_update,
    EditImages: decide_edit_images,
    CloseAuction: decide_close,
    CancelAuction: decide_cancel,
    DeleteAuction: decide_delete,
    OpenLot: decide_open_lot,
    SetBudget: decide_set_budget,
    Tick: decide_tick,
    Remind: decide_remind,
}


def decide(state: Auction, command: Command, now: int) -> list[Event]:
    """Decide what a command does to an auction at time `now`.

    Args:
        state: the auction as its log has built it (never changed here).
        command: what someone asks of it.
        now: the decision time, epoch milliseconds (UTC).

    Returns:
        The new events, in order; fold them with `evolve` to get the new
        state. May be empty (a Tick with nothing due, stopping no auto-bid).

    Raises:
        InvalidTransition: the lifecycle table refuses the command in this
            status, or the auction is deleted (code `auction_not_open`).
        AuctionNotOpen: a bid, auto-bid or buy-now on an auction that is not
            open, or whose round has reached its end.
        AlreadyLeading: the leader bids against itself.
        BidTooLow: a bid or maximum below the minimum; carries `minimum`.
        BuyNowUnavailable: no buy-now price, or the round already has a bid.
        InvalidAmount: money that is not an int of minor units in range.
        InvalidCommand: any other invalid field; `field` names it.
    """
    check_transition(state, command)
    return HANDLERS[type(command)](state, command, now)
