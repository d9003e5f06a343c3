"""decide/evolve basics: creation, rules 1, 2 and 8, numbering, replay, exports."""

from __future__ import annotations

from typing import Any

import pytest

import auctioneer.engine as engine
from auctioneer.engine import (
    AlreadyLeading,
    AuctionClosed,
    AuctionCreated,
    AuctionNotOpen,
    AuctionOpened,
    AuctionSpec,
    BidPlaced,
    BidTooLow,
    CreateAuction,
    InvalidAmount,
    InvalidCommand,
    InvalidTransition,
    PlaceBid,
    Status,
    Tick,
    apply,
    decide,
    evolve,
    minimum_bid,
    new_auction,
    next_deadline,
    replay,
)
from tests.engine.harness import MS, T0, AuctionHarness, bids_of, kinds


def test_new_auction_is_new_and_empty() -> None:
    state = new_auction(7)
    assert (state.id, state.status, state.version, state.seq) == (7, Status.NEW, 0, 0)
    assert next_deadline(state) is None


def test_create_without_start_opens_at_once() -> None:
    h = AuctionHarness()
    events = h.create(name="  Lamp  ", duration_s=60)
    assert [type(e) for e in events] == [AuctionCreated, AuctionOpened]
    assert isinstance(events[1], AuctionOpened)
    assert events[1].ends_at == T0 + 60 * MS
    assert h.state.status is Status.OPEN
    assert h.state.spec is not None and h.state.spec.name == "Lamp"
    assert h.state.units_left == 1
    assert next_deadline(h.state) == T0 + 60 * MS


def test_create_with_a_start_in_the_past_opens_at_once() -> None:
    h = AuctionHarness()
    assert kinds(h.create(starts_at=T0 - MS, ends_at=T0 + MS)) == [
        "auction_created",
        "auction_opened",
    ]


def test_create_with_a_future_start_is_scheduled_until_its_tick() -> None:
    h = AuctionHarness()
    assert kinds(h.create(starts_at=T0 + 10 * MS, duration_s=60)) == ["auction_created"]
    assert h.state.status is Status.SCHEDULED
    assert next_deadline(h.state) == T0 + 10 * MS
    h.later(5)
    assert h.tick() == []
    h.later(5)
    assert kinds(h.tick()) == ["auction_opened"]
    assert h.state.ends_at == T0 + 70 * MS


def test_opening_bid_must_reach_the_starting_bid() -> None:
    h = AuctionHarness()
    h.create(starting_bid=1000)
    assert minimum_bid(h.state) == 1000
    error = h.refuse(PlaceBid(bidder_id=1, paddle=101, amount=999))
    assert isinstance(error, BidTooLow)
    assert error.minimum == 1000
    assert error.to_wire() == {
        "code": "bid_too_low",
        "message": "Bid must be at least 10.00",
        "minimum": 1000,
    }
    assert bids_of(h.bid(1, 1000)) == [(1, 1000, False)]


def test_later_bids_must_reach_current_bid_plus_increment() -> None:
    h = AuctionHarness()
    h.create(starting_bid=1000, min_increment=250)
    h.bid(1, 1000)
    assert minimum_bid(h.state) == 1250
    error = h.refuse(PlaceBid(bidder_id=2, paddle=102, amount=1249))
    assert isinstance(error, BidTooLow) and error.minimum == 1250
    events = h.bid(2, 1250)
    (placed,) = events
    assert isinstance(placed, BidPlaced)
    assert (placed.paddle, placed.round, placed.ends_at) == (102, 1, T0 + 60 * MS)
    assert (h.price, h.leader, h.state.bid_count) == (1250, 2, 2)


def test_leader_cannot_bid_against_itself() -> None:
    h = AuctionHarness()
    h.create()
    h.bid(1, 1000)
    error = h.refuse(PlaceBid(bidder_id=1, paddle=101, amount=5000))
    assert isinstance(error, AlreadyLeading)
    assert error.code == "already_leading"


@pytest.mark.parametrize("amount", [10.5, -1, True, "1000", 10**12 + 1])
def test_bid_amount_must_be_an_int_of_minor_units(amount: Any) -> None:
    h = AuctionHarness()
    h.create()
    error = h.refuse(PlaceBid(bidder_id=1, paddle=101, amount=amount))
    assert isinstance(error, InvalidAmount)
    assert error.fields["field"] == "amount"


def test_bid_on_a_scheduled_auction_is_not_open() -> None:
    h = AuctionHarness()
    h.create(starts_at=T0 + MS)
    error = h.refuse(PlaceBid(bidder_id=1, paddle=101, amount=1000))
    assert isinstance(error, AuctionNotOpen)
    assert error.to_wire()["status"] == "scheduled"


def test_bid_on_a_closed_auction_is_not_open() -> None:
    h = AuctionHarness()
    h.create()
    h.close()
    error = h.refuse(PlaceBid(bidder_id=1, paddle=101, amount=1000))
    assert isinstance(error, AuctionNotOpen) and error.code == "auction_not_open"


def test_bid_after_the_deadline_is_not_open_even_before_the_tick() -> None:
    h = AuctionHarness()
    h.create(duration_s=60)
    h.later(60)
    error = h.refuse(PlaceBid(bidder_id=1, paddle=101, amount=1000))
    assert isinstance(error, AuctionNotOpen)


