"""The listing fits 80 columns without cutting a word; admins see visibility and deletion."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from auctioneer.clients.cli.render import auction_detail, auctions_table
from auctioneer.clients.session import parse_time

__all__: list[str] = []

NOW = parse_time("2026-11-21T10:00:00.000Z") or 0.0


def auction(aid: int, name: str, **over: Any) -> dict[str, Any]:
    base = {"id": aid, "name": name, "status": "open", "starting_bid": 1_500_000,
            "min_increment": 100, "current_bid": None, "leader": None, "bid_count": 0,
            "ends_at": "2026-11-21T11:59:59.000Z", "buy_now": None, "sale_id": None,
            "public": True, "minimum_bid": 1_500_000, "seq": 1}  # fmt: skip
    return {**base, **over}


LISTING = [
    auction(1, "Vintage Watch", sale_id=1, lot=1, countdown_s=10, ends_at=None,
            passes_at="2026-11-21T10:00:45.000Z"),
    auction(2, "Rare Stamp Collection", status="closed", close_reason="reserve_not_met",
            current_bid=32_500, leader="#7", bid_count=46),
    auction(3, "Oil Painting: Harbour at Dusk", status="scheduled", ends_at=None,
            starts_at="2026-11-21T10:10:00.000Z"),
    auction(4, "Concert Tickets (5 pairs)", status="closed", winner="#123", price=24_900),
    auction(5, "Mountain Bike", buy_now=15_000_000, current_bid=12_345_600, leader="#12",
            bid_count=1234),
]  # fmt: skip


def draw(renderable: Any, width: int = 80) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.export_text()


def test_the_auctions_table_fits_80_columns_without_cutting_a_word() -> None:
    for rows in (LISTING, [{**a, "deleted": False} for a in LISTING]):  # bidder, admin
        text = draw(auctions_table(rows, NOW))
        assert "…" not in text, text
        assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
        words = " ".join(text.split())
        for expected in ("scheduled", "15,000.00", "123,456.00", "150,000.00", "passes 0:45",
                         "no sale", "#123 0 sold", "in 10:00", "1/1", "#12", "1234"):  # fmt: skip
            assert expected in words, (expected, text)
        for a in rows:
            for word in str(a["name"]).split():
                assert word in words, (word, text)


def test_admins_see_private_auctions_marked_in_the_listing() -> None:
    rows = [{**a, "deleted": False} for a in LISTING]
    rows[2]["public"] = False
    assert "(private) Oil" in " ".join(draw(auctions_table(rows, NOW)).split())
    bidder = [{**a, "public": False} for a in LISTING[:1]]  # no admin fields: no marker
    assert "(private)" not in draw(auctions_table(bidder, NOW))


def test_show_of_a_deleted_auction_says_deleted_and_admins_see_visibility() -> None:
    gone = auction(9, "Lamp", status="cancelled", deleted=True, public=False)
    text = draw(auction_detail(gone, [], NOW))
    assert "deleted (cancelled when it was deleted)" in text
    assert "Visibility  private" in text
    plain = draw(auction_detail(auction(9, "Lamp"), [], NOW))
    assert "Visibility" not in plain and "deleted" not in plain


def test_the_detail_shows_increment_bands_and_a_reached_cap_as_final() -> None:
    now = parse_time("2026-11-21T11:58:59.000Z")
    assert now is not None
    bands = [{"from": 0, "increment": 5}, {"from": 100, "increment": 25}]
    capped = auction(1, "Print", increments=bands, cap_reached=True)
    text = draw(auction_detail(capped, [], now))
    assert "0.05 from 0.00, 0.25 from 1.00" in text
    assert "1:00 (final: no more extensions)" in text
    assert "1:00 final" in draw(auctions_table([capped], now))
    assert "final" not in draw(auction_detail(auction(1, "Print"), [], now))
