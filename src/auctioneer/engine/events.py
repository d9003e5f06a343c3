"""Events: what happened to an auction, in the past tense, one per wire event.

Every event carries `auction_id`, `version` (its position in the auction's
log, gapless, 1-based, the optimistic-concurrency key) and `seq`: the public
topic seq of `auction:ID` (gapless, 1-based) or None for a private event.
Private events (a bidder's proxy maximum) are stored in the log so a replay
rebuilds the state exactly, but they are never published: other bidders must
not learn a maximum, and `auction:ID` must stay gapless (docs/protocol.md).
`at` is epoch milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from auctioneer.engine.commands import AuctionSpec

__all__ = [
    "AuctionClosed",
    "AuctionCreated",
    "AuctionDeleted",
    "AuctionExtended",
    "AuctionOpened",
    "AuctionUpdated",
    "AutoBidExhausted",
    "AutoBidSet",
    "AutoBidStopped",
    "AutoBidWithdrawn",
    "BudgetSet",
    "BidPlaced",
    "CloseReason",
    "EndingSoon",
    "Event",
    "ReserveMet",
    "UnitSold",
    "PRIVATE_EVENTS",
    "is_public",
]


class CloseReason(StrEnum):
    ENDED = "ended"
    ADMIN = "admin"
    BUY_NOW = "buy_now"
    SOLD_OUT = "sold_out"
    RESERVE_NOT_MET = "reserve_not_met"
    NO_BIDS = "no_bids"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of all events. `event` is the wire event name."""

    event: ClassVar[str] = ""
    public: ClassVar[bool] = True

    auction_id: int
    version: int
    seq: int | None
    at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionCreated(Event):
    event: ClassVar[str] = "auction_created"

    spec: AuctionSpec
    sale_id: int | None = None
    lot: int | None = None
    waits_for_previous: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionOpened(Event):
    """The auction (first round) opened; `ends_at` None means countdown-from-first-bid."""

    event: ClassVar[str] = "auction_opened"

    round: int
    ends_at: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BidPlaced(Event):
    """An accepted bid; it is now the current bid and its bidder leads."""

    event: ClassVar[str] = "bid_placed"

    bidder_id: int
    paddle: int
    amount: int
    auto: bool
    ends_at: int | None
    round: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionExtended(Event):
    event: ClassVar[str] = "auction_extended"

    ends_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReserveMet(Event):
    event: ClassVar[str] = "reserve_met"

    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitSold(Event):
    """One unit sold. If units remain and the auction goes on, the next round
    starts at `at` with no bids; `next_ends_at` is that round's deadline."""

    event: ClassVar[str] = "unit_sold"

    round: int
    winner_id: int
    paddle: int
    price: int
    units_left: int
    buy_now: bool = False
    next_ends_at: int | None = None
    # True when no next round follows: the last unit, or an admin close that
    # sells the current round and ends the lot (an AuctionClosed follows).
    final: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionClosed(Event):
    event: ClassVar[str] = "auction_closed"

    reason: CloseReason
    winner_id: int | None = None
    paddle: int | None = None
    price: int | None = None
    # For a lot of a sale: its sale, and the lot to open now (set only when a
    # lot that was running closes; see sale.next_lot_opens).
    sale_id: int | None = None
    next_lot: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionUpdated(Event):
    """Admin edit; None fields are unchanged. `images` is the auction's whole
    list of image ids after an EditImages."""

    event: ClassVar[str] = "auction_updated"

    # This field shadows the `Event.public` class flag (so `AuctionUpdated.public`
    # is None, not True): ask `is_public()` whether an event is published.
    public: bool | None = None  # type: ignore[misc, assignment]
    name: str | None = None
    description: str | None = None
    images: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionDeleted(Event):
    event: ClassVar[str] = "auction_deleted"


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoBidSet(Event):
    """Private: a bidder's proxy maximum was set or raised."""

    event: ClassVar[str] = "auto_bid_set"
    public: ClassVar[bool] = False

    bidder_id: int
    paddle: int
    max_amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoBidStopped(Event):
    """Private: the bidder withdrew its proxy maximum."""

    event: ClassVar[str] = "auto_bid_stopped"
    public: ClassVar[bool] = False

    bidder_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoBidExhausted(Event):
    """Private: a maximum that can no longer lead; its owner is told on `user:me`."""

    event: ClassVar[str] = "auto_bid_exhausted"
    public: ClassVar[bool] = False

    bidder_id: int
    paddle: int
    max_amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EndingSoon(Event):
    """Private: the round reached an ending-soon point; its watchers are told on `user:me`.

    `thresholds` are the points (seconds before the end) this marks as done
    for the round: the one reached, and any larger one whose moment passed
    unannounced (the server was down). `watchers` are the users told, so a
    replay or a projection after a crash tells exactly the same users.
    """

    event: ClassVar[str] = "ending_soon"
    public: ClassVar[bool] = False

    round: int
    ends_at: int
    thresholds: tuple[int, ...]
    watchers: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BudgetSet(Event):
    """Private: what a bidder may still win in this lot (its sale budget less
    its wins in the sale's other lots); None: no limit of that kind."""

    event: ClassVar[str] = "budget_set"
    public: ClassVar[bool] = False

    bidder_id: int
    lots_left: int | None = None
    spend_left: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoBidWithdrawn(Event):
    """Private: a maximum the bidder's sale budget no longer allows; its owner is told."""

    event: ClassVar[str] = "auto_bid_withdrawn"
    public: ClassVar[bool] = False

    bidder_id: int
    paddle: int
    max_amount: int
    reason: str = "budget"


# Stored in the log but never published on `auction:ID` (seq None).
PRIVATE_EVENTS: frozenset[type[Event]] = frozenset(
    {AutoBidSet, AutoBidStopped, AutoBidExhausted, EndingSoon, BudgetSet, AutoBidWithdrawn}
)


def is_public(kind: type[Event] | Event) -> bool:
    """True for an event (or event class) that is published and gets a seq.

    Use this rather than the `public` class flag, which `AuctionUpdated`'s
    `public` field shadows.
    """
    cls = kind if isinstance(kind, type) else type(kind)
    return cls not in PRIVATE_EVENTS
