"""Rich renderables for auctions, bids and purchases, shared by the commands and `watch`.

Why pure functions of data: the listing commands, the live watch view and the
tests all draw the same tables; given the same auction dicts and the same
server time they draw the same thing, on a real terminal or a captured one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from auctioneer.clients.cli.parsing import format_countdown
from auctioneer.clients.money import format_amount
from auctioneer.clients.photos import media_url
from auctioneer.clients.session import parse_time

__all__ = [
    "STATUS_STYLES",
    "auction_detail",
    "auctions_table",
    "bids_table",
    "minimum_bid",
    "price_text",
    "purchases_table",
    "seconds_left",
]

STATUS_STYLES = {"open": "green", "scheduled": "cyan", "closed": "dim", "cancelled": "red"}

FLASH_STYLE = "bold reverse"


def seconds_left(auction: Mapping[str, Any], server_now: float) -> float | None:
    """Seconds until the auction's ``ends_at`` (or ``starts_at`` while scheduled)."""
    status = auction.get("status")
    if status == "scheduled":
        start = parse_time(auction.get("starts_at"))
        return None if start is None else start - server_now
    if status != "open":
        return None
    end = parse_time(auction.get("ends_at"))
    return None if end is None else end - server_now


def minimum_bid(auction: Mapping[str, Any]) -> int | None:
    """The lowest valid next bid, as the server states it (None when it states none).

    Why not computed here: clients never recompute a rule the server states
    (rule 1 lives in the engine); an open auction always carries it.
    """
    value = auction.get("minimum_bid")
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


def price_text(auction: Mapping[str, Any]) -> str:
    """``125.50`` once bid on, else ``from 100.00``; the price once sold."""
    if auction.get("status") in ("closed", "cancelled") and auction.get("price") is not None:
        return format_amount(auction["price"])
    if auction.get("current_bid") is not None:
        return format_amount(auction["current_bid"])
    return "from " + format_amount(auction.get("starting_bid"))


#: Close reasons as the listing's short Time column says them.
SHORT_REASONS = {"reserve_not_met": "no sale", "no_bids": "no bids", "admin": "closed"}


def _timing(auction: Mapping[str, Any], server_now: float, *, short: bool = False) -> str:
    """When the auction starts or ends, or how it ended; `short` for the 80-column listing."""
    status = auction.get("status")
    left = seconds_left(auction, server_now)
    if status == "scheduled":
        if left is None:  # a sale's lot that opens when the lot before it closes
            return "waits" if short else "after the lot before it"
        return f"in {format_countdown(left)}" if short else f"starts in {format_countdown(left)}"
    if status == "open":
        if left is None:
            passes = parse_time(auction.get("passes_at"))
            if passes is not None:  # the server says when it passes unsold with no bid
                return f"passes {format_countdown(passes - server_now)}"
            countdown = auction.get("countdown_s")
            if short:
                return "on 1st bid" if countdown else "open"
            return f"{countdown} s countdown from the 1st bid" if countdown else "open"
        if auction.get("cap_reached"):  # the soft-close cap: no bid extends it any more
            return (
                f"{format_countdown(left)} final"
                if short
                else (f"{format_countdown(left)} (final: no more extensions)")
            )
        return format_countdown(left)
    if status == "closed":
        winner = auction.get("winner")
        reason = str(auction.get("close_reason") or auction.get("reason") or "closed")
        if winner:  # the listing names the winner in its Leader column
            return "sold" if short else f"sold to {winner}"
        return (
            SHORT_REASONS.get(reason, reason.replace("_", " "))
            if short
            else reason.replace("_", " ")
        )
    return "" if short else str(status or "")


def _increments(auction: Mapping[str, Any]) -> str:
    """The fixed increment, or the bands: ``0.05 from 0.00, 0.25 from 1.00``."""
    bands = auction.get("increments")
    if not bands:
        return format_amount(auction.get("min_increment"))
    return ", ".join(
        f"{format_amount(b['increment'])} from {format_amount(b['from'])}" for b in bands
    )


