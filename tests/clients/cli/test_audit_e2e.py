"""`auctioneer audit`: a bidder verifies a live auction, the operator audits the
running server's database, both against a real server.

The bid and watch commands keep the newest hash they saw (`seen.json` in the
config folder); a later `audit --server` checks the log still holds it.
"""

from __future__ import annotations

import json

from tests.clients.live import Live


def test_a_bidder_verifies_an_auction_it_bid_on_and_the_hash_it_saw(live: Live) -> None:
    auction = live.auction(reserve=1500)
    live.bidder()
    bid = live.cli("bid", str(auction["id"]), "16.00")
    assert bid.exit_code == 0, bid.output
    seen = json.loads((live.config / "auctioneer" / "seen.json").read_text())
    ((_, mine),) = seen.items()
    seq, digest = mine[str(auction["id"])]
    log = live.admin("get_log", auction_id=auction["id"])
    assert log["events"][seq - 1]["hash"] == digest  # the head its reply showed

    ok = live.cli("audit", "--server", live.url, str(auction["id"]))
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith(f"auction {auction['id']}: verified, {len(log['events'])} events")

    # A hash this user "saw" that the log does not hold: the log was rewritten.
    mine[str(auction["id"])] = [seq + 5, "ab" * 32]
    (live.config / "auctioneer" / "seen.json").write_text(json.dumps(seen))
    bad = live.cli("audit", "--server", live.url, str(auction["id"]))
    assert bad.exit_code == 1
    assert "the hash you saw live (abababababababab) is not in this log" in bad.stdout
    assert "NOT verified" in bad.stdout


def test_the_operator_audits_the_running_servers_database(live: Live) -> None:
    auction = live.auction()
    live.bidder()
    assert live.cli("bid", str(auction["id"]), "10.00").exit_code == 0
    result = live.cli("audit", "--db", live.server.db_url)
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("all verified")


def test_audit_needs_one_of_db_and_server(live: Live) -> None:
    assert live.cli("audit").exit_code == 2
    assert live.cli("audit", "--server", live.url).exit_code == 2
