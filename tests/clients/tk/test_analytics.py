"""The admin's analytics figures, chart bars and CSV."""

from __future__ import annotations

import csv
import io

from auctioneer.clients.session import format_time
from auctioneer.clients.tk.analytics import bar_layout, bucket_bids, compute_analytics, csv_text

__all__: list[str] = []

T0 = 1_800_000_000.0


def test_the_figures_count_bids_bidders_sell_through_and_revenue() -> None:
    auctions = [
        {
            "id": 1,
            "name": "A",
            "status": "closed",
            "winner": "#1",
            "price": 1500,
            "starting_bid": 1000,
        },
        {"id": 2, "name": "B", "status": "closed", "winner": None, "price": None},
        {"id": 3, "name": "C", "status": "open"},
        {
            "id": 4,
            "name": "D",
            "status": "closed",
            "sales": [
                {"round": 1, "winner": "#1", "price": 100},
                {"round": 2, "winner": "#2", "price": 200},
            ],
        },
    ]
    bids = {
        1: [{"bidder": "#1", "at": format_time(T0)}, {"bidder": "#2", "at": format_time(T0 + 5)}],
        3: [{"bidder": "#1", "at": format_time(T0 + 30)}],
    }
    figures = compute_analytics(auctions, bids)
    assert (figures.auctions, figures.open, figures.total_bids, figures.unique_bidders) == (
        4,
        1,
        3,
        2,
    )
    assert (figures.finished, figures.sold, figures.units_sold, figures.revenue) == (3, 2, 3, 1800)
    assert figures.sell_through == 2 / 3
    assert figures.revenue_by_auction == [("A", 1500), ("D", 300)]
    assert sum(n for _, n in figures.bids_over_time) == 3


def test_bids_are_bucketed_into_at_most_24_bars() -> None:
    times = [T0 + i * 7 for i in range(1000)]  # two hours
    buckets = bucket_bids(times)
    assert len(buckets) <= 24 and sum(n for _, n in buckets) == 1000
    assert bucket_bids([]) == []


def test_bars_fill_the_box_and_scale_to_the_largest_value() -> None:
    bars = bar_layout([("a", 5), ("b", 10)], 200, 100, pad=10)
    assert bars[0].x0 >= 10 and bars[-1].x1 <= 190
    assert bars[1].y0 == 10 and bars[0].y0 == 50
    assert all(b.y1 == 90 for b in bars)
    (one,) = bar_layout([("a", 1)], 1000, 100)
    assert one.x1 - one.x0 <= 96 and one.x0 + one.x1 == 1000  # narrow, and centred


def test_the_csv_has_a_header_and_amounts_as_typed() -> None:
    text = csv_text(
        [
            {
                "id": 7,
                "name": "Lamp, brass",
                "status": "closed",
                "starting_bid": 123456,
                "price": 150000,
                "winner": "#3",
                "winner_username": "ann",
                "public": False,
            }
        ]
    )
    rows = list(csv.reader(io.StringIO(text)))
    header, row = rows
    values = dict(zip(header, row, strict=True))
    assert values["name"] == "Lamp, brass"
    assert (values["starting_bid"], values["final_price"], values["revenue"]) == (
        "1234.56",
        "1500.00",
        "1500.00",
    )
    assert (values["winner"], values["public"], values["units_sold"]) == ("ann", "no", "1")
