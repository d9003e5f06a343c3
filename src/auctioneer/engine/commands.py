"""Commands: what someone asks an auction to do, in the imperative.

The engine never reads the clock: every command is decided at a `now` that the
caller passes in (integer milliseconds since the Unix epoch, UTC). Bidders are
named by user id (for notices and admin views) and paddle (what the public sees).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AuctionSpec",
    "BuyNow",
    "CancelAuction",
    "CloseAuction",
    "Command",
    "CreateAuction",
    "DeleteAuction",
    "EditImages",
    "OpenLot",
    "PlaceBid",
    "Remind",
    "SetBudget",
    "StartAutoBid",
    "StopAutoBid",
    "Tick",
    "UpdateAuction",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuctionSpec:
    """The fields an admin sets when creating an auction (docs/protocol.md "Auction fields").

    Times are epoch milliseconds; durations are whole seconds. `starts_at=None`
    means "when created" (or, for a later lot of a sequential sale, "when the
    previous lot closes"). `pass_after_s`, `increments`, `max_end` and
    `max_extension_s` are newer: older stored specs lack them and read as
    their defaults.
    """

    name: str
    starting_bid: int
    description: str = ""
    min_increment: int = 100
    reserve: int | None = None
    buy_now: int | None = None
    quantity: int = 1
    starts_at: int | None = None
    ends_at: int | None = None
    duration_s: int | None = None
    countdown_s: int | None = None
    soft_close_s: int | None = None
    public: bool = True
    # A round with no end and no bid passes unsold this long after it starts
    # (engine/softclose.py); None: it waits for its first bid for good.
    pass_after_s: int | None = None
    # Increment bands: ((from price, increment), ...) ascending from 0
    # (engine/increments.py); empty: `min_increment` everywhere.
    increments: tuple[tuple[int, int], ...] = ()
    # The soft-close cap (engine/softclose.py): no bid moves a round's end past
    # `max_end` (epoch ms), nor more than `max_extension_s` past the round's
    # first end. None: no cap.
    max_end: int | None = None
    max_extension_s: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateAuction:
    """Create the auction.

    `waits_for_previous`: a sale lot that opens when the lot before it closes.
    """

    spec: AuctionSpec
    sale_id: int | None = None
    lot: int | None = None
    waits_for_previous: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceBid:
    bidder_id: int
    paddle: int
    amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StartAutoBid:
    """Set or raise the bidder's proxy maximum (docs/protocol.md rule 3)."""

    bidder_id: int
    paddle: int
    max_amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StopAutoBid:
    bidder_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BuyNow:
    bidder_id: int
    paddle: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateAuction:
    """Admin edit; a field left as None is unchanged."""

    public: bool | None = None
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EditImages:
    """Admin edit of the auction's photos, decided against its current list.

    `add` appends image ids (files the service has already stored), `remove`
    takes ids off, and `order`, when given, is the whole list in its new
    order. Decided on the state, not sent as a finished list, so two admins
    editing at once never undo each other (engine/images.py).
    """

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    order: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseAuction:
    """Admin close: now, the leader wins if the reserve is met (reason `admin`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelAuction:
    """Admin cancel: closes with no winner (reason `cancelled`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteAuction:
    """Admin delete: cancels if open, then hides the auction from listings and feeds."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenLot:
    """Open a sale lot that waits for its previous lot (sent when that lot closes)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetBudget:
    """What a bidder may still win in this lot of a sale (engine/budget.py).

    Sent by the service: the bidder's cross-lot budget less what it won in the
    sale's other lots. None: no limit of that kind. Both None: no budget.
    """

    bidder_id: int
    lots_left: int | None = None
    spend_left: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Tick:
    """Time has reached the auction's next deadline: open it, or close its round.

    The service sends this when `next_deadline()` passes (and before any other
    command decided after a passed deadline). A Tick with nothing due yields no
    events.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class Remind:
    """An ending-soon point of the round has come: tell the watchers (engine/reminders.py).

    `thresholds` are the server's ending-soon points in seconds before the end
    (largest first does not matter); `watchers` the users to tell, read from
    the watchlist by the service just before. Both travel in the command so
    the engine stays pure and the event records exactly who was told.
    """

    thresholds: tuple[int, ...]
    watchers: tuple[int, ...] = ()


Command = (
    CreateAuction
    | PlaceBid
    | StartAutoBid
    | StopAutoBid
    | BuyNow
    | UpdateAuction
    | EditImages
    | CloseAuction
    | CancelAuction
    | DeleteAuction
    | OpenLot
    | SetBudget
    | Tick
    | Remind
)
