"""The engine's errors: one tree, each with a stable wire `code`.

    AuctionError                      (code varies)
    ├── InvalidCommand                bad_request: the caller misused the engine
    │   └── InvalidAmount             invalid_amount: money that is not an int in range
    ├── InvalidTransition             auction_not_open: a command the state table refuses
    ├── TooManyImages                 too_many_images: an auction shows at most 10 photos
    └── BidRejected                   a bid the rules refuse
        ├── BidTooLow                 bid_too_low, carries `minimum`
        ├── AuctionNotOpen            auction_not_open
        ├── AlreadyLeading            already_leading
        ├── BuyNowUnavailable         buy_now_unavailable
        └── BudgetExceeded            budget_exceeded, carries `lots_left`, `spend_left`

A rejected command raises one of these and changes nothing (as in h11's
"illegal transitions raise an error and nothing happens").
"""

from __future__ import annotations

from typing import Any

from auctioneer.engine.units import format_amount

__all__ = [
    "AlreadyLeading",
    "AuctionError",
    "AuctionNotOpen",
    "BidRejected",
    "BidTooLow",
    "BudgetExceeded",
    "BuyNowUnavailable",
    "InvalidAmount",
    "InvalidCommand",
    "InvalidTransition",
    "TooManyImages",
]


class AuctionError(Exception):
    """Base of every engine error; `code` is the docs/protocol.md error code."""

    code: str = "bad_request"

    def __init__(self, message: str = "", **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, Any] = fields

    def __str__(self) -> str:
        return self.message or self.code

    def to_wire(self) -> dict[str, Any]:
        """The error object of docs/protocol.md: code, message and extra fields."""
        return {"code": self.code, "message": str(self), **self.fields}


class InvalidCommand(AuctionError):
    """A command that is malformed whatever the state (like h11 LocalProtocolError)."""

    code = "bad_request"


class InvalidAmount(InvalidCommand):
    """Money that is not an integer number of minor units in 0..10**12."""

    code = "invalid_amount"


class InvalidTransition(AuctionError):
    """The lifecycle table has no entry for (state, command)."""

    code = "auction_not_open"

    def __init__(self, status: str, command: str) -> None:
        super().__init__(
            f"Cannot {command} an auction that is {status}", status=status, command=command
        )


class TooManyImages(AuctionError):
    """An edit that would leave an auction with more photos than it may show."""

    code = "too_many_images"

    def __init__(self, limit: int) -> None:
        super().__init__(f"An auction has at most {limit} images", limit=limit)


class BidRejected(AuctionError):
    """A bid (or buy-now, or auto-bid) that the rules refuse."""


class BidTooLow(BidRejected):
    code = "bid_too_low"

    def __init__(self, minimum: int) -> None:
        super().__init__(f"Bid must be at least {format_amount(minimum)}", minimum=minimum)
        self.minimum = minimum


class AuctionNotOpen(BidRejected):
    code = "auction_not_open"

    def __init__(self, status: str) -> None:
        super().__init__(f"Auction is {status}, not open", status=status)


class AlreadyLeading(BidRejected):
    code = "already_leading"

    def __init__(self) -> None:
        super().__init__("You are already the highest bidder")


class BuyNowUnavailable(BidRejected):
    code = "buy_now_unavailable"

    def __init__(self, reason: str = "Buy now is not available for this auction") -> None:
        super().__init__(reason)


class BudgetExceeded(BidRejected):
    """A bid, maximum or buy-now that the bidder's sale budget does not allow."""

    code = "budget_exceeded"

    def __init__(self, message: str, *, lots_left: int | None, spend_left: int | None) -> None:
        super().__init__(message, lots_left=lots_left, spend_left=spend_left)
