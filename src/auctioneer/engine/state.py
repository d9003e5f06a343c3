"""The auction's state: a frozen value rebuilt by folding its events.

The lifecycle table (which command is allowed in which status) lives here too,
under its own header; see `TRANSITIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from auctioneer.engine.commands import AuctionSpec
from auctioneer.engine.events import CloseReason

__all__ = ["Auction", "AutoBid", "Sale", "Status"]


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Sale:
    """One unit sold: to whom, at what price, in which round."""

    round: int
    winner_id: int
    paddle: int
    price: int
    at: int


@dataclass(frozen=True, slots=True, kw_only=True)
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
    current_bid: int | None = None
    leader_id: int | None = None
    leader_paddle: int | None = None
    reserve_met: bool = False
    round_bidders: frozenset[int] = frozenset()
    auto_bids: tuple[AutoBid, ...] = ()
    # The whole auction.
    bid_count: int = 0
    units_left: int = 0
    sales: tuple[Sale, ...] = ()
    close_reason: CloseReason | None = None
    bidders: frozenset[int] = field(default_factory=frozenset)

    @property
    def winner(self) -> Sale | None:
        """The last sale, which PROTOCOL.md's `winner` and `price` describe."""
        return self.sales[-1] if self.sales else None
