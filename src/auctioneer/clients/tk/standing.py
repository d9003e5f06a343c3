"""The bidder's own side: where each of its auctions stands, and its notifications.

Why pure: "My bids" (leading, outbid, won, lost) and the toasts' words are
decided from the server's auction objects and `user:me` notices alone, so
they are tested without a display. An auction is "mine" once this user bid
on it here, or a notice or the auction's leader or winner names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auctioneer.clients.money import format_amount

__all__ = [
    "GROUPS",
    "MyBids",
    "Notice",
    "describe_notice",
    "standing",
]

#: The groups of "My bids", in the order they are shown.
GROUPS = ("leading", "outbid", "won", "lost")

_FINISHED = ("closed", "cancelled")


def standing(auction: Mapping[str, Any], paddle: str | None, has_bid: bool) -> str | None:
    """``leading``, ``outbid``, ``won``, ``lost`` or None (not this user's business)."""
    if not paddle:
        return None
    if auction.get("status") in _FINISHED:
        winners = {s.get("winner") for s in auction.get("sales") or []}
        if auction.get("winner") == paddle or paddle in winners:
            return "won"
        return "lost" if has_bid else None
    if auction.get("leader") == paddle:
        return "leading"
    return "outbid" if has_bid else None


@dataclass(frozen=True, slots=True)
class Notice:
    """One `user:me` notice: what happened, to which auction, when."""

    kind: str
    auction_id: int | None
    data: dict[str, Any]
    at: str | None = None
    seq: int | None = None


def describe_notice(notice: Notice, name: str | None = None) -> str:
    """The sentence a toast and the notification list show."""
    data = notice.data
    title = str(name or data.get("name") or f"auction {notice.auction_id}")
    if notice.kind == "outbid":
        amount = data.get("amount")
        tail = f": the price is now {format_amount(amount)}" if amount is not None else ""
        return f"You were outbid on {title}{tail}."
    if notice.kind == "won":
        paid = format_amount(data.get("price"))
        how = " with Buy now" if data.get("buy_now") else ""
        return f"You won {title}{how} for {paid}!"
    if notice.kind == "auction_lost":
        price = data.get("price")
        if price is None:
            return f"You lost {title}: it ended without a sale to you."
        return f"You lost {title}: it sold for {format_amount(price)}."
    if notice.kind == "auto_bid_exhausted":
        maximum = format_amount(data.get("max_amount"))
        return f"Your auto-bid maximum of {maximum} on {title} was passed."
    return f"{title}: {notice.kind.replace('_', ' ')}"


@dataclass
class MyBids:
    """Which auctions are this user's, and the notices received so far."""

    paddle: str | None = None
    mine: set[int] = field(default_factory=set)
    notices: list[Notice] = field(default_factory=list)

    def note_bid(self, auction_id: int) -> None:
        self.mine.add(auction_id)

    def add_notice(self, notice: Notice) -> bool:
        """Record a notice; False if it was seen before (same seq)."""
        if notice.seq is not None and any(n.seq == notice.seq for n in self.notices):
            return False
        self.notices.append(notice)
        if notice.auction_id is not None:
            self.mine.add(notice.auction_id)
        return True

    def groups(self, auctions: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
        """The auctions by standing, each group in id order."""
        out: dict[str, list[Mapping[str, Any]]] = {g: [] for g in GROUPS}
        lost_ids = {n.auction_id for n in self.notices if n.kind == "auction_lost"}
        for auction in sorted(auctions, key=lambda a: int(a.get("id") or 0)):
            aid = int(auction.get("id") or 0)
            mine = aid in self.mine
            kind = standing(auction, self.paddle, mine)
            if kind is None and aid in lost_ids:
                kind = "lost"
            if kind is not None:
                self.mine.add(aid)
                out[kind].append(auction)
        return out