def _status(auction: Mapping[str, Any]) -> Text:
    """The status word; a deleted auction (admins only see one) says so."""
    status = str(auction.get("status", ""))
    if auction.get("deleted"):
        return Text("deleted", style="red")
    return Text(status, style=STATUS_STYLES.get(status, ""))


def _lot(auction: Mapping[str, Any]) -> str:
    if auction.get("sale_id") is None:
        return ""
    return f"{auction['sale_id']}/{auction.get('lot', '')}"


def _name(auction: Mapping[str, Any], admin: bool, *, watched: bool = False) -> Text:
    """The name, after a star if watched, its sale and lot (``1/3``) and, for
    admins, ``(private)``."""
    text = Text()
    if watched:
        text.append("★ ", style="yellow")
    lot = _lot(auction)
    if lot:
        text.append(lot + " ", style="dim")
    if admin and not auction.get("public", True):
        text.append("(private) ", style="yellow")
    text.append(str(auction.get("name", "")))
    return text


def _price(auction: Mapping[str, Any]) -> Text:
    """The price; before the first bid the opening price, dimmed (``Bids`` says 0)."""
    if auction.get("status") in ("closed", "cancelled") and auction.get("price") is not None:
        return Text(format_amount(auction["price"]))
    if auction.get("current_bid") is not None:
        return Text(format_amount(auction["current_bid"]))
    return Text(format_amount(auction.get("starting_bid")), style="dim")


def auctions_table(
    auctions: Iterable[Mapping[str, Any]],
    server_now: float,
    *,
    flashing: frozenset[int] = frozenset(),
    title: str | None = None,
    watched: frozenset[int] = frozenset(),
) -> Table:
    """The listing: one row per auction; rows in `flashing` are highlighted, and
    the names of `watched` ones (on the user's watchlist) start with a star.

    Why this shape: it fits 80 columns without cutting a word. Every column
    but the name keeps its text whole and short (no wrapping, no ellipsis);
    the name wraps between words and carries the sale and lot (``1/3``) and,
    for admins (whose auction objects carry admin fields), ``(private)``.
    `Buy now` appears only when some auction has one; a closed auction names
    its winner under `Leader` (and says `sold`); a deleted auction (admins
    only) shows as `deleted`.
    """
    rows = list(auctions)
    admin = any("deleted" in a for a in rows)  # an admin's view of the auctions
    with_buy_now = any(a.get("buy_now") is not None for a in rows)
    # Two spaces between columns (a right pad and the box's separator), none at the edges.
    table = Table(
        title=title, box=box.SIMPLE_HEAD, expand=False, padding=(0, 1, 0, 0), show_edge=False
    )
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Name", ratio=1, min_width=10, overflow="fold")
    for name in ("Status", "Price", "Leader", "Bids", "Time", *(["Buy now"] * with_buy_now)):
        justify = "left" if name in ("Status", "Leader") else "right"
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for a in rows:
        style = FLASH_STYLE if a.get("id") in flashing else None
        cells: list[RenderableType] = [
            str(a.get("id", "")),
            _name(a, admin, watched=a.get("id") in watched),
            _status(a),
            _price(a),
            str((a.get("winner") if a.get("status") == "closed" else a.get("leader")) or ""),
            str(a.get("bid_count") or 0),
            _timing(a, server_now, short=True),
        ]
        if with_buy_now:
            cells.append(format_amount(a.get("buy_now"), empty=""))
        table.add_row(*cells, style=style)
    return table


def bids_table(bids: Iterable[Mapping[str, Any]], *, limit: int | None = None) -> Table:
    """Bids newest first; admins' replies add a ``username`` column."""
    rows = list(bids)[:limit] if limit else list(bids)
    with_names = any("username" in b for b in rows)
    table = Table(box=box.SIMPLE_HEAD, title="Bids")
    for name in ("Seq", "Round", "Amount", "Bidder", *(["User"] if with_names else []), "At"):
        table.add_column(name, justify="right" if name in ("Seq", "Amount", "Round") else "left")
    for b in rows:
        bidder = str(b.get("bidder", "")) + (" (auto)" if b.get("auto") else "")
        user = [str(b.get("username", ""))] if with_names else []
        at = str(b.get("at") or "")
        table.add_row(
            str(b.get("seq", "")),
            str(b.get("round", "")),
            format_amount(b.get("amount")),
            bidder,
            *user,
            at.replace("T", " ").rstrip("Z"),
        )
    return table


