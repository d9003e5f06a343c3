"""`auctioneer follow | unfollow | watchlist` and the ★ in `auctions`, against a real server."""

from __future__ import annotations

import json

from tests.clients.live import Live

__all__: list[str] = []


def test_a_bidder_follows_lists_and_unfollows(live: Live) -> None:
    live.bidder()
    clock = live.auction(name="Mantel clock")
    vase = live.auction(name="Blue vase")
    empty = live.cli("watchlist")
    assert empty.exit_code == 0 and "You follow no auctions" in empty.stdout
    for _ in range(2):  # following twice is fine
        followed = live.cli("follow", str(clock["id"]))
        assert followed.exit_code == 0, followed.output
        assert f"★ Following #{clock['id']} Mantel clock." in followed.stdout
    table = live.cli("watchlist").stdout
    assert "★ Mantel clock" in table and "Blue vase" not in table
    listing = live.cli("auctions").stdout
    assert "★ Mantel clock" in listing and "★ Blue vase" not in listing and "Blue vase" in listing
    only = json.loads(live.cli("auctions", "--watching", "--json").stdout)
    assert [a["id"] for a in only] == [clock["id"]]
    assert [a["id"] for a in json.loads(live.cli("watchlist", "--json").stdout)] == [clock["id"]]
    gone = live.cli("unfollow", str(clock["id"]))
    assert gone.exit_code == 0 and f"No longer following #{clock['id']}." in gone.stdout
    assert "★" not in live.cli("auctions").stdout
    assert vase["id"] not in [a["id"] for a in json.loads(live.cli("watchlist", "--json").stdout)]


def test_following_needs_a_login_and_a_visible_auction(live: Live) -> None:
    live.bidder()
    missing = live.cli("follow", "999999")
    assert missing.exit_code == 1
    assert missing.stderr.strip() == "error: not_found: No such auction"
    live.cli("logout")
    anonymous = live.cli("follow", "1")
    assert anonymous.exit_code != 0 and "auctioneer login" in anonymous.stderr
    assert "★" not in live.cli("auctions").stdout  # anonymous: no watchlist, no marks
