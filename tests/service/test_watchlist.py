"""The watchlist actions and ending-soon points, in process (memory store, manual clock).

Real service stack: the actions go through `Api.handle` as every door's do;
an ending-soon point goes through the scheduler's `send_reminder` (what its
timer runs), the auction's writer, the log and the notice projection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auctioneer.engine.errors import AuctionError
from auctioneer.engine.events import EndingSoon
from auctioneer.wire.messages import RequestError
from tests.service.conftest import People
from tests.service.stack import Stack


async def error(stack: Stack, caller: Any, action: str, **fields: Any) -> str:
    with pytest.raises(AuctionError) as caught:
        await stack.call(caller, action, **fields)
    return caught.value.code


async def test_watch_list_and_unwatch_are_idempotent(stack: Stack, people: People) -> None:
    one = await stack.create(people.admin, name="Clock")
    two = await stack.create(people.admin, name="Vase")
    for _ in range(2):
        reply = await stack.call(people.ann, "watch_auction", auction_id=two["id"])
        assert reply == {"auction_id": two["id"], "watching": True}
    stack.clock.advance(1)
    await stack.call(people.ann, "watch_auction", auction_id=one["id"])
    listed = await stack.call(people.ann, "get_watchlist")
    assert listed["auction_ids"] == [two["id"], one["id"]]  # in the order watched
    assert [a["name"] for a in listed["auctions"]] == ["Vase", "Clock"]
    assert "reserve" not in listed["auctions"][0]  # a bidder's view
    assert (await stack.call(people.bob, "get_watchlist"))["auction_ids"] == []
    for _ in range(2):
        reply = await stack.call(people.ann, "unwatch_auction", auction_id=two["id"])
        assert reply == {"auction_id": two["id"], "watching": False}
    assert (await stack.call(people.ann, "get_watchlist"))["auction_ids"] == [one["id"]]


async def test_who_may_watch_what(stack: Stack, people: People) -> None:
    hidden = await stack.create(people.admin, public=False)
    public = await stack.create(people.admin)
    for action in ("watch_auction", "unwatch_auction"):
        assert await error(stack, people.anon, action, auction_id=public["id"]) == "unauthorized"
        assert await error(stack, people.ann, action, auction_id=hidden["id"]) == "not_found"
        assert await error(stack, people.ann, action, auction_id=999) == "not_found"
    assert await error(stack, people.anon, "get_watchlist") == "unauthorized"
    with pytest.raises(RequestError) as bad:
        await stack.call(people.ann, "watch_auction", auction_id="1")
    assert bad.value.error.code == "bad_request"
    await stack.call(people.admin, "watch_auction", auction_id=hidden["id"])  # admins: any

    # A watched auction that turns private stays on the list, unseen; unwatching still works.
    await stack.call(people.ann, "watch_auction", auction_id=public["id"])
    await stack.call(people.admin, "update_auction", auction_id=public["id"], public=False)
    assert (await stack.call(people.ann, "get_watchlist"))["auctions"] == []
    await stack.call(people.admin, "update_auction", auction_id=public["id"], public=True)
    assert (await stack.call(people.ann, "get_watchlist"))["auction_ids"] == [public["id"]]
    await stack.call(people.admin, "update_auction", auction_id=public["id"], public=False)
    await stack.call(people.ann, "unwatch_auction", auction_id=public["id"])
    await stack.call(people.admin, "update_auction", auction_id=public["id"], public=True)
    assert (await stack.call(people.ann, "get_watchlist"))["auction_ids"] == []


async def test_admins_see_how_many_users_watch(stack: Stack, people: People) -> None:
    auction = await stack.create(people.admin)
    other = await stack.create(people.admin)
    for person in (people.ann, people.bob, people.ann):
        await stack.call(person, "watch_auction", auction_id=auction["id"])
    got = await stack.call(people.admin, "get_auction", auction_id=auction["id"])
    assert got["auction"]["watchlist_count"] == 2
    listed = await stack.call(people.admin, "get_auctions")
    counts = {a["id"]: a["watchlist_count"] for a in listed["auctions"]}
    assert counts == {auction["id"]: 2, other["id"]: 0}
    public = await stack.call(people.ann, "get_auction", auction_id=auction["id"])
    assert "watchlist_count" not in public["auction"]


async def notices(stack: Stack, caller: Any, kind: str = "ending_soon") -> list[dict[str, Any]]:
    found = (await stack.call(caller, "get_notices"))["notices"]
    return [n for n in found if n["event"] == kind]


async def test_an_ending_soon_point_tells_each_watcher_once(stack: Stack, people: People) -> None:
    auction = await stack.create(people.admin, name="Clock", duration_s=600)
    auction_id = auction["id"]
    await stack.call(people.ann, "watch_auction", auction_id=auction_id)
    await stack.call(people.bob, "watch_auction", auction_id=auction_id)
    await stack.call(people.bob, "place_bid", auction_id=auction_id, amount=1000)
    scheduler = stack.auctions.scheduler
    await scheduler.send_reminder(auction_id)  # too early: nothing
    assert await notices(stack, people.ann) == []
    stack.clock.advance(300)
    await scheduler.send_reminder(auction_id)
    await scheduler.send_reminder(auction_id)  # a second timer at the same point: nothing
    (ann,) = await notices(stack, people.ann)
    assert ann["data"] == {
        "auction_id": auction_id,
        "name": "Clock",
        "round": 1,
        "ends_at": auction["ends_at"],
        "threshold_s": 300,
        "current_bid": 1000,
    }
    assert len(await notices(stack, people.bob)) == 1
    await stack.call(people.bob, "unwatch_auction", auction_id=auction_id)
    stack.clock.advance(240)
    await scheduler.send_reminder(auction_id)
    assert [n["data"]["threshold_s"] for n in await notices(stack, people.ann)] == [300, 60]
    assert len(await notices(stack, people.bob)) == 1  # unwatched before the 1-minute point
    log = await stack.store.load_events(auction_id)
    told = [e.watchers for e in log if isinstance(e, EndingSoon)]
    assert told == [(2, 3), (2,)]  # the log records whom each point told (by user id)
    snapshot = await stack.call(people.ann, "get_auction", auction_id=auction_id)
    assert "ending_soon" not in str(snapshot)  # private: no public event, no seq


async def test_a_point_with_nobody_to_tell_writes_nothing_and_the_next_is_armed(
    stack: Stack, people: People
) -> None:
    auction = await stack.create(people.admin, duration_s=600)
    auction_id = auction["id"]
    scheduler = stack.auctions.scheduler
    stack.clock.advance(300)
    await scheduler.send_reminder(auction_id)  # the 5-minute point: nobody watches
    assert not [e for e in await stack.store.load_events(auction_id) if isinstance(e, EndingSoon)]
    state = await stack.auctions.state(auction_id)
    assert state is not None
    scheduler.schedule(state)  # as after any batch: the 1-minute point is armed, not this one
    await stack.call(people.ann, "watch_auction", auction_id=auction_id)
    stack.clock.advance(240)
    await scheduler.send_reminder(auction_id)
    assert [n["data"]["threshold_s"] for n in await notices(stack, people.ann)] == [60]
    (event,) = [e for e in await stack.store.load_events(auction_id) if isinstance(e, EndingSoon)]
    assert event.thresholds == (300, 60) and event.watchers == (people.ann.user.id,)


async def test_a_private_auction_tells_only_admin_watchers(stack: Stack, people: People) -> None:
    auction = await stack.create(people.admin, duration_s=120)
    await stack.call(people.ann, "watch_auction", auction_id=auction["id"])
    await stack.call(people.admin, "watch_auction", auction_id=auction["id"])
    await stack.call(people.admin, "update_auction", auction_id=auction["id"], public=False)
    stack.clock.advance(60)
    await stack.auctions.scheduler.send_reminder(auction["id"])
    assert await notices(stack, people.ann) == []
    assert [n["data"]["threshold_s"] for n in await notices(stack, people.admin)] == [60]


async def test_the_points_come_from_the_setting(people: People) -> None:
    from auctioneer.service.watchlist import parse_ending_soon

    assert parse_ending_soon("60, 300") == (300, 60)
    assert parse_ending_soon("0") == ()
    assert parse_ending_soon("") == ()
    for bad in ("-1", "5m", "86401", "1.5"):
        with pytest.raises(ValueError, match="AUCTIONEER_ENDING_SOON"):
            parse_ending_soon(bad)


def test_serve_refuses_bad_ending_soon_points_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from auctioneer.main import app

    monkeypatch.setenv("AUCTIONEER_ENDING_SOON", "5m")
    result = CliRunner().invoke(app, ["serve", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2
    assert "AUCTIONEER_ENDING_SOON: '5m' is not a number of seconds" in result.output
    assert not (tmp_path / "x.db").exists()