def auction_detail(
    auction: Mapping[str, Any],
    bids: Iterable[Mapping[str, Any]],
    server_now: float,
    *,
    flashing: bool = False,
    bid_limit: int = 10,
    server: str = "",
) -> RenderableType:
    """One auction: a panel of its facts and price, then its last bids.

    Photos are named by their large version's URL (absolute when `server` is
    an HTTP address), one a line, the cover first.
    """
    status = str(auction.get("status", ""))
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column(overflow="fold")  # a photo's URL wraps whole, never cut short
    price = Text(price_text(auction), style=FLASH_STYLE if flashing else "bold")
    shown = Text(status, style=STATUS_STYLES.get(status, ""))
    if auction.get("deleted"):
        shown = Text(f"deleted ({status} when it was deleted)", style="red")
    rows: list[tuple[str, RenderableType]] = [
        ("Status", shown),
        ("Price", price),
        (
            "Winner" if status == "closed" else "Leader",
            str((auction.get("winner") if status == "closed" else auction.get("leader")) or "-"),
        ),
        ("Time", _timing(auction, server_now)),
        ("Next bid", format_amount(minimum_bid(auction)) if status == "open" else "-"),
        ("Increment", _increments(auction)),
        ("Bids", str(auction.get("bid_count") or 0)),
    ]
    if "deleted" in auction:  # an admin's view: who may see it
        rows.append(("Visibility", "public" if auction.get("public", True) else "private"))
    if auction.get("buy_now") is not None:
        rows.append(("Buy now", format_amount(auction["buy_now"])))
    if auction.get("reserve") is not None:
        rows.append(("Reserve", format_amount(auction["reserve"])))
    if auction.get("has_reserve") or auction.get("reserve") is not None:
        rows.append(("Reserve met", "yes" if auction.get("reserve_met") else "no"))
    if int(auction.get("quantity") or 1) > 1:
        rows.append(("Units", f"{auction.get('units_left')} of {auction.get('quantity')} left"))
        rows.append(("Round", str(auction.get("round", 1))))
    for key, label in (("leader_username", "Leader user"), ("winner_username", "Winner user")):
        if auction.get(key):
            rows.append((label, str(auction[key])))
    if auction.get("description"):
        rows.append(("About", str(auction["description"])))
    photos = [media_url(server, str(i.get("large", ""))) for i in auction.get("images") or []]
    if photos:
        rows.append(("Photos", "\n".join(photos)))
    for label, value in rows:
        facts.add_row(label, value)
    title = f"#{auction.get('id')} {auction.get('name', '')}"
    panel = Panel(facts, title=title, title_align="left", expand=False)
    return Group(panel, bids_table(bids, limit=bid_limit))


def purchases_table(purchases: Iterable[Mapping[str, Any]]) -> Table:
    """What was bought: one row per unit won."""
    rows = list(purchases)
    with_names = any("username" in p for p in rows)
    table = Table(box=box.SIMPLE_HEAD, title="Purchases")
    columns = ("Purchase", "Auction", "Name", "Round", "Price", *(["User"] if with_names else []))
    for name in (*columns, "At"):
        table.add_column(name, justify="right" if name in ("Auction", "Round", "Price") else "left")
    for p in rows:
        user = [str(p.get("username", ""))] if with_names else []
        table.add_row(
            str(p.get("id", "")),  # what `auctioneer invoice` takes
            str(p.get("auction_id", "")),
            str(p.get("name", "")),
            str(p.get("round", "")),
            format_amount(p.get("price")),
            *user,
            str(p.get("at") or "").replace("T", " ").rstrip("Z"),
        )
    return table
