"""My bids' groups and the notifications' sentences."""

from __future__ import annotations

from auctioneer.clients.tk.standing import MyBids, Notice, describe_notice, standing

__all__: list[str] = []


def test_standing_comes_from_the_servers_leader_and_winner() -> None:
    assert standing({"status": "open", "leader": "#7"}, "#7", False) == "leading"
    assert standing({"status": "open", "leader": "#8"}, "#7", True) == "outbid"
    assert standing({"status": "open", "leader": "#8"}, "#7", False) is None
    assert standing({"status": "closed", "winner": "#7"}, "#7", False) == "won"
    assert standing({"status": "closed", "winner": "#8"}, "#7", True) == "lost"
    assert (
        standing({"status": "closed", "sales": [{"winner": "#7"}], "winner": "#9"}, "#7", True)
        == "won"
    )
    assert standing({"status": "open", "leader": "#7"}, None, True) is None


def test_my_bids_groups_auctions_named_by_bids_and_notices() -> None:
    mine = MyBids(paddle="#7")
    mine.note_bid(2)
    assert mine.add_notice(Notice("auction_lost", 4, {}, seq=1))
    assert not mine.add_notice(Notice("auction_lost", 4, {}, seq=1))  # seen before
    auctions = [
        {"id": 1, "status": "open", "leader": "#7"},
        {"id": 2, "status": "open", "leader": "#8"},
        {"id": 3, "status": "closed", "winner": "#7"},
        {"id": 4, "status": "closed", "winner": "#8"},
        {"id": 5, "status": "open", "leader": "#9"},
    ]
    groups = {k: [a["id"] for a in v] for k, v in mine.groups(auctions).items()}
    assert groups == {"leading": [1], "outbid": [2], "won": [3], "lost": [4]}


def test_each_notice_reads_as_a_sentence_with_amounts() -> None:
    assert describe_notice(Notice("outbid", 1, {"amount": 12550}), "Lamp") == (
        "You were outbid on Lamp: the price is now 125.50."
    )
    assert describe_notice(Notice("won", 1, {"price": 900, "buy_now": True}), "Lamp") == (
        "You won Lamp with Buy now for 9.00!"
    )
    assert "sold for 10.00" in describe_notice(Notice("auction_lost", 1, {"price": 1000}), "Lamp")
    assert "without a sale" in describe_notice(Notice("auction_lost", 1, {"price": None}), "Lamp")
    assert "maximum of 20.00" in describe_notice(
        Notice("auto_bid_exhausted", 1, {"max_amount": 2000})
    )
    assert describe_notice(Notice("won", 3, {"name": "Vase", "price": 100})).startswith(
        "You won Vase"
    )
