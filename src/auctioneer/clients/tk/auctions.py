"""The desktop apps' picture of the auctions, and the table rows drawn from it.

Why pure: what a row says (price, leader, countdown on the server's clock),
how the table sorts and filters, and how replies and events fold into the
picture are all decided here, tested without a display; the Tk widgets only
copy rows into a Treeview. Every figure shown is the server's own
(`minimum_bid`, `ends_at`, `current_bid`); the countdown is `ends_at` minus
the server's clock, never a rule recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auctioneer.clients.book import apply_event, auction_id_of_topic
from auctioneer.clients.cli.parsing import format_countdown
from auctioneer.clients.cli.render import minimum_bid, seconds_left
from auctioneer.clients.money import format_amount
from auctioneer.clients.photos import media_url
from auctioneer.clients.session import parse_time

__all__ = [
    "ADMIN_COLUMNS",
    "BIDDER_COLUMNS",
    "STATUSES",
    "Column",
    "LiveAuctions",
    "admin_row",
    "bidder_row",
    "clock_text",
    "countdown",
    "matches",
    "photo_text",
    "sort_key",
    "sorted_auctions",
]

STATUSES = ("scheduled", "open", "closed", "cancelled")


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its key, heading and width in pixels."""

    key: str
    heading: str
    width: int
    anchor: str = "w"


ADMIN_COLUMNS = (
    Column("id", "#", 44, "e"),
    Column("name", "Name", 200),
    Column("status", "Status", 84),
    Column("current_bid", "Current bid", 112, "e"),
    Column("leader", "Leader", 130),
    Column("starts_at", "Starts", 80),
    Column("ends_at", "Ends", 80),
    Column("left", "Time left", 92, "e"),
    Column("bid_count", "Bids", 56, "e"),
    Column("watchers", "Watchers", 90, "e"),
    Column("watchlist_count", "Watchlists", 90, "e"),
    Column("public", "Visibility", 96),
    Column("images", "Photos", 70, "e"),
)

BIDDER_COLUMNS = (
    Column("id", "#", 44, "e"),
    Column("name", "Name", 200),
    Column("status", "Status", 84),
    Column("current_bid", "Price", 96, "e"),
    Column("minimum_bid", "Next bid", 100, "e"),
    Column("leader", "Leader", 70),
    Column("bid_count", "Bids", 50, "e"),
    Column("left", "Time left", 90, "e"),
)


def clock_text(iso: str | None) -> str:
    """A wire time as ``HH:MM:SS`` (UTC), or ``-``."""
    moment = parse_time(iso)
    if moment is None:
        return "-"
    return datetime.fromtimestamp(moment, UTC).strftime("%H:%M:%S")


def photo_text(auction: Mapping[str, Any], server: str) -> str:
    """The auction's photos named as `auctioneer show` names them: each large
    version's URL (absolute for an HTTP server), one per line; "" without photos."""
    urls = [media_url(server, str(i.get("large", ""))) for i in auction.get("images") or []]
    if not urls:
        return ""
    label = "1 photo" if len(urls) == 1 else f"{len(urls)} photos"
    return label + ":\n" + "\n".join(urls)


def countdown(auction: Mapping[str, Any], server_now: float) -> str:
    """Time left on the server's clock: to the end while open, to the start while scheduled."""
    status = auction.get("status")
    left = seconds_left(auction, server_now)
    if status == "scheduled":
        return "-" if left is None else "in " + format_countdown(left)
    if status == "open":
        if left is None:
            return "on 1st bid" if auction.get("countdown_s") else "-"
        # the soft-close cap reached: no bid extends the end any more
        return format_countdown(left) + (" final" if auction.get("cap_reached") else "")
    return "ended"


def _leader_admin(auction: Mapping[str, Any]) -> str:
    name = auction.get("leader_username") or auction.get("winner_username")
    paddle = auction.get("leader") or auction.get("winner")
    if name and paddle:
        return f"{name} ({paddle})"
    return str(name or paddle or "-")


def admin_row(auction: Mapping[str, Any], server_now: float) -> tuple[str, ...]:
    """One admin table row, in `ADMIN_COLUMNS` order."""
    return (
        str(auction.get("id", "")),
        str(auction.get("name", "")),
        str(auction.get("status", "")),
        format_amount(auction.get("current_bid")),
        _leader_admin(auction),
        clock_text(auction.get("starts_at")),
        clock_text(auction.get("ends_at")),
        countdown(auction, server_now),
        str(auction.get("bid_count") or 0),
        "-" if auction.get("watchers") is None else str(auction["watchers"]),
        "-" if auction.get("watchlist_count") is None else str(auction["watchlist_count"]),
        "public" if auction.get("public", True) else "private",
        str(len(auction.get("images") or [])),
    )


def bidder_row(auction: Mapping[str, Any], server_now: float) -> tuple[str, ...]:
    """One bidder table row, in `BIDDER_COLUMNS` order."""
    is_open = auction.get("status") == "open"
    return (
        str(auction.get("id", "")),
        str(auction.get("name", "")),
        str(auction.get("status", "")),
        format_amount(auction.get("current_bid")),
        format_amount(minimum_bid(auction)) if is_open else "-",
        str(auction.get("leader") or "-"),
        str(auction.get("bid_count") or 0),
        countdown(auction, server_now),
    )


