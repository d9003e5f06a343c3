"""Permissions: admin actions need an admin; private auctions stay private.

Checked in the service layer for every gateway (issue 3), so every door is
tried: anonymous callers hear `unauthorized`, bidders `forbidden`, and a
private auction is `not_found` to a bidder by every route while admins see
it with real usernames.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.support import ADMIN_PASSWORD, KINDS, SOCKET_KINDS, House, new_auction
from tests.helpers.wire_clients import MS

REGULARS = 2


def admin_requests(auction_id: int) -> dict[str, dict[str, Any]]:
    lot = {"name": "sneaky", "starting_bid": 100, "duration_s": 60}
    return {
        "create_auction": lot,
        "create_sale": {"name": "sneaky sale", "lots": [lot]},
        "update_auction": {"auction_id": auction_id, "name": "mine now", "public": False},
        "close_auction": {"auction_id": auction_id},
        "cancel_auction": {"auction_id": auction_id},
        "delete_auction": {"auction_id": auction_id},
    }


USER_REQUESTS = {
    "place_bid": {"amount": 5000},
    "start_auto_bid": {"max_amount": 5000},
    "stop_auto_bid": {},
    "buy_now": {},
}


@pytest.mark.parametrize("kind", KINDS)
async def test_admin_actions_are_refused_to_bidders_and_anonymous_callers(
    house: House, kind: str
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin, buy_now=90_000)
    before = await admin.ok("get_auctions")
    bidder, anonymous = await house.regular(0, kind), await house.connect(kind)
    for action, fields in admin_requests(auction["id"]).items():
        reply = await bidder.request(action, **fields)
        assert reply["ok"] is False and reply["error"]["code"] == "forbidden", (action, reply)
        reply = await anonymous.request(action, **fields)
        assert reply["ok"] is False and reply["error"]["code"] == "unauthorized", (action, reply)
    for action, fields in USER_REQUESTS.items():
        reply = await anonymous.request(action, auction_id=auction["id"], **fields)
        assert reply["error"]["code"] == "unauthorized", (action, reply)
    for action in ("get_purchases", "get_notices", "logout"):
        assert (await anonymous.request(action))["error"]["code"] == "unauthorized"
    if kind != "http":
        assert (await anonymous.request("subscribe", topic="user:me"))["error"][
            "code"
        ] == "unauthorized"
    # Nothing changed.
    assert await admin.ok("get_auctions") == before
    detail = await admin.ok("get_auction", auction_id=auction["id"])
    assert detail["auction"]["status"] == "open" and detail["auction"]["name"] == auction["name"]


async def test_a_bad_bearer_token_on_http_is_unauthorized(house: House) -> None:
    http = await house.connect("http")
    for header in ("Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer"):
        resp = await http.raw("GET", "/api/purchases", headers={"Authorization": header})
        assert resp.status_code == 401, header
        assert resp.json()["error"]["code"] == "unauthorized"
    resp = await http.raw("GET", "/api/auctions", headers={"Authorization": "Bearer nonsense"})
    assert resp.status_code == 401


@pytest.mark.parametrize("kind", KINDS)
async def test_private_auctions_are_invisible_to_bidders_by_every_route(
    house: House, kind: str
) -> None:
    admin = await house.admin_client("ws")
    secret = await new_auction(admin, public=False, name="secret lot")
    sid = secret["id"]
    viewers = [await house.regular(0, kind), await house.connect(kind)]  # bidder, anonymous
    for viewer in viewers:
        listed = await viewer.ok("get_auctions")
        assert sid not in [a["id"] for a in listed["auctions"]]
        listed = await viewer.ok("get_auctions", status=["open", "scheduled"])
        assert sid not in [a["id"] for a in listed["auctions"]]
        for action, fields in {
            "get_auction": {},
            "get_bids": {},
            **USER_REQUESTS,
        }.items():
            reply = await viewer.request(action, auction_id=sid, **fields)
            expected = "unauthorized" if viewer.user is None and action in USER_REQUESTS else None
            assert reply["ok"] is False, (action, reply)
            assert reply["error"]["code"] == (expected or "not_found"), (action, reply)
        if kind == "http":
            resp = await viewer.raw("GET", f"/api/auctions/{sid}/events", params={"since": 0})
            assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
        else:
            reply = await viewer.request("subscribe", topic=f"auction:{sid}")
            assert reply["error"]["code"] == "not_found"
    # The admin sees it everywhere.
    listed = await admin.ok("get_auctions")
    assert sid in [a["id"] for a in listed["auctions"]]
    assert (await admin.ok("get_auction", auction_id=sid))["auction"]["public"] is False
    admin_http = await house.admin_client("http")
    resp = await admin_http.raw("GET", f"/api/auctions/{sid}/events", params={"since": 0})
    assert resp.status_code == 200
    assert [e["event"] for e in resp.json()["events"]] == ["auction_created", "auction_opened"]


async def test_an_auction_made_private_disappears_from_bidders_and_admins_see_usernames(
    house: House,
) -> None:
    admin = await house.admin_client("ws")
    auction = await new_auction(admin, reserve=5000)
    aid, topic = auction["id"], f"auction:{auction['id']}"
    ann = await house.regular(0, "tcp")
    await ann.ok("place_bid", auction_id=aid, amount=1000)

    # Public views show paddles only, never usernames or the reserve.
    public = await ann.ok("get_auction", auction_id=aid)
    assert "leader_username" not in public["auction"] and "reserve" not in public["auction"]
    assert public["auction"]["reserve_met"] is False
    assert all("username" not in b for b in public["bids"])
    assert ann.username not in str(public)

    # Admins see the names.
    seen = await admin.ok("get_auction", auction_id=aid)
    assert seen["auction"]["leader_username"] == ann.username
    assert seen["auction"]["reserve"] == 5000
    assert [b["username"] for b in seen["bids"]] == [ann.username]
    bids = await admin.ok("get_bids", auction_id=aid)
    assert bids["bids"][0]["username"] == ann.username
    listed = await admin.ok("get_auctions")
    assert [a["leader_username"] for a in listed["auctions"] if a["id"] == aid] == [ann.username]

    feeds = {kind: await house.regular(1, kind) for kind in SOCKET_KINDS}
    watchers = {kind: await house.connect(kind) for kind in SOCKET_KINDS}
    for client in [*feeds.values(), *watchers.values()]:
        assert await client.ok("subscribe", topic="auctions") == {"topic": "auctions", "seq": 0}
        await client.ok("subscribe", topic=topic)
    admin_feed = await house.admin_client("tcp")
    await admin_feed.ok("subscribe", topic="auctions")

    updated = await admin.ok("update_auction", auction_id=aid, public=False)
    assert updated["auction"]["public"] is False
    for client in [*feeds.values(), *watchers.values()]:
        hidden = await client.next_event("auction_hidden", topic="auctions")
        assert hidden["data"]["auction_id"] == aid
    summary = await admin_feed.next_event("auction_summary", topic="auctions")
    assert summary["data"]["id"] == aid and summary["data"]["public"] is False
    assert summary["data"]["leader_username"] == ann.username

    # From now on it is not_found to the bidder, and its feeds carry nothing of it.
    assert (await ann.request("get_auction", auction_id=aid))["error"]["code"] == "not_found"
    refused = await ann.request("place_bid", auction_id=aid, amount=9000)
    assert refused["error"]["code"] == "not_found"
    await new_auction(admin, public=False)  # a new private auction: no summary either
    sentinel = await new_auction(admin)  # a public change after the private ones
    await admin.ok("place_bid", auction_id=aid, amount=1100)  # admins may still bid
    await admin.ok("close_auction", auction_id=aid)
    await admin.ok("close_auction", auction_id=sentinel["id"])
    for client in [*feeds.values(), *watchers.values()]:
        while True:
            event = await client.next_event(topic="auctions")
            assert event["event"] == "auction_summary", event
            assert event["data"]["id"] != aid and event["data"]["public"] is True, event
            assert not {"reserve", "leader_username", "winner_username"} & set(event["data"])
            assert event["seq"] == event["data"]["seq"]  # the auction's own seq
            if event["data"]["id"] == sentinel["id"] and event["data"]["status"] == "closed":
                break
        leaked = [e for e in client.events if e.get("topic") == topic]
        assert all(e["event"] in ("auction_updated",) for e in leaked), leaked


async def test_a_deleted_auction_is_hidden_from_bidders_but_kept_for_admins(house: House) -> None:
    admin = await house.admin_client("ws")
    auction = await new_auction(admin)
    aid = auction["id"]
    ann = await house.regular(0, "tcp")
    await ann.ok("place_bid", auction_id=aid, amount=1000)
    feed = await house.regular(1, "ws")
    await feed.ok("subscribe", topic="auctions")
    await feed.ok("subscribe", topic=f"auction:{aid}")
    assert await admin.ok("delete_auction", auction_id=aid) == {}
    hidden = await feed.next_event("auction_hidden", topic="auctions")
    assert hidden["data"]["auction_id"] == aid
    for client in (ann, feed, await house.connect("http")):
        assert (await client.request("get_auction", auction_id=aid))["error"]["code"] == "not_found"
        listed = (await client.ok("get_auctions"))["auctions"]
        assert aid not in [a["id"] for a in listed]
    kept = await admin.ok("get_auction", auction_id=aid)
    assert kept["auction"]["deleted"] is True and kept["auction"]["status"] == "cancelled"
    assert [b["username"] for b in kept["bids"]] == [ann.username]
    assert aid not in [a["id"] for a in (await admin.ok("get_auctions"))["auctions"]]


async def test_an_admin_that_logs_out_keeps_the_public_auctions_feed_only(house: House) -> None:
    admin = await house.admin_client("tcp")
    watcher = await house.connect("ws")
    await watcher.ok("login", username=house.admin.username, password=ADMIN_PASSWORD)
    await watcher.ok("subscribe", topic="auctions")
    secret = await new_auction(admin, public=False)
    summary = await watcher.next_event("auction_summary", topic="auctions")
    assert summary["data"]["id"] == secret["id"] and "reserve" in summary["data"]
    await watcher.ok("logout")
    await admin.ok("update_auction", auction_id=secret["id"], name="still secret")
    visible = await new_auction(admin)
    event = await watcher.next_event("auction_summary", topic="auctions", timeout=3000 * MS)
    assert event["data"]["id"] == visible["id"], event  # nothing of the private one
    assert "reserve" not in event["data"] and "leader_username" not in event["data"]


def _sample(text: str, name: str) -> float:
    """One sample's value from Prometheus' text format."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in the metrics")


