"""Every action and every error code of docs/protocol.md, on each of the three doors.

The checklist at the bottom maps each action and each error code to a test of
this suite that exercises it, and a test checks the map against docs/protocol.md
itself, so a code added to the contract without a test fails here.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import (
    KINDS,
    PASSWORD,
    SOCKET_KINDS,
    House,
    new_auction,
    parse_time,
    stop_server,
    unique,
)
from tests.helpers.server import start_server
from tests.helpers.wire_clients import MS, open_client

BIDDERS = 6  # fresh bidders: the walkthrough checks exact notices and purchases

HTTP_STATUS = {
    "bad_request": 400,
    "invalid_amount": 422,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_action": 404,
    "auction_not_open": 409,
    "bid_too_low": 409,
    "already_leading": 409,
    "buy_now_unavailable": 409,
    "username_taken": 409,
    "conflict": 409,
    "message_too_large": 413,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "too_many_images": 409,
    "rate_limited": 429,
    "internal": 500,
}


def check_error(reply: dict[str, Any], code: str) -> dict[str, Any]:
    """The reply is the error `code` (with the right HTTP status on HTTP)."""
    assert reply["ok"] is False, reply
    assert reply["error"]["code"] == code, reply
    assert isinstance(reply["error"]["message"], str) and reply["error"]["message"]
    if "status" in reply:
        assert reply["status"] == HTTP_STATUS[code], reply
    return reply["error"]  # type: ignore[no-any-return]


# -- a bid from one client reaches the other -------------------------------------------
@pytest.mark.parametrize("kind", SOCKET_KINDS)
async def test_a_bid_from_one_client_reaches_the_other_as_an_event(house: House, kind: str) -> None:
    admin = await house.admin_client(kind)
    ann, bob = await house.regular(0, kind), await house.regular(1, kind)
    try:
        auction = await new_auction(admin)
        topic = f"auction:{auction['id']}"
        for client in (ann, bob):
            sub = await client.ok("subscribe", topic=topic)
            assert sub == {"topic": topic, "seq": auction["seq"]}
        await ann.ok("place_bid", auction_id=auction["id"], amount=1000)
        event = await bob.next_event("bid_placed", topic=topic)
        assert event["seq"] == auction["seq"] + 1
        assert "id" not in event
        assert event["at"].endswith("Z")
        paddle = f"#{ann.user['paddle']}"
        assert event["data"]["amount"] == 1000
        assert event["data"]["bidder"] == paddle
        assert event["data"]["leader"] == paddle
        assert event["data"]["current_bid"] == 1000
        assert event["data"]["auto"] is False
        assert parse_time(event["data"]["ends_at"]) == parse_time(auction["ends_at"])
        # The bidder hears its own bid too, and events never reveal usernames.
        own = await ann.next_event("bid_placed", topic=topic)
        assert own == event
        assert ann.username not in str(event)
    finally:
        for client in (admin, ann, bob):
            await client.close()


async def test_a_bid_over_http_reaches_websocket_and_tcp_subscribers(house: House) -> None:
    admin = await house.admin_client("http")
    http = await house.regular(0, "http")
    ws, tcp = await house.connect("ws"), await house.connect("tcp")
    try:
        auction = await new_auction(admin)
        topic = f"auction:{auction['id']}"
        for client in (ws, tcp):  # anonymous connections may watch public auctions
            await client.ok("subscribe", topic=topic)
        await http.ok("place_bid", auction_id=auction["id"], amount=1500)
        for client in (ws, tcp):
            event = await client.next_event("bid_placed", topic=topic)
            assert event["data"]["amount"] == 1500
            assert event["data"]["bidder"] == f"#{http.user['paddle']}"
    finally:
        for client in (admin, http, ws, tcp):
            await client.close()


TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.mark.parametrize("kind", SOCKET_KINDS)
async def test_a_connection_is_welcomed_with_the_protocol_version_and_server_time(
    house: House, kind: str
) -> None:
    client = await house.connect(kind)
    welcome = client.welcome
    assert welcome is not None and client.messages[0] == welcome
    assert set(welcome) == {"event", "data"}  # no topic, no seq, no id
    assert welcome["data"]["protocol"] == 1
    assert TIME.match(welcome["data"]["server_time"])
    assert abs(parse_time(welcome["data"]["server_time"]) - time.time()) < 5
    assert re.match(r"^auctioneer \d+\.\d+\.\d+", welcome["data"]["server"])


async def test_times_are_iso_utc_with_milliseconds_and_openapi_is_served(house: House) -> None:
    admin = await house.admin_client("ws")
    auction = await new_auction(admin)
    for key in ("starts_at", "ends_at", "created_at"):
        assert TIME.match(auction[key]), (key, auction[key])
    assert auction["closed_at"] is None
    http = await house.connect("http")
    resp = await http.raw("GET", "/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    for path in ("/api/auctions", "/api/auctions/{auction_id}/bids", "/api/login", "/api/sales"):
        assert path in paths, sorted(paths)


@pytest.mark.parametrize("kind", SOCKET_KINDS)
async def test_pipelined_replies_come_in_request_order_and_before_their_events(
    house: House, kind: str
) -> None:
    admin = await house.admin_client("tcp")
    auction = await new_auction(admin)
    ann = await house.regular(0, kind)
    await ann.ok("subscribe", topic=f"auction:{auction['id']}")
    account = house.regulars[0]
    # A slow request (an Argon2 check) first, quick ones behind it, one of them a bid.
    # Ids are per user across connections (rule 10): make them unique to this run.
    tag = unique(kind)
    pipeline = [
        {"id": f"slow{tag}", "action": "login", "username": account.username, "password": PASSWORD},
        {"id": f"quick{tag}", "action": "ping"},
        {"id": f"bid{tag}", "action": "place_bid", "auction_id": auction["id"], "amount": 1000},
        {"id": f"bad{tag}", "action": "nope"},
        {"id": f"last{tag}", "action": "get_auction", "auction_id": auction["id"]},
    ]
    for message in pipeline:
        await ann.send(message)
    replies = [await ann.next_reply(timeout=30_000 * MS) for _ in pipeline]
    assert [r["id"] for r in replies] == [m["id"] for m in pipeline]
    assert [r["ok"] for r in replies] == [True, True, True, False, True]
    event = await ann.next_event("bid_placed")
    order = [m.get("id") or m.get("event") for m in ann.messages]
    assert order.index(f"bid{tag}") < order.index("bid_placed"), order
    assert event["seq"] == replies[2]["result"]["auction"]["seq"]


# -- every action, on every door -------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
async def test_every_action_works_on_each_gateway(house: House, kind: str) -> None:
    admin = await house.admin_client(kind)
    ann, bob = await house.bidder(kind), await house.bidder(kind)
    clients = [admin, ann, bob]
    try:
        pong = await ann.ok("ping")
        assert abs(parse_time(pong["server_time"]) - time.time()) < 5

        auction = await new_auction(admin, buy_now=50_000, description="a clock")
        aid = auction["id"]
        assert auction["status"] == "open" and auction["current_bid"] is None
        listed = await ann.ok("get_auctions", status=["open"])
        assert aid in [a["id"] for a in listed["auctions"]]
        assert all(a["status"] == "open" for a in listed["auctions"])

        after_bid = await ann.ok("place_bid", auction_id=aid, amount=1000)
        assert after_bid["auction"]["current_bid"] == 1000
        assert after_bid["auction"]["leader"] == f"#{ann.user['paddle']}"
        after_auto = await bob.ok("start_auto_bid", auction_id=aid, max_amount=3000)
        assert after_auto["auction"]["current_bid"] == 1100
        assert after_auto["auction"]["leader"] == f"#{bob.user['paddle']}"
        assert await bob.ok("stop_auto_bid", auction_id=aid) == {}

        bids = (await ann.ok("get_bids", auction_id=aid))["bids"]
        assert [(b["amount"], b["auto"]) for b in bids] == [(1100, True), (1000, False)]
        assert bids[0]["seq"] > bids[1]["seq"]
        older = (await ann.ok("get_bids", auction_id=aid, before_seq=bids[0]["seq"]))["bids"]
        assert [b["amount"] for b in older] == [1000]
        assert len((await ann.ok("get_bids", auction_id=aid, limit=1))["bids"]) == 1
        detail = await ann.ok("get_auction", auction_id=aid)
        assert detail["auction"]["bid_count"] == 2 and detail["bids"] == bids

        notices = (await ann.ok("get_notices"))["notices"]
        assert [n["event"] for n in notices] == ["outbid"]

        renamed = await admin.ok("update_auction", auction_id=aid, name="Renamed clock")
        assert renamed["auction"]["name"] == "Renamed clock"
        closed = await admin.ok("close_auction", auction_id=aid)
        assert closed["auction"]["status"] == "closed"
        assert closed["auction"]["winner"] == f"#{bob.user['paddle']}"
        assert closed["auction"]["price"] == 1100
        assert closed["auction"]["close_reason"] == "admin"

        instant = await new_auction(admin, buy_now=5000)
        bought = await ann.ok("buy_now", auction_id=instant["id"])
        assert bought["auction"]["status"] == "closed"
        assert bought["auction"]["close_reason"] == "buy_now"
        assert bought["auction"]["price"] == 5000
        purchases = (await ann.ok("get_purchases"))["purchases"]
        assert [(p["auction_id"], p["price"]) for p in purchases] == [(instant["id"], 5000)]
        won = (await bob.ok("get_purchases"))["purchases"]
        assert [(p["auction_id"], p["price"]) for p in won] == [(aid, 1100)]

        doomed = await new_auction(admin)
        cancelled = await admin.ok("cancel_auction", auction_id=doomed["id"])
        assert cancelled["auction"]["status"] == "cancelled"
        assert cancelled["auction"]["winner"] is None

        hidden = await new_auction(admin)
        assert await admin.ok("delete_auction", auction_id=hidden["id"]) == {}
        listed = await ann.ok("get_auctions")
        assert hidden["id"] not in [a["id"] for a in listed["auctions"]]
        audit = await admin.ok("get_auction", auction_id=hidden["id"])
        assert audit["auction"]["close_reason"] == "cancelled"

        sale = await admin.ok(
            "create_sale",
            name=unique("sale "),
            lots=[
                {"name": "first", "starting_bid": 100, "duration_s": 600},
                {"name": "second", "starting_bid": 100, "duration_s": 600},
            ],
        )
        assert sale["sale"]["lots"] == [a["id"] for a in sale["auctions"]]
        assert [a["lot"] for a in sale["auctions"]] == [1, 2]
        assert [a["status"] for a in sale["auctions"]] == ["open", "scheduled"]
        lots = await ann.ok("get_auctions", sale_id=sale["sale"]["id"])
        assert [a["id"] for a in lots["auctions"]] == sale["sale"]["lots"]

        if kind != "http":
            topic = f"auction:{aid}"
            assert await ann.ok("subscribe", topic=topic, since=0) == {
                "topic": topic,
                "seq": closed["auction"]["seq"],
            }
            replayed = await ann.collect_events(closed["auction"]["seq"], topic=topic)
            assert [e["seq"] for e in replayed] == list(range(1, closed["auction"]["seq"] + 1))
            assert await ann.ok("unsubscribe", topic=topic) == {}

        # login on this door, then auth with its token on a fresh connection of the door.
        other = await house.connect(kind)
        clients.append(other)
        logged = await other.ok("login", username=ann.username, password=PASSWORD)
        assert logged["user"] == ann.user and logged["token"] != ann.token
        again = await house.connect(kind)
        clients.append(again)
        me = await again.ok("auth", token=logged["token"])
        assert me["user"] == ann.user
        assert ann.user["role"] == "bidder" and isinstance(ann.user["paddle"], int)

        assert await ann.ok("logout") == {}
        check_error(await ann.request("place_bid", auction_id=aid, amount=9000), "unauthorized")
    finally:
        for client in clients:
            await client.close()


# -- every error code -----------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
async def test_each_rule_error_code_is_answered_on_each_gateway(house: House, kind: str) -> None:
    admin = await house.admin_client(kind)
    ann, bob = await house.regular(0, kind), await house.regular(1, kind)
    anon = await house.connect(kind)
    try:
        auction = await new_auction(admin, buy_now=90_000)
        aid = auction["id"]
        check_error(await anon.request("place_bid", auction_id=aid, amount=1000), "unauthorized")
        check_error(await ann.request("create_auction", name="x", starting_bid=1), "forbidden")
        check_error(await ann.request("get_auction", auction_id=999_999), "not_found")
        too_low = check_error(
            await ann.request("place_bid", auction_id=aid, amount=999), "bid_too_low"
        )
        assert too_low["minimum"] == 1000
        await ann.ok("place_bid", auction_id=aid, amount=1000)
        too_low = check_error(
            await bob.request("place_bid", auction_id=aid, amount=1050), "bid_too_low"
        )
        assert too_low["minimum"] == 1100
        check_error(await ann.request("place_bid", auction_id=aid, amount=2000), "already_leading")
        check_error(await bob.request("buy_now", auction_id=aid), "buy_now_unavailable")
        check_error(await bob.request("place_bid", auction_id=aid, amount=1.5), "invalid_amount")
        check_error(await bob.request("place_bid", auction_id=aid), "bad_request")
        check_error(
            await bob.request("register", username=ann.username, password=PASSWORD),
            "username_taken",
        )
        check_error(
            await bob.request("register", username=ann.username.upper(), password=PASSWORD),
            "username_taken",
        )
        check_error(
            await anon.request("login", username="e2e-admin", password="x" * 9), "unauthorized"
        )
        await admin.ok("close_auction", auction_id=aid)
        check_error(await bob.request("place_bid", auction_id=aid, amount=5000), "auction_not_open")
        check_error(await admin.request("close_auction", auction_id=aid), "auction_not_open")
        if kind != "http":
            check_error(await ann.request("fly_to_the_moon"), "unknown_action")
            check_error(await anon.request("subscribe", topic="user:me"), "unauthorized")
            check_error(await ann.request("subscribe", topic="auction:999999"), "not_found")
            check_error(await ann.request("subscribe", topic="everything"), "bad_request")
        else:
            check_error(await anon.request("get_purchases"), "unauthorized")
            resp = await anon.raw("GET", "/api/auctions/999999/events", params={"since": 0})
            assert resp.status_code == 404
            assert resp.json()["error"]["code"] == "not_found"
    finally:
        for client in (admin, ann, bob, anon):
            await client.close()


async def test_a_write_that_lost_a_race_to_another_server_process_is_decided_again(
    house: House,
) -> None:
    """Two processes on one database, no broker: the stale one decides again.

    The second server caches the auction, the first one takes a bid, and the
    second (still holding the old state) must not overwrite the log: the
    store's unique (auction_id, seq) refuses its commit, and the second
    server catches up with the log and decides the bid again, so its client
    hears the outcome on the true state, not `conflict`.
    """
    admin = await house.admin_client("ws")
    ann, carol = await house.regular(0), house.regulars[1]
    second = start_server(house.server.db_url, "--bid-rate", "0")
    stale = await open_client("tcp", second)
    try:
        auction = await new_auction(admin)
        aid = auction["id"]
        await stale.ok("auth", token=carol.token)
        await stale.ok("get_auction", auction_id=aid)  # the second server caches the state
        await ann.ok("place_bid", auction_id=aid, amount=1000)  # the first one moves on
        # Fine on the stale state (no bid yet), too low on the true one.
        check_error(await stale.request("place_bid", auction_id=aid, amount=1000), "bid_too_low")
        dave = await house.bidder()  # closed by the house fixture
        await dave.ok("place_bid", auction_id=aid, amount=2000)  # and moves on again
        placed = await stale.ok("place_bid", auction_id=aid, amount=5000)
        assert placed["auction"]["current_bid"] == 5000
        assert placed["auction"]["bid_count"] == 3
        # (Without a broker the first server's cache does not hear of it: not checked here.)
        after = await stale.ok("get_auction", auction_id=aid)
        assert (after["auction"]["current_bid"], after["auction"]["bid_count"]) == (5000, 3)
    finally:
        for client in (admin, ann, stale):
            await client.close()
        stop_server(second)


# -- the checklist ------------------------------------------------------------------
# docs/protocol.md action -> a test that exercises it (each runs on every door it exists on).
ACTIONS = {
    **dict.fromkeys(
        [
            "register",
            "login",
            "auth",
            "logout",
            "ping",
            "get_auctions",
            "get_auction",
            "get_bids",
            "create_auction",
            "create_sale",
            "update_auction",
            "close_auction",
            "cancel_auction",
            "delete_auction",
            "place_bid",
            "start_auto_bid",
            "stop_auto_bid",
            "buy_now",
            "subscribe",
            "unsubscribe",
        ],
        ("test_gateways", "test_every_action_works_on_each_gateway"),
    ),
    # Extensions (docs/protocol.md "Lot photos").
    **dict.fromkeys(
        ["remove_images", "reorder_images"],
        ("test_images", "test_remove_and_reorder_over_http_and_the_sockets"),
    ),
    # Extensions (docs/protocol.md "Budgets across a sale").
    **dict.fromkeys(
        ["set_budget", "get_budget"],
        ("test_budgets", "test_a_budget_limits_lots_and_money_across_a_sale"),
    ),
}

# docs/protocol.md error code -> the tests that provoke it (or, for internal, that it never comes).
ERROR_CODES = {
    "bad_request": ("test_bad_input", "test_malformed_json_is_a_bad_request_on_every_gateway"),
    "unknown_action": ("test_gateways", "test_each_rule_error_code_is_answered_on_each_gateway"),
    "invalid_amount": (
        "test_bad_input",
        "test_money_that_is_not_a_whole_number_of_minor_units_is_refused",
    ),
    "unauthorized": (
        "test_permissions",
        "test_admin_actions_are_refused_to_bidders_and_anonymous_callers",
    ),
    "forbidden": (
        "test_permissions",
        "test_admin_actions_are_refused_to_bidders_and_anonymous_callers",
    ),
    "not_found": (
        "test_permissions",
        "test_private_auctions_are_invisible_to_bidders_by_every_route",
    ),
    "auction_not_open": ("test_gateways", "test_each_rule_error_code_is_answered_on_each_gateway"),
    "bid_too_low": (
        "test_concurrency",
        "test_fifty_clients_bidding_the_same_amount_at_once_get_one_acceptance",
    ),
    "already_leading": ("test_gateways", "test_each_rule_error_code_is_answered_on_each_gateway"),
    "buy_now_unavailable": (
        "test_gateways",
        "test_each_rule_error_code_is_answered_on_each_gateway",
    ),
    "username_taken": ("test_gateways", "test_each_rule_error_code_is_answered_on_each_gateway"),
    "rate_limited": ("test_users", "test_bids_over_the_rate_limit_are_refused_with_rate_limited"),
    "message_too_large": (
        "test_bad_input",
        "test_a_message_over_64_kib_is_refused_and_the_connection_closed",
    ),
    # End to end a write is decided again after a lost race (the test above);
    # `conflict` needs three lost races in a row, which only the service test arranges.
    "conflict": (
        "tests.service.test_auctions",
        "test_a_batch_that_keeps_losing_races_gets_conflict",
    ),
    "internal": ("test_bad_input", "test_the_server_never_answers_internal_to_bad_input"),
    # Extensions (docs/protocol.md "Lot photos").
    "unsupported_media_type": (
        "test_images",
        "test_anything_but_a_readable_jpeg_png_or_webp_is_415_by_content",
    ),
    "payload_too_large": ("test_images", "test_an_image_over_10_mb_is_413_and_nothing_is_attached"),
    "too_many_images": ("test_images", "test_more_than_ten_images_are_refused_with_409"),
    "budget_exceeded": ("test_budgets", "test_a_budget_limits_lots_and_money_across_a_sale"),
}

PROTOCOL = Path(__file__).parents[2] / "docs" / "protocol.md"


def _protocol_names(section: str) -> list[str]:
    text = PROTOCOL.read_text()
    if section == "actions":
        return re.findall(r"^\| `([a-z_]+)`", text.split("### Auction fields")[0], re.M)
    errors = text.split("## Error codes", 1)[1].split("A bad request", 1)[0]
    return re.findall(r"`([a-z_]+)`", errors)


def _test_exists(ref: tuple[str, str]) -> bool:
    import importlib

    module_name, test_name = ref
    module = importlib.import_module(
        module_name if "." in module_name else f"tests.e2e.{module_name}"
    )
    return callable(getattr(module, test_name, None))


@pytest.mark.skipif(not PROTOCOL.exists(), reason="docs/protocol.md is not in /work/shared")
def test_the_checklist_covers_every_action_and_error_code_of_the_protocol() -> None:
    actions = _protocol_names("actions")
    codes = _protocol_names("errors")
    assert len(actions) >= 20 and len(codes) >= 15
    assert sorted(set(actions) - ACTIONS.keys()) == []
    assert sorted(set(codes) - ERROR_CODES.keys()) == []
    missing = [ref for ref in [*ACTIONS.values(), *ERROR_CODES.values()] if not _test_exists(ref)]
    assert missing == []