def sort_key(auction: Mapping[str, Any], column: str, server_now: float) -> tuple[int, Any]:
    """A key that sorts numbers as numbers and puts missing values last."""
    if column == "left":
        left = seconds_left(auction, server_now)
        return (1, 0) if left is None else (0, left)
    if column == "leader":
        value: Any = auction.get("leader_username") or auction.get("leader")
    elif column == "minimum_bid":
        value = minimum_bid(auction) if auction.get("status") == "open" else None
    elif column in ("starts_at", "ends_at"):
        value = parse_time(auction.get(column))
    elif column == "images":
        value = len(auction.get("images") or [])
    elif column == "status":
        status = auction.get("status")
        value = STATUSES.index(status) if status in STATUSES else None
    else:
        value = auction.get(column)
    if value is None:
        return (1, 0)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    return (0, str(value).lower())


def matches(auction: Mapping[str, Any], *, status: str = "", text: str = "") -> bool:
    """The filter: a status (``""`` for any) and words found in the name or leader."""
    if status and auction.get("status") != status:
        return False
    haystack = " ".join(
        str(auction.get(k) or "")
        for k in ("id", "name", "description", "leader", "leader_username", "winner_username")
    ).lower()
    return all(word in haystack for word in text.lower().split())


def sorted_auctions(
    auctions: Iterable[Mapping[str, Any]],
    *,
    column: str = "id",
    descending: bool = False,
    server_now: float = 0.0,
) -> list[Mapping[str, Any]]:
    """The auctions sorted by `column` (missing values last either way)."""
    items = list(auctions)
    present = [a for a in items if sort_key(a, column, server_now)[0] == 0]
    missing = [a for a in items if sort_key(a, column, server_now)[0] == 1]
    present.sort(key=lambda a: sort_key(a, column, server_now), reverse=descending)
    return present + missing


@dataclass
class LiveAuctions:
    """Auctions by id, as fresh as the newest reply, summary or event.

    Args:
        public_only: drop private and deleted auctions (the bidder's view;
            the server already hides them, this handles an auction turning
            private while shown).
    """

    public_only: bool = False
    auctions: dict[int, dict[str, Any]] = field(default_factory=dict)

    def get(self, auction_id: int) -> dict[str, Any] | None:
        return self.auctions.get(auction_id)

    def visible(self) -> list[dict[str, Any]]:
        return list(self.auctions.values())

    def replace_all(self, auctions: Iterable[Mapping[str, Any]]) -> None:
        """A fresh `get_auctions` listing: anything not in it is gone."""
        fresh: dict[int, dict[str, Any]] = {}
        for auction in auctions:
            aid = int(auction["id"])
            held = self.auctions.get(aid, {})
            fresh[aid] = _merged(held, auction, keep_newer=True)
        self.auctions = {k: v for k, v in fresh.items() if self._keeps(v)}

    def put(self, auction: Mapping[str, Any], bids: list[dict[str, Any]] | None = None) -> int:
        """Take an auction object (a reply or an `auction_summary`); returns its id."""
        aid = int(auction["id"])
        merged = _merged(self.auctions.get(aid, {}), auction, keep_newer=True)
        if bids is not None:
            merged["bids"] = list(bids)
        self._store(aid, merged)
        return aid

    def remove(self, auction_id: int) -> None:
        self.auctions.pop(auction_id, None)

    def absorb_result(self, result: Mapping[str, Any]) -> list[int]:
        """Learn from a reply's ``auction`` (with ``bids``) or ``auctions``; returns the ids."""
        ids = []
        if isinstance(result.get("auction"), dict):
            bids = result.get("bids")
            ids.append(self.put(result["auction"], bids if isinstance(bids, list) else None))
        for auction in result.get("auctions") or []:
            if isinstance(auction, dict):
                ids.append(self.put(auction))
        return ids

    def absorb_event(self, name: str, topic: str | None, event: Any) -> int | None:
        """Fold one event; returns the id of the auction it changed, if any."""
        data = event.data
        if name == "auction_summary" and "id" in data:
            return self.put(data)
        if name == "auction_hidden":
            aid = data.get("auction_id")
            if isinstance(aid, int):
                self.remove(aid)
            return aid if isinstance(aid, int) else None
        aid = auction_id_of_topic(topic)
        if aid is None:
            return None
        held = self.auctions.get(aid)
        if held is None:
            return None
        if event.seq is not None and event.seq <= int(held.get("seq") or 0):
            # Already folded from a summary: still add a bid the summary lacks.
            if name == "bid_placed" and not any(b.get("seq") == event.seq for b in held["bids"]):
                updated = apply_event({**held, "seq": event.seq - 1}, event)
                held["bids"] = updated["bids"]
            return aid
        self._store(aid, apply_event(held, event))
        return aid

    def _keeps(self, auction: Mapping[str, Any]) -> bool:
        if auction.get("deleted"):
            return False
        return not (self.public_only and auction.get("public") is False)

    def _store(self, aid: int, auction: dict[str, Any]) -> None:
        auction.setdefault("bids", [])
        if self._keeps(auction):
            self.auctions[aid] = auction
        else:
            self.auctions.pop(aid, None)


def _merged(held: Mapping[str, Any], new: Mapping[str, Any], *, keep_newer: bool) -> dict[str, Any]:
    """`new` over `held`, unless `held` is newer; keys `new` lacks (watchers,
    watchlist_count, bids) survive."""
    if keep_newer and int(held.get("seq") or 0) > int(new.get("seq") or 0):
        out = dict(held)
        for key in ("watchers", "watchlist_count"):  # only listings carry them
            if new.get(key) is not None:
                out[key] = new[key]
        return out
    out = {**held, **new}
    out.setdefault("bids", [])
    return out