async def test_metrics_are_for_admins_and_count_the_bids_committed(house: House) -> None:
    anonymous, bidder_http = await house.connect("http"), await house.bidder("http")
    assert (await anonymous.raw("GET", "/api/metrics")).status_code == 401
    refused = await bidder_http.raw("GET", "/api/metrics")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"

    admin = await house.admin_client("http")
    before = await admin.raw("GET", "/api/metrics")
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/plain")
    auction = await new_auction(await house.admin_client("ws"))
    bidder = await house.bidder("ws")
    for amount in (1000, 1100, 1200):
        if amount != 1000:
            bidder = await house.bidder("ws")  # a leader may not top itself
        await bidder.ok("place_bid", auction_id=auction["id"], amount=amount)
    after = (await admin.raw("GET", "/api/metrics")).text
    waited = _sample(after, "auctioneer_command_wait_seconds_count") - _sample(
        before.text, "auctioneer_command_wait_seconds_count"
    )
    assert waited >= 3  # three bids, each through its auction's writer
    assert _sample(after, "auctioneer_commit_seconds_count") > _sample(
        before.text, "auctioneer_commit_seconds_count"
    )
    assert (
        _sample(after, "auctioneer_store_appends_total")
        >= _sample(before.text, "auctioneer_store_appends_total") + 4
    )
    # The server samples its event loop's lag all along (a 10 ms timer).
    assert _sample(after, "auctioneer_event_loop_lag_seconds_count") > _sample(
        before.text, "auctioneer_event_loop_lag_seconds_count"
    )