def test_bid_one_millisecond_before_the_deadline_is_accepted() -> None:
    h = AuctionHarness()
    h.create(duration_s=60)
    h.now += 60 * MS - 1
    assert bids_of(h.bid(1, 1000)) == [(1, 1000, False)]


def test_round_with_a_leader_closes_with_the_leader_winning_at_the_deadline() -> None:
    h = AuctionHarness()
    h.create(duration_s=60)
    h.bid(1, 1000)
    h.bid(2, 1100)
    events = h.until_end()
    assert kinds(events) == ["unit_sold", "auction_closed"]
    closed = events[-1]
    assert isinstance(closed, AuctionClosed)
    assert (closed.reason, closed.winner_id, closed.paddle, closed.price) == ("ended", 2, 102, 1100)
    assert h.state.status is Status.CLOSED
    assert h.state.winner is not None and h.state.winner.price == 1100
    assert next_deadline(h.state) is None


def test_round_with_no_bids_closes_with_no_bids() -> None:
    h = AuctionHarness()
    h.create(duration_s=60)
    events = h.until_end()
    assert kinds(events) == ["auction_closed"]
    assert isinstance(events[0], AuctionClosed) and events[0].reason == "no_bids"
    assert h.state.winner is None


def test_reserve_not_met_means_no_sale() -> None:
    h = AuctionHarness()
    h.create(starting_bid=1000, reserve=5000)
    h.bid(1, 1000)
    events = h.until_end()
    assert kinds(events) == ["auction_closed"]
    assert isinstance(events[0], AuctionClosed)
    assert (events[0].reason, events[0].winner_id) == ("reserve_not_met", None)


def test_reserve_met_is_announced_once_and_lets_the_leader_win() -> None:
    h = AuctionHarness()
    h.create(starting_bid=1000, reserve=1500)
    assert kinds(h.bid(1, 1000)) == ["bid_placed"]
    assert kinds(h.bid(2, 1600)) == ["bid_placed", "reserve_met"]
    assert kinds(h.bid(1, 1700)) == ["bid_placed"]
    assert h.state.reserve_met and h.state.reserve_ok
    assert kinds(h.until_end()) == ["unit_sold", "auction_closed"]


def test_events_are_numbered_by_version_and_public_seq() -> None:
    h = AuctionHarness()
    h.create()
    h.auto(1, 5000)
    h.bid(2, 2000)
    versions = [e.version for e in h.log]
    assert versions == list(range(1, len(h.log) + 1))
    public = [e.seq for e in h.log if e.seq is not None]
    assert public == list(range(1, len(public) + 1))
    assert [e.event for e in h.log if e.seq is None] == ["auto_bid_set"]


def test_decide_never_mutates_and_apply_is_evolve() -> None:
    state = new_auction(1)
    command = CreateAuction(spec=AuctionSpec(name="Lamp", starting_bid=100, duration_s=60))
    events = decide(state, command, T0)
    assert state == new_auction(1)
    assert apply is evolve
    assert replay(1, events) == evolve(evolve(state, events[0]), events[1])


def test_evolve_refuses_an_event_out_of_order() -> None:
    events = decide(
        new_auction(1),
        CreateAuction(spec=AuctionSpec(name="Lamp", starting_bid=100, duration_s=60)),
        T0,
    )
    with pytest.raises(InvalidCommand):
        evolve(new_auction(1), events[1])
    with pytest.raises(InvalidCommand):
        evolve(new_auction(2), events[0])


def test_minimum_bid_of_an_auction_not_yet_created_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        minimum_bid(new_auction(1))


def test_a_command_before_creation_is_an_invalid_transition() -> None:
    with pytest.raises(InvalidTransition) as caught:
        decide(new_auction(1), Tick(), T0)
    assert caught.value.to_wire() == {
        "code": "auction_not_open",
        "message": "Cannot tick an auction that is new",
        "status": "new",
        "command": "tick",
    }


def test_every_module_all_is_re_exported_once() -> None:
    import importlib
    import pkgutil

    names: list[str] = []
    for info in pkgutil.iter_modules(engine.__path__):
        module = importlib.import_module(f"auctioneer.engine.{info.name}")
        names.extend(module.__all__)
        for name in module.__all__:
            assert getattr(engine, name) is getattr(module, name)
    assert sorted(names) == sorted(engine.__all__)
    assert len(set(names)) == len(names)


def test_engine_imports_only_the_stdlib_and_itself() -> None:
    import ast
    import pathlib
    import sys

    root = pathlib.Path(engine.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for name in modules:
                top = name.split(".")[0]
                assert name.startswith("auctioneer.engine") or top in sys.stdlib_module_names
                assert top not in {"asyncio", "json", "logging", "time", "datetime"}, path


def test_evolve_refuses_an_event_it_does_not_know() -> None:
    from dataclasses import dataclass

    from auctioneer.engine import Event

    @dataclass(frozen=True, slots=True, kw_only=True)
    class Strange(Event):
        """No wire name, so no event registry (the store's) picks it up."""

    h = AuctionHarness()
    h.create()
    with pytest.raises(InvalidCommand):
        evolve(h.state, Strange(auction_id=1, version=3, seq=3, at=T0))
