"""The admin's analytics (the web console's figures) and its CSV export, as data.

Why pure: bids over time, sell-through and revenue are sums over the
server's auction and bid objects; computing them apart from the Canvas that
draws them lets the tests check the numbers, and the chart code only scales
bars. Same figures as the web console's `lib/analytics.js`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auctioneer.clients.money import format_amount
from auctioneer.clients.session import parse_time

__all__ = [
    "Analytics",
    "Bar",
    "CSV_HEADER",
    "bar_layout",
    "bucket_bids",
    "compute_analytics",
    "csv_text",
    "sales_of",
]

_BUCKETS_S = (10, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400)
_MAX_BUCKETS = 24

CSV_HEADER = (
    "id",
    "name",
    "status",
    "public",
    "starting_bid",
    "reserve",
    "buy_now",
    "quantity",
    "current_bid",
    "leader",
    "bids",
    "units_sold",
    "final_price",
    "winner",
    "revenue",
    "starts_at",
    "ends_at",
)


def sales_of(auction: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Units sold by one auction: ``sales``, or the single winner and price."""
    sales = auction.get("sales")
    if isinstance(sales, list) and sales:
        return sales
    if auction.get("winner") and auction.get("price") is not None:
        return [
            {
                "round": auction.get("round", 1),
                "winner": auction["winner"],
                "price": auction["price"],
            }
        ]
    return []


@dataclass(frozen=True, slots=True)
class Analytics:
    """The figures of the analytics tab."""

    auctions: int = 0
    open: int = 0
    total_bids: int = 0
    unique_bidders: int = 0
    finished: int = 0
    sold: int = 0
    units_sold: int = 0
    revenue: int = 0
    sell_through: float | None = None
    bids_over_time: list[tuple[str, int]] = field(default_factory=list)
    revenue_by_auction: list[tuple[str, int]] = field(default_factory=list)


def bucket_bids(times: Iterable[float]) -> list[tuple[str, int]]:
    """Count bids per time bucket, with a bucket size giving at most 24 bars."""
    ordered = sorted(times)
    if not ordered:
        return []
    span = max(1.0, ordered[-1] - ordered[0])
    size = next((s for s in _BUCKETS_S if span / s < _MAX_BUCKETS), _BUCKETS_S[-1])
    start = int(ordered[0] // size) * size
    counts = [0] * (int((ordered[-1] - start) // size) + 1)
    for t in ordered:
        counts[int((t - start) // size)] += 1
    fmt = "%d %b" if size >= 86400 else ("%H:%M:%S" if size < 60 else "%H:%M")
    return [
        (datetime.fromtimestamp(start + i * size, UTC).strftime(fmt), n)
        for i, n in enumerate(counts)
    ]


def compute_analytics(
    auctions: Sequence[Mapping[str, Any]], bids_by_id: Mapping[int, Sequence[Mapping[str, Any]]]
) -> Analytics:
    """The figures for `auctions`, with the bids fetched for each (by auction id)."""
    all_bids = [b for a in auctions for b in bids_by_id.get(int(a["id"]), [])]
    done = [a for a in auctions if a.get("status") in ("closed", "cancelled")]
    sold = [a for a in done if sales_of(a)]
    sales = [s for a in auctions for s in sales_of(a)]
    revenue_by = [
        (str(a.get("name", a["id"]))[:14], sum(int(s["price"]) for s in sales_of(a)))
        for a in auctions
        if sales_of(a)
    ]
    times = [t for b in all_bids if (t := parse_time(b.get("at"))) is not None]
    return Analytics(
        auctions=len(auctions),
        open=sum(1 for a in auctions if a.get("status") == "open"),
        total_bids=len(all_bids),
        unique_bidders=len({b.get("username") or b.get("bidder") for b in all_bids}),
        finished=len(done),
        sold=len(sold),
        units_sold=len(sales),
        revenue=sum(int(s["price"]) for s in sales),
        sell_through=(len(sold) / len(done)) if done else None,
        bids_over_time=bucket_bids(times),
        revenue_by_auction=revenue_by[-12:],
    )


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a chart, in canvas pixels."""

    x0: float
    y0: float
    x1: float
    y1: float
    label: str
    value: int


def bar_layout(
    values: Sequence[tuple[str, int]],
    width: float,
    height: float,
    *,
    pad: float = 28,
    max_slot: float = 96,
) -> list[Bar]:
    """Scale `values` into bars in a `width` x `height` box, leaving `pad` for labels.

    A slot is at most `max_slot` wide, and the bars are centred, so two bars
    do not each fill half the chart.
    """
    if not values:
        return []
    top = max(v for _, v in values) or 1
    slot = min((width - 2 * pad) / len(values), max_slot)
    left = (width - slot * len(values)) / 2
    gap = min(12.0, slot * 0.25)
    usable = height - 2 * pad
    return [
        Bar(
            x0=left + i * slot + gap / 2,
            y0=height - pad - usable * value / top,
            x1=left + (i + 1) * slot - gap / 2,
            y1=height - pad,
            label=label,
            value=value,
        )
        for i, (label, value) in enumerate(values)
    ]


def _money(value: Any) -> str:
    return "" if value is None else format_amount(int(value)).replace(",", "")


def csv_text(auctions: Iterable[Mapping[str, Any]]) -> str:
    """The auctions as CSV, one row each under `CSV_HEADER`; amounts like ``125.50``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for a in auctions:
        sales = sales_of(a)
        writer.writerow(
            [
                a.get("id"),
                a.get("name", ""),
                a.get("status", ""),
                "yes" if a.get("public", True) else "no",
                _money(a.get("starting_bid")),
                _money(a.get("reserve")),
                _money(a.get("buy_now")),
                a.get("quantity", 1),
                _money(a.get("current_bid")),
                a.get("leader_username") or a.get("leader") or "",
                a.get("bid_count") or 0,
                len(sales),
                _money(a.get("price")),
                a.get("winner_username") or a.get("winner") or "",
                _money(sum(int(s["price"]) for s in sales)) if sales else "",
                a.get("starts_at") or "",
                a.get("ends_at") or "",
            ]
        )
    return out.getvalue()
