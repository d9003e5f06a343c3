"""A client's picture of the auctions it has seen, folded from replies and events.

Why: the watch view, the room and the bots all need "the auction as it is
now" (price, leader, deadline, round) and get it the same way: start from an
auction object in a reply, then apply each event of its topic. Pure data in,
pure data out, so the fold is tested without a server. The server's own fold
lives in the engine; this one only mirrors what the wire says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["AuctionBook", "EventLike", "apply_event", "auction_id_of_topic"]

#: Bids kept per auction for display (docs/protocol.md: `get_auction` returns 50).
MAX_BIDS_KEPT = 50


class EventLike(Protocol):
    """What the fold needs from an event (see `session.Event`)."""

    @property
    def name(self) -> str: ...
    @property
    def topic(self) -> str | None: ...
    @property
    def seq(self) -> int | None: ...
    @property
    def at(self) -> str | None: ...
    @property
    def data(self) -> dict[str, Any]: ...


def auction_id_of_topic(topic: str | None) -> int | None:
    """``"auction:42"`` to 42; anything else to None."""
    if topic and topic.startswith("auction:"):
        try:
            return int(topic.split(":", 1)[1])
        except ValueError:
            return None
    return None


# The soft-close cap: an auction with one says it at each round's start and extension.
CAP_FIELDS = ("end_cap", "cap_reached")


def _closed(auction: dict[str, Any], data: dict[str, Any]) -> None:
    auction["status"] = "cancelled" if data.get("reason") == "cancelled" else "closed"
    auction["reason"] = auction["close_reason"] = data.get("reason")
    auction["minimum_bid"] = auction["passes_at"] = None
    auction["buy_now_available"] = False
    for key in ("winner", "price"):
        if key in data:
            auction[key] = data[key]


def _bid(auction: dict[str, Any], data: dict[str, Any], seq: int | None, at: str | None) -> None:
    auction["current_bid"] = data.get("current_bid", data.get("amount"))
    auction["leader"] = data.get("leader", data.get("bidder"))
    if data.get("ends_at"):
        auction["ends_at"] = data["ends_at"]
    auction["bid_count"] = data.get("bid_count", int(auction.get("bid_count") or 0) + 1)
    # The server states the next minimum (docs/protocol.md); without it the
    # minimum is unknown until the next auction object, never recomputed here.
    auction["minimum_bid"] = data.get("minimum_bid")
    auction["passes_at"] = None  # a round with a bid never passes unsold
    auction["buy_now_available"] = data.get("buy_now_available", False)
    bid = {
        "seq": seq,
        "amount": data.get("amount"),
        "bidder": data.get("bidder"),
        "auto": bool(data.get("auto")),
        "at": at,
        "round": data.get("round", auction.get("round", 1)),
    }
    auction["bids"] = [bid, *auction.get("bids", [])][:MAX_BIDS_KEPT]


def _sold(auction: dict[str, Any], data: dict[str, Any]) -> None:
    sale = {k: data.get(k) for k in ("round", "winner", "price")}
    auction["sales"] = [*auction.get("sales", []), sale]
    auction["winner"], auction["price"] = sale["winner"], sale["price"]
    if "units_left" in data:
        auction["units_left"] = data["units_left"]
    if int(auction.get("units_left") or 0) > 0:
        # docs/protocol.md rule 6: the next round starts at once with no bids.
        auction["round"] = int(data.get("round") or auction.get("round") or 1) + 1
        auction["current_bid"] = None
        auction["leader"] = None
        auction["ends_at"] = data.get("ends_at")
        auction["minimum_bid"] = data.get("minimum_bid")
        auction["passes_at"] = data.get("passes_at")
        auction["buy_now_available"] = data.get("buy_now_available", False)
        auction.update({k: data[k] for k in CAP_FIELDS if k in data})


def apply_event(auction: dict[str, Any], event: EventLike) -> dict[str, Any]:
    """Return a new auction dict with `event` applied (the input is not changed)."""
    out = dict(auction)
    data = event.data
    name = event.name
    if name in ("auction_created", "auction_updated", "auction_summary") and "id" in data:
        out.update(data)
    elif name == "auction_opened":
        out["status"] = "open"
        out.update({k: v for k, v in data.items() if k != "id"})
    elif name == "bid_placed":
        _bid(out, data, event.seq, event.at)
    elif name == "auction_extended":
        out["ends_at"] = data.get("ends_at", out.get("ends_at"))
        out.update({k: data[k] for k in CAP_FIELDS if k in data})
    elif name == "reserve_met":
        out["reserve_met"] = True
    elif name == "unit_sold":
        _sold(out, data)
    elif name == "auction_closed":
        _closed(out, data)
    elif name == "auction_deleted":
        out["deleted"] = True
        out["buy_now_available"] = False
        if out.get("status") in ("scheduled", "open"):
            out["status"] = "cancelled"
    else:
        out.update({k: v for k, v in data.items() if k in out and k != "id"})
    if event.seq is not None and name != "auction_summary":
        out["seq"] = max(int(out.get("seq") or 0), event.seq)
    return out


@dataclass
class AuctionBook:
    """Auctions by id, each as fresh as the newest reply or event seen."""

    auctions: dict[int, dict[str, Any]] = field(default_factory=dict)

    def get(self, auction_id: int) -> dict[str, Any] | None:
        return self.auctions.get(auction_id)

    def put(self, auction: dict[str, Any], bids: list[dict[str, Any]] | None = None) -> None:
        """Take an auction object from a reply unless we already hold a newer one."""
        try:
            aid = int(auction["id"])
        except (KeyError, TypeError, ValueError):
            return
        held = self.auctions.get(aid)
        if held is not None and int(held.get("seq") or 0) > int(auction.get("seq") or 0):
            return
        merged = dict(auction)
        if bids is not None:
            merged["bids"] = list(bids)[:MAX_BIDS_KEPT]
        elif held is not None and "bids" in held:
            merged["bids"] = held["bids"]
        self.auctions[aid] = merged

    def absorb_result(self, result: dict[str, Any]) -> None:
        """Learn from a reply's result (``auction``, ``auctions``, ``bids``)."""
        if isinstance(result.get("auction"), dict):
            bids = result.get("bids")
            self.put(result["auction"], bids if isinstance(bids, list) else None)
        for auction in result.get("auctions") or []:
            if isinstance(auction, dict):
                self.put(auction)

    def absorb_event(self, event: EventLike) -> None:
        """Apply an event of ``auction:ID`` (or an ``auction_summary``) if it is news."""
        if event.name == "auction_summary":
            self.put(event.data)
            return
        aid = auction_id_of_topic(event.topic)
        if aid is None:
            return
        held = self.auctions.get(aid)
        if held is None:
            if event.name != "auction_created" or "id" not in event.data:
                return
            held = {}
        if event.seq is not None and event.seq <= int(held.get("seq") or 0):
            return
        self.auctions[aid] = apply_event(held, event)
