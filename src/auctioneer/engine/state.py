"""The auction's state: a frozen value rebuilt by folding its events.

The lifecycle table (which command is allowed in which status) lives here too,
under its own header; see `TRANSITIONS` and `check_transition`.

`reserve_met` is True only after a `ReserveMet` event of the current round; an
auction without a reserve never gets one, so ask `reserve_ok` whether the
leader may win. `leader_version` (the version of the leading bid) settles an
equal-maximum tie between a proxy and a manual bid; `AutoBid.exhausted` marks
a maximum that can no longer lead in this round.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from auctioneer.engine.commands import (
    AuctionSpec,
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
from auctioneer.engine.errors import AuctionNotOpen, InvalidTransition
from auctioneer.engine.events import CloseReason

__all__ = [
    "BID_COMMANDS",
    "COMMAND_VERBS",
    "TRANSITIONS",
    "Auction",
    "AutoBid",
    "Budget",
    "Sale",
    "Status",
    "check_transition",
]


class Status(StrEnum):
    NEW = "new"  # not yet created: the state before AuctionCreated
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoBid:
    """A bidder's proxy maximum. `since_version` orders equal maxima: earlier wins."""

    bidder_id: int
    paddle: int
    max_amount: int
    since_version: int
    # Outbid beyond its maximum in this round: it bids no more until the next
    # round of a multi-unit lot, where every loser's maximum bids again.
    exhausted: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Budget:
    """What a bidder may win in this lot, as the sale's budget left it at
    `BudgetSet` (engine/budget.py subtracts this lot's own sales)."""

    bidder_id: int
    lots_left: int | None
    spend_left: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Sale:
    """One unit sold: to whom, at what price, in which round."""

    round: int
    winner_id: int
    paddle: int
    price: int
    at: int


# No slots, unlike the other values: the fold copies an Auction for every
# event, and copying its `__dict__` whole is several times faster than setting
# its 29 slots one by one (engine/fold.py `replace`).
@dataclass(frozen=True, kw_only=True)
class Auction:
    """Everything the rules need to decide the next command, and nothing else.

    `version` counts every event in the log (public and private); `seq` counts
    the public ones (the `auction:ID` topic seq). Times are epoch ms.
    """

    id: int
    version: int = 0
    seq: int = 0
    status: Status = Status.NEW
    spec: AuctionSpec | None = None
    sale_id: int | None = None
    lot: int | None = None
    waits_for_previous: bool = False
    deleted: bool = False
    created_at: int | None = None
    opened_at: int | None = None
    closed_at: int | None = None
    # The current round.
    round: int = 1
    round_started_at: int | None = None
    ends_at: int | None = None
    # The round's first end (before any extension): what `max_extension_s` counts from.
    round_first_end: int | None = None
    # When `ends_at` last changed (open, countdown, extension, next round), and
    # the ending-soon points (seconds before the end) already announced this
    # round: engine/reminders.py.
    ends_set_at: int | None = None
    reminded: frozenset[int] = frozenset()
    current_bid: int | None = None
    leader_id: int | None = None
    leader_paddle: int | None = None
    # The version of the leading bid: an earlier proxy with an equal maximum beats it.
    leader_version: int | None = None
    reserve_met: bool = False
    round_bidders: frozenset[int] = frozenset()
    auto_bids: tuple[AutoBid, ...] = ()
    # The whole auction.
    bid_count: int = 0
    units_left: int = 0
    sales: tuple[Sale, ...] = ()
    close_reason: CloseReason | None = None
    bidders: frozenset[int] = field(default_factory=frozenset)
    # The ids of its photos, in display order (engine/images.py).
    images: tuple[str, ...] = ()
    # Sale budgets of the bidders who set one (engine/budget.py).
    budgets: tuple[Budget, ...] = ()

    @property
    def winner(self) -> Sale | None:
        """The last sale, which docs/protocol.md's `winner` and `price` describe."""
        return self.sales[-1] if self.sales else None

    @property
    def reserve_ok(self) -> bool:
        """True when the round's leader may win: no reserve, or the reserve is met."""
        return self.spec is None or self.spec.reserve is None or self.reserve_met

    @property
    def live_auto_bids(self) -> tuple[AutoBid, ...]:
        """The proxies that still bid in this round (not exhausted)."""
        return tuple(ab for ab in self.auto_bids if not ab.exhausted)

    def auto_bid_of(self, bidder_id: int) -> AutoBid | None:
        """The bidder's proxy maximum, exhausted or not, if any."""
        return next((ab for ab in self.auto_bids if ab.bidder_id == bidder_id), None)


