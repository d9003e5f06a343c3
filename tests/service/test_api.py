"""The action table: results, permissions, visibility and the bid rate limit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from auctioneer.engine.errors import AuctionError
from auctioneer.service.users import Caller
from auctioneer.wire import messages as m
from auctioneer.wire.timefmt import format_time
from tests.service.conftest import People
from tests.service.stack import START_MS, Stack, lot


async def refused(stack: Stack, caller: Caller | None, action: str, **fields: Any) -> AuctionError:
    with pytest.raises(AuctionError) as caught:
        await stack.raw(caller, action, **fields)
    return caught.value


# -- accounts --------------------------------------------------------------------


async def test_register_login_auth_and_logout_return_the_protocol_results(stack: Stack) -> None:
    caller = Caller()
    registered = await stack.call(caller, "register", username="ann", password="lamp-shade-42")
    assert registered == {"user": {"id": 1, "username": "ann", "role": "bidder", "paddle": 1}}
    assert caller.user is None  # registering does not log in
    login = await stack.call(caller, "login", username="ann", password="lamp-shade-42")
    assert login["user"] == registered["user"]
    assert isinstance(login["token"], str)
    assert caller.user is not None
    other = Caller()
    assert await stack.call(other, "auth", token=login["token"]) == registered
    assert await stack.call(caller, "logout") == {}
    assert other.user is None
    assert (await refused(stack, Caller(), "auth", token=login["token"])).code == "unauthorized"


async def test_register_a_taken_name(stack: Stack) -> None:
    await stack.call(None, "register", username="ann", password="lamp-shade-42")
    error = await refused(stack, None, "register", username="Ann", password="lamp-shade-42")
    assert error.code == "username_taken"


async def test_ping_tells_the_server_time(stack: Stack) -> None:
    assert await stack.call(None, "ping") == {"server_time": format_time(START_MS)}


async def test_handle_refuses_an_action_that_is_not_in_its_table(stack: Stack) -> None:
    _, _, request = m.parse_request({"action": "subscribe", "topic": "auctions"})
    with pytest.raises(AuctionError) as caught:
        await stack.api.handle(Caller(), "subscribe", request)
    assert caught.value.code == "bad_request"


# -- permissions ------------------------------------------------------------------

ADMIN_ACTIONS: dict[str, dict[str, Any]] = {
    "create_auction": lot(),
    "create_sale": {"name": "Spring", "lots": [lot()]},
    "update_auction": {"auction_id": 1, "name": "Mine now"},
    "close_auction": {"auction_id": 1},
    "cancel_auction": {"auction_id": 1},
    "delete_auction": {"auction_id": 1},
}

LOGGED_IN_ACTIONS: dict[str, dict[str, Any]] = {
    "place_bid": {"auction_id": 1, "amount": 1000},
    "start_auto_bid": {"auction_id": 1, "max_amount": 5000},
    "stop_auto_bid": {"auction_id": 1},
    "buy_now": {"auction_id": 1},
    "get_purchases": {},
    "get_notices": {},
    "logout": {},
}


@pytest.mark.parametrize("action", sorted(ADMIN_ACTIONS))
async def test_admin_actions_are_forbidden_to_bidders_and_change_nothing(
    stack: Stack, people: People, action: str
) -> None:
    await stack.create(people.admin, buy_now=5000)
    before = await stack.store.load_events(1)
    error = await refused(stack, people.ann, action, id="r1", **ADMIN_ACTIONS[action])
    assert error.code == "forbidden"
    assert await stack.store.load_events(1) == before
    assert await stack.store.load_events(2) == []
    assert await stack.store.stored_reply(2, "r1") is None


@pytest.mark.parametrize("action", sorted(ADMIN_ACTIONS))
async def test_admin_actions_are_unauthorized_when_anonymous(
    stack: Stack, people: People, action: str
) -> None:
    await stack.create(people.admin)
    before = await stack.store.load_events(1)
    error = await refused(stack, people.anon, action, **ADMIN_ACTIONS[action])
    assert error.code == "unauthorized"
    assert await stack.store.load_events(1) == before


@pytest.mark.parametrize("action", sorted(ADMIN_ACTIONS))
async def test_admin_actions_are_allowed_to_admins(
    stack: Stack, people: People, action: str
) -> None:
    await stack.create(people.admin)
    await stack.raw(people.admin, action, **ADMIN_ACTIONS[action])


@pytest.mark.parametrize("action", sorted(LOGGED_IN_ACTIONS))
async def test_writes_and_personal_reads_are_unauthorized_when_anonymous(
    stack: Stack, people: People, action: str
) -> None:
    await stack.create(people.admin, buy_now=5000)
    before = await stack.store.load_events(1)
    error = await refused(stack, people.anon, action, **LOGGED_IN_ACTIONS[action])
    assert error.code == "unauthorized"
    assert await stack.store.load_events(1) == before


async def test_a_logged_out_caller_is_anonymous_again(stack: Stack, people: People) -> None:
    await stack.create(people.admin)
    await stack.call(people.admin, "logout")
    assert (await refused(stack, people.admin, "close_auction", auction_id=1)).code == (
        "unauthorized"
    )


# -- visibility -------------------------------------------------------------------


async def test_a_private_auction_is_invisible_to_bidders_and_anonymous(
    stack: Stack, people: People
) -> None:
    public = await stack.create(people.admin, name="Public")
    private = await stack.create(people.admin, name="Private", public=False)
    for caller in (people.ann, people.anon):
        listing = await stack.call(caller, "get_auctions")
        assert [a["id"] for a in listing["auctions"]] == [public["id"]]
        for action in ("get_auction", "get_bids"):
            assert (await refused(stack, caller, action, auction_id=private["id"])).code == (
                "not_found"
            )
    for action, fields in LOGGED_IN_ACTIONS.items():
        if "auction_id" in fields:
            error = await refused(stack, people.ann, action, **{**fields, "auction_id": 2})
            assert error.code == "not_found", action
    assert [e.event for e in await stack.store.load_events(2)] == [
        "auction_created",
        "auction_opened",
    ]
    admin_listing = await stack.call(people.admin, "get_auctions")
    assert [a["id"] for a in admin_listing["auctions"]] == [1, 2]
    got = await stack.call(people.admin, "get_auction", auction_id=2)
    assert got["auction"]["name"] == "Private"


async def test_not_found_looks_the_same_as_a_missing_auction(stack: Stack, people: People) -> None:
    await stack.create(people.admin, public=False)
    hidden = await refused(stack, people.ann, "get_auction", auction_id=1)
    missing = await refused(stack, people.ann, "get_auction", auction_id=99)
    assert (
        hidden.to_wire()
        == missing.to_wire()
        == {
            "code": "not_found",
            "message": "No such auction",
        }
    )


async def test_admins_get_not_found_for_an_auction_that_does_not_exist(
    stack: Stack, people: People
) -> None:
    for action in ("get_auction", "close_auction", "update_auction"):
        fields: dict[str, Any] = {"auction_id": 7}
        if action == "update_auction":
            fields["name"] = "x"
        assert (await refused(stack, people.admin, action, **fields)).code == "not_found"
    assert await stack.store.load_events(7) == []


async def test_making_an_auction_private_hides_it(stack: Stack, people: People) -> None:
    await stack.create(people.admin)
    await stack.call(people.admin, "update_auction", auction_id=1, public=False)
    assert (await stack.call(people.ann, "get_auctions"))["auctions"] == []
    assert (await refused(stack, people.ann, "place_bid", auction_id=1, amount=1000)).code == (
        "not_found"
    )


async def test_a_deleted_auction_is_hidden_from_listings_but_admins_can_audit_it(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin)
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    assert await stack.call(people.admin, "delete_auction", auction_id=1) == {}
    for caller in (people.admin, people.ann, people.anon):
        assert (await stack.call(caller, "get_auctions"))["auctions"] == []
    assert (await refused(stack, people.ann, "get_auction", auction_id=1)).code == "not_found"
    audit = await stack.call(people.admin, "get_auction", auction_id=1)
    assert audit["auction"]["deleted"] is True
    assert audit["auction"]["status"] == "cancelled"
    assert audit["auction"]["close_reason"] == "cancelled"
    assert [b["amount"] for b in audit["bids"]] == [1000]


# -- views ------------------------------------------------------------------------


async def test_admins_see_reserve_and_usernames_bidders_see_paddles(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin, reserve=5000)
    placed = await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    assert placed["auction"]["leader"] == "#2"
    assert "reserve" not in placed["auction"]
    assert "leader_username" not in placed["auction"]
    assert placed["auction"]["reserve_met"] is False
    admin_view = await stack.call(people.admin, "get_auction", auction_id=1)
    assert admin_view["auction"]["reserve"] == 5000
    assert admin_view["auction"]["leader_username"] == "ann"
    assert admin_view["bids"][0]["username"] == "ann"
    bidder_view = await stack.call(people.bob, "get_auction", auction_id=1)
    assert "username" not in bidder_view["bids"][0]
    assert "ann" not in str(bidder_view)
    listing = await stack.call(people.anon, "get_auctions")
    assert "reserve" not in listing["auctions"][0]
    admin_listing = await stack.call(people.admin, "get_auctions")
    assert admin_listing["auctions"][0]["leader_username"] == "ann"


async def test_get_auction_returns_the_last_50_bids_newest_first(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin, min_increment=1)
    for i in range(60):
        caller = people.ann if i % 2 == 0 else people.bob
        await stack.call(caller, "place_bid", auction_id=1, amount=1000 + i)
    got = await stack.call(people.anon, "get_auction", auction_id=1)
    amounts = [b["amount"] for b in got["bids"]]
    assert amounts == [1000 + i for i in range(59, 9, -1)]
    assert got["bids"][0]["seq"] == got["auction"]["seq"]
    assert got["bids"][0]["bidder"] == "#3"


async def test_get_bids_pages_backwards_by_seq(stack: Stack, people: People) -> None:
    await stack.create(people.admin)
    for i in range(5):
        caller = people.ann if i % 2 == 0 else people.bob
        await stack.call(caller, "place_bid", auction_id=1, amount=1000 + 100 * i)
    newest = await stack.call(people.anon, "get_bids", auction_id=1, limit=2)
    assert [b["amount"] for b in newest["bids"]] == [1400, 1300]
    older = await stack.call(
        people.anon, "get_bids", auction_id=1, limit=2, before_seq=newest["bids"][-1]["seq"]
    )
    assert [b["amount"] for b in older["bids"]] == [1200, 1100]
    admin = await stack.call(people.admin, "get_bids", auction_id=1, limit=1)
    assert admin["bids"][0]["username"] == "ann"


async def test_get_auctions_filters_by_status_and_sale(stack: Stack, people: People) -> None:
    await stack.create(people.admin, name="Open")
    await stack.create(people.admin, name="Later", starts_at=format_time(START_MS + 3_600_000))
    await stack.create(people.admin, name="Gone")
    await stack.call(people.admin, "cancel_auction", auction_id=3)
    sale = await stack.call(people.admin, "create_sale", name="Spring", lots=[lot(), lot()])

    async def names(**fields: Any) -> list[str]:
        result = await stack.call(people.anon, "get_auctions", **fields)
        return [a["name"] for a in result["auctions"]]

    assert await names(status=["open"]) == ["Open", "Lamp"]
    assert await names(status=["scheduled"]) == ["Later", "Lamp"]
    assert await names(status=["cancelled", "closed"]) == ["Gone"]
    assert await names(sale_id=sale["sale"]["id"]) == ["Lamp", "Lamp"]
    assert await names(sale_id=99) == []


# -- admin writes ----------------------------------------------------------------


async def test_create_auction_returns_the_admin_view(stack: Stack, people: People) -> None:
    created = await stack.create(people.admin, reserve=3000, description="Brass")
    assert created["id"] == 1
    assert created["status"] == "open"
    assert created["reserve"] == 3000
    assert created["starts_at"] == format_time(START_MS)
    assert created["ends_at"] == format_time(START_MS + 60_000)


async def test_create_auction_with_a_bad_time_names_the_field(stack: Stack, people: People) -> None:
    error = await refused(stack, people.admin, "create_auction", **lot(ends_at="soon"))
    assert error.to_wire()["field"] == "ends_at"
    error = await refused(stack, people.admin, "create_auction", **lot(starts_at="later"))
    assert error.to_wire()["field"] == "starts_at"


async def test_create_auction_rules_of_the_engine_are_answered(
    stack: Stack, people: People
) -> None:
    error = await refused(stack, people.admin, "create_auction", **lot(reserve=10))
    assert (error.code, error.fields["field"]) == ("invalid_amount", "reserve")


async def test_refused_creates_use_up_no_auction_or_sale_id(stack: Stack, people: People) -> None:
    first = await stack.create(people.admin)
    for bad in (lot(reserve=10), lot(buy_now=10), lot(starting_bid=0)):
        await refused(stack, people.admin, "create_auction", **bad)
    bad_sale = {"name": "Spring", "lots": [lot(), lot(starting_bid=0)]}
    await refused(stack, people.admin, "create_sale", **bad_sale)
    second = await stack.create(people.admin)
    assert (first["id"], second["id"]) == (1, 2)
    sale = await stack.call(people.admin, "create_sale", name="Spring", lots=[lot()])
    assert sale["sale"]["id"] == 1
    assert sale["auctions"][0]["id"] == 3


async def test_create_sale_runs_lots_one_after_another(stack: Stack, people: People) -> None:
    starts = format_time(START_MS + 60_000)
    result = await stack.call(
        people.admin,
        "create_sale",
        name="Spring",
        starts_at=starts,
        lots=[lot(name="One"), lot(name="Two"), lot(name="Three")],
    )
    sale, auctions = result["sale"], result["auctions"]
    assert sale == {"id": 1, "name": "Spring", "lots": [1, 2, 3], "starts_at": starts}
    assert [a["status"] for a in auctions] == ["scheduled"] * 3
    assert [(a["sale_id"], a["lot"]) for a in auctions] == [(1, 1), (1, 2), (1, 3)]
    assert [a["starts_at"] for a in auctions] == [starts, None, None]  # later lots wait


async def test_update_auction_changes_name_and_description(stack: Stack, people: People) -> None:
    await stack.create(people.admin)
    result = await stack.call(
        people.admin, "update_auction", auction_id=1, name="Brass lamp", description="Old"
    )
    assert (result["auction"]["name"], result["auction"]["description"]) == ("Brass lamp", "Old")
    error = await refused(stack, people.admin, "update_auction", auction_id=1)
    assert error.code == "bad_request"


async def test_close_and_cancel(stack: Stack, people: People) -> None:
    await stack.create(people.admin)
    await stack.create(people.admin)
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    closed = await stack.call(people.admin, "close_auction", auction_id=1)
    assert (closed["auction"]["winner"], closed["auction"]["close_reason"]) == ("#2", "admin")
    assert closed["auction"]["winner_username"] == "ann"
    cancelled = await stack.call(people.admin, "cancel_auction", auction_id=2)
    assert cancelled["auction"]["status"] == "cancelled"
    again = await refused(stack, people.admin, "close_auction", auction_id=1)
    assert again.code == "auction_not_open"


# -- bidder writes ------------------------------------------------------------------


async def test_bidding_rules_come_back_as_their_codes(stack: Stack, people: People) -> None:
    await stack.create(people.admin, buy_now=5000)
    low = await refused(stack, people.ann, "place_bid", auction_id=1, amount=999)
    assert low.to_wire()["minimum"] == 1000
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    assert (await refused(stack, people.ann, "place_bid", auction_id=1, amount=2000)).code == (
        "already_leading"
    )
    assert (await refused(stack, people.bob, "buy_now", auction_id=1)).code == (
        "buy_now_unavailable"
    )


async def test_auto_bid_start_and_stop(stack: Stack, people: People) -> None:
    await stack.create(people.admin)
    started = await stack.call(people.ann, "start_auto_bid", auction_id=1, max_amount=3000)
    assert (started["auction"]["current_bid"], started["auction"]["leader"]) == (1000, "#2")
    answered = await stack.call(people.bob, "place_bid", auction_id=1, amount=1500)
    assert (answered["auction"]["current_bid"], answered["auction"]["leader"]) == (1600, "#2")
    assert await stack.call(people.ann, "stop_auto_bid", auction_id=1) == {}
    await stack.call(people.bob, "place_bid", auction_id=1, amount=1700)
    assert (await stack.call(people.anon, "get_auction", auction_id=1))["auction"]["leader"] == "#3"


async def test_buy_now_sells_at_once(stack: Stack, people: People) -> None:
    await stack.create(people.admin, buy_now=5000)
    bought = await stack.call(people.bob, "buy_now", auction_id=1)
    assert bought["auction"]["status"] == "closed"
    assert (bought["auction"]["winner"], bought["auction"]["price"]) == ("#3", 5000)
    assert bought["auction"]["close_reason"] == "buy_now"


async def test_an_admin_may_bid_and_sees_the_admin_view(stack: Stack, people: People) -> None:
    await stack.create(people.admin)
    placed = await stack.call(people.admin, "place_bid", auction_id=1, amount=1000)
    assert placed["auction"]["leader_username"] == "root"


async def test_every_bid_counts_against_the_rate_limit() -> None:
    stack = await Stack.build(bid_rate=1, bid_burst=2)
    try:
        admin = await stack.person("root", admin=True)
        ann = await stack.person("ann")
        await stack.create(admin)
        assert (await refused(stack, ann, "place_bid", auction_id=1, amount=1)).code == (
            "bid_too_low"
        )
        await stack.call(ann, "place_bid", auction_id=1, amount=1000)
        limited = await refused(stack, ann, "place_bid", auction_id=1, amount=2000)
        assert limited.code == "rate_limited"
        assert limited.to_wire()["retry_after_s"] == pytest.approx(1.0)
        stack.clock.advance(1)
        assert (await refused(stack, ann, "place_bid", auction_id=1, amount=2000)).code == (
            "already_leading"
        )
    finally:
        await stack.close()


async def test_a_bid_rate_of_zero_turns_the_limit_off() -> None:
    stack = await Stack.build(bid_rate=0)
    try:
        admin = await stack.person("root", admin=True)
        ann = await stack.person("ann")
        await stack.create(admin)
        for _ in range(100):
            assert (await refused(stack, ann, "place_bid", auction_id=1, amount=1)).code == (
                "bid_too_low"
            )
    finally:
        await stack.close()


# -- purchases and notices ----------------------------------------------------------


async def test_purchases_are_personal_and_admins_see_everyones(
    stack: Stack, people: People
) -> None:
    await stack.create(people.admin, name="Lamp", buy_now=5000)
    await stack.create(people.admin, name="Vase", buy_now=7000)
    await stack.call(people.ann, "buy_now", auction_id=1)
    await stack.call(people.bob, "buy_now", auction_id=2)
    mine = await stack.call(people.ann, "get_purchases")
    assert mine == {
        "purchases": [
            {
                "id": "1-1",
                "auction_id": 1,
                "name": "Lamp",
                "round": 1,
                "price": 5000,
                "buy_now": True,
                "at": format_time(START_MS),
            }
        ]
    }
    everyone = await stack.call(people.admin, "get_purchases")
    assert [(p["name"], p["username"]) for p in everyone["purchases"]] == [
        ("Lamp", "ann"),
        ("Vase", "bob"),
    ]


async def test_notices_are_personal_and_resume_after_a_seq(stack: Stack, people: People) -> None:
    await stack.create(people.admin, name="Lamp")
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1000)
    await stack.call(people.bob, "place_bid", auction_id=1, amount=1100)
    await stack.call(people.ann, "place_bid", auction_id=1, amount=1200)
    await stack.call(people.bob, "place_bid", auction_id=1, amount=1300)
    notices = (await stack.call(people.ann, "get_notices"))["notices"]
    assert [(n["seq"], n["event"], n["data"]["amount"]) for n in notices] == [
        (1, "outbid", 1100),
        (2, "outbid", 1300),
    ]
    assert notices[0]["data"]["auction_id"] == 1
    assert notices[0]["at"] == format_time(START_MS)
    later = (await stack.call(people.ann, "get_notices", since=1))["notices"]
    assert [n["seq"] for n in later] == [2]
    assert [n["event"] for n in (await stack.call(people.bob, "get_notices"))["notices"]] == [
        "outbid"
    ]


async def test_concurrent_retries_of_create_auction_create_one_auction(
    stack: Stack, people: People
) -> None:
    replies = await asyncio.gather(
        *(stack.raw(people.admin, "create_auction", id="a1", **lot()) for _ in range(3))
    )
    assert len(set(replies)) == 1
    assert len((await stack.call(people.admin, "get_auctions"))["auctions"]) == 1


async def test_concurrent_retries_of_create_sale_create_one_sale(
    stack: Stack, people: People
) -> None:
    fields = {"name": "Spring", "lots": [lot(), lot()]}
    first, retry = await asyncio.gather(
        stack.raw(people.admin, "create_sale", id="s1", **fields),
        stack.raw(people.admin, "create_sale", id="s1", **fields),
    )
    assert first == retry
    assert len((await stack.call(people.admin, "get_auctions"))["auctions"]) == 2


async def test_no_op_writes_still_get_their_reply(stack: Stack, people: People) -> None:
    await stack.create(people.admin)
    before = len(await stack.store.load_events(1))
    assert await stack.call(people.ann, "stop_auto_bid", auction_id=1) == {}  # none was set
    started = await stack.call(people.ann, "start_auto_bid", auction_id=1, max_amount=3000)
    again = await stack.call(people.ann, "start_auto_bid", id="r", auction_id=1, max_amount=3000)
    assert again["auction"] == started["auction"]
    events = await stack.store.load_events(1)
    assert [e.event for e in events[before:]] == ["auto_bid_set", "bid_placed"]