# ---------------------------------------------------------------------------
# The lifecycle table.
#
# Rule 1: an auction is NEW until CreateAuction, which makes it SCHEDULED
#         (start in the future, or a sale lot that waits for the lot before it)
#         or OPEN at once.
# Rule 2: a SCHEDULED auction opens on the Tick at `starts_at` or, for a lot that
#         waits for its previous lot, on OpenLot. Admins may update, close,
#         cancel or delete it; nobody may bid yet.
# Rule 3: only an OPEN auction takes bids, auto-bids and buy-now; its round
#         closes on the Tick at `ends_at` (or by admin close), which moves it to
#         CLOSED once no unit and no round is left.
# Rule 4: CLOSED and CANCELLED are final: only update (the admin's notes and photos),
#         delete, and a Tick that does nothing remain.
# Rule 5: a deleted auction (a flag, whatever its status) refuses everything;
#         only a stale Tick is accepted and does nothing.
# Rule 6: a pair missing from the table is refused with InvalidTransition
#         (code auction_not_open), or AuctionNotOpen for the bid commands.
#
# Each entry lists the statuses the command may leave the auction in; a
# property test checks every accepted command against it.
# ---------------------------------------------------------------------------

_NEW, _SCHEDULED, _OPEN = Status.NEW, Status.SCHEDULED, Status.OPEN
_CLOSED, _CANCELLED = Status.CLOSED, Status.CANCELLED

TRANSITIONS: dict[tuple[Status, type[Command]], frozenset[Status]] = {
    (_NEW, CreateAuction): frozenset({_SCHEDULED, _OPEN}),
    (_SCHEDULED, Tick): frozenset({_SCHEDULED, _OPEN, _CLOSED}),
    (_SCHEDULED, OpenLot): frozenset({_OPEN, _CLOSED}),
    (_SCHEDULED, UpdateAuction): frozenset({_SCHEDULED}),
    (_SCHEDULED, EditImages): frozenset({_SCHEDULED}),
    (_SCHEDULED, CloseAuction): frozenset({_CLOSED}),
    (_SCHEDULED, CancelAuction): frozenset({_CANCELLED}),
    (_SCHEDULED, DeleteAuction): frozenset({_CANCELLED}),
    (_SCHEDULED, SetBudget): frozenset({_SCHEDULED}),
    (_OPEN, PlaceBid): frozenset({_OPEN}),
    (_OPEN, StartAutoBid): frozenset({_OPEN}),
    (_OPEN, StopAutoBid): frozenset({_OPEN}),
    (_OPEN, BuyNow): frozenset({_OPEN, _CLOSED}),
    (_OPEN, Tick): frozenset({_OPEN, _CLOSED}),
    (_OPEN, UpdateAuction): frozenset({_OPEN}),
    (_OPEN, EditImages): frozenset({_OPEN}),
    (_OPEN, CloseAuction): frozenset({_CLOSED}),
    (_OPEN, Remind): frozenset({_OPEN}),
    (_OPEN, CancelAuction): frozenset({_CANCELLED}),
    (_OPEN, DeleteAuction): frozenset({_CANCELLED}),
    (_OPEN, SetBudget): frozenset({_OPEN}),
    (_CLOSED, Tick): frozenset({_CLOSED}),
    (_CLOSED, UpdateAuction): frozenset({_CLOSED}),
    (_CLOSED, EditImages): frozenset({_CLOSED}),
    (_CLOSED, DeleteAuction): frozenset({_CLOSED}),
    (_CANCELLED, Tick): frozenset({_CANCELLED}),
    (_CANCELLED, UpdateAuction): frozenset({_CANCELLED}),
    (_CANCELLED, EditImages): frozenset({_CANCELLED}),
    (_CANCELLED, DeleteAuction): frozenset({_CANCELLED}),
}

# Refused with AuctionNotOpen (a BidRejected) rather than InvalidTransition.
BID_COMMANDS: frozenset[type[Command]] = frozenset({PlaceBid, StartAutoBid, StopAutoBid, BuyNow})

# How an InvalidTransition names the command: "Cannot close an auction that is closed".
COMMAND_VERBS: dict[type[Command], str] = {
    CreateAuction: "create",
    PlaceBid: "bid on",
    StartAutoBid: "start an auto-bid on",
    StopAutoBid: "stop an auto-bid on",
    BuyNow: "buy now",
    UpdateAuction: "update",
    EditImages: "change the photos of",
    CloseAuction: "close",
    CancelAuction: "cancel",
    DeleteAuction: "delete",
    OpenLot: "open",
    SetBudget: "set a budget on",
    Tick: "tick",
    Remind: "remind the watchers of",
}


def check_transition(state: Auction, command: Command) -> frozenset[Status]:
    """Look the command up in the lifecycle table.

    Args:
        state: the auction as it is now.
        command: what someone asks of it.

    Returns:
        The statuses the command may leave the auction in.

    Raises:
        InvalidTransition: the table has no entry for (status, command), or
            the auction is deleted (status "deleted"); nothing changes.
        AuctionNotOpen: the same, for a bid, auto-bid or buy-now.
    """
    kind = type(command)
    verb = COMMAND_VERBS.get(kind, kind.__name__)
    if state.deleted:
        if kind is Tick:
            return frozenset({state.status})
        raise InvalidTransition("deleted", verb)
    allowed = TRANSITIONS.get((state.status, kind))
    if allowed is None:
        if kind in BID_COMMANDS:
            raise AuctionNotOpen(state.status.value)
        raise InvalidTransition(state.status.value, verb)
    return allowed
