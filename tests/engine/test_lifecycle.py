"""The lifecycle table, creation rules, admin commands and Tick."""

from __future__ import annotations

from typing import Any

import pytest

from auctioneer.engine import (
    BID_COMMANDS,
    COMMAND_VERBS,
    TRANSITIONS,
    AuctionClosed,
    AuctionNotOpen,
    AuctionSpec,
    AuctionUpdated,
    BuyNow,
    CancelAuction,
    CloseAuction,
    Command,
    CreateAuction,
    DeleteAuction,
    EditImages,
    InvalidAmount,
    InvalidCommand,
    InvalidTransition,
    OpenLot,
    PlaceBid,
    Remind,
    SetBudget,
    StartAutoBid,
    Status,
    StopAutoBid,
    Tick,
    UpdateAuction,
    is_public,
)
from tests.engine.harness import MS, T0, AuctionHarness, kinds

ALL_COMMANDS: list[Command] = [
    CreateAuction(spec=AuctionSpec(name="Lamp", starting_bid=1000, duration_s=60)),
    PlaceBid(bidder_id=1, paddle=101, amount=1000),
    StartAutoBid(bidder_id=1, paddle=101, max_amount=5000),
    StopAutoBid(bidder_id=1),
    BuyNow(bidder_id=1, paddle=101),
    UpdateAuction(name="New"),
    EditImages(add=("a" * 32,)),
    CloseAuction(),
    CancelAuction(),
    DeleteAuction(),
    OpenLot(),
    SetBudget(bidder_id=1, lots_left=1, spend_left=5000),
    Tick(),
    Remind(thresholds=(300, 60), watchers=(1,)),
]


def in_status(status: Status) -> AuctionHarness:
    h = AuctionHarness()
    if status is Status.NEW:
        return h
    if status is Status.SCHEDULED:
        h.create(starts_at=T0 + 10 * MS, buy_now=9000)
    else:
        h.create(buy_now=9000)
    if status is Status.CLOSED:
        h.close()
    elif status is Status.CANCELLED:
        h.cancel()
    assert h.state.status is status
    return h


def test_every_command_has_a_verb_and_the_table_names_only_known_commands() -> None:
    assert set(COMMAND_VERBS) == {type(c) for c in ALL_COMMANDS}
    assert {kind for _, kind in TRANSITIONS} <= set(COMMAND_VERBS)
    assert set(COMMAND_VERBS) >= BID_COMMANDS


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda c: type(c).__name__)
def test_a_command_missing_from_the_table_is_refused_and_an_allowed_one_lands_in_its_states(
    status: Status, command: Command
) -> None:
    h = in_status(status)
    allowed = TRANSITIONS.get((status, type(command)))
    if allowed is None:
        error = h.refuse(command)
        expected = AuctionNotOpen if type(command) in BID_COMMANDS else InvalidTransition
        assert type(error) is expected
        assert error.code == "auction_not_open"
    else:
        h.send(command)
        assert h.state.status in allowed


def test_invalid_transition_names_the_state_and_the_command() -> None:
    h = in_status(Status.CLOSED)
    error = h.refuse(CloseAuction())
    assert str(error) == "Cannot close an auction that is closed"
    assert error.fields == {"status": "closed", "command": "close"}


def test_create_twice_is_an_invalid_transition() -> None:
    h = in_status(Status.OPEN)
    assert isinstance(h.refuse(ALL_COMMANDS[0]), InvalidTransition)


BAD_SPECS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"name": "   "}, InvalidCommand, "name"),
    ({"name": "x" * 201}, InvalidCommand, "name"),
    ({"description": "x" * 10_001}, InvalidCommand, "description"),
    ({"starting_bid": 0}, InvalidAmount, "starting_bid"),
    ({"starting_bid": 10.5}, InvalidAmount, "starting_bid"),
    ({"min_increment": 0}, InvalidAmount, "min_increment"),
    ({"reserve": 999}, InvalidAmount, "reserve"),
    ({"buy_now": 999}, InvalidAmount, "buy_now"),
    ({"reserve": 5000, "buy_now": 4000}, InvalidAmount, "buy_now"),
    ({"quantity": 0}, InvalidCommand, "quantity"),
    ({"quantity": 10_001}, InvalidCommand, "quantity"),
    ({"quantity": True}, InvalidCommand, "quantity"),
    ({"quantity": None}, InvalidCommand, "quantity"),
    ({"starting_bid": None}, InvalidAmount, "starting_bid"),
    ({"min_increment": None}, InvalidAmount, "min_increment"),
    ({"description": None}, InvalidCommand, "description"),
    ({"name": 7}, InvalidCommand, "name"),
    ({"duration_s": 0}, InvalidCommand, "duration_s"),
    ({"duration_s": 31 * 86400 + 1}, InvalidCommand, "duration_s"),
    ({"countdown_s": 86401}, InvalidCommand, "countdown_s"),
    ({"soft_close_s": 0}, InvalidCommand, "soft_close_s"),
    ({"starts_at": -1}, InvalidCommand, "starts_at"),
    ({"public": "yes"}, InvalidCommand, "public"),
    ({"ends_at": T0 + MS}, InvalidCommand, "duration_s"),
    ({"duration_s": None}, InvalidCommand, "ends_at"),
    ({"duration_s": None, "ends_at": T0}, InvalidCommand, "ends_at"),
    ({"duration_s": None, "ends_at": T0 + 32 * 86400 * MS}, InvalidCommand, "ends_at"),
    (
        {"duration_s": None, "starts_at": T0 + 100 * MS, "ends_at": T0 + 50 * MS},
        InvalidCommand,
        "ends_at",
    ),
]


@pytest.mark.parametrize(("fields", "error", "field"), BAD_SPECS)
def test_create_validates_every_field(
    fields: dict[str, Any], error: type[Exception], field: str
) -> None:
    spec: dict[str, Any] = {"name": "Lamp", "starting_bid": 1000, "duration_s": 60, **fields}
    h = AuctionHarness()
    refused = h.refuse(CreateAuction(spec=AuctionSpec(**spec)))
    assert type(refused) is error
    assert refused.fields["field"] == field


def test_create_accepts_buy_now_equal_to_the_reserve_and_the_limits() -> None:
    h = AuctionHarness()
    h.create(reserve=5000, buy_now=5000, quantity=10_000, duration_s=31 * 86400, soft_close_s=86400)
    assert h.state.status is Status.OPEN


def test_waiting_lot_needs_a_sale_and_lots_count_from_one() -> None:
    h = AuctionHarness()
    spec = AuctionSpec(name="Lamp", starting_bid=1000, duration_s=60)
    error = h.refuse(CreateAuction(spec=spec, waits_for_previous=True))
    assert error.fields["field"] == "sale_id"
    error = h.refuse(CreateAuction(spec=spec, sale_id=1, lot=0))
    assert error.fields["field"] == "lot"


def test_tick_opens_then_closes_when_both_are_overdue() -> None:
    h = AuctionHarness()
    h.create(starts_at=T0 + MS, ends_at=T0 + 2 * MS)
    h.later(5)
    assert kinds(h.tick()) == ["auction_opened", "auction_closed"]


def test_tick_on_a_closed_or_deleted_auction_does_nothing() -> None:
    h = in_status(Status.CLOSED)
    assert h.tick() == []
    h.delete()
    assert h.tick() == []


def test_open_lot_opens_now_and_closes_at_once_if_its_end_passed() -> None:
    h = AuctionHarness()
    h.create(sale_id=1, lot=2, waits=True, duration_s=60)
    h.later(1000)
    assert kinds(h.open_lot()) == ["auction_opened"]
    assert h.state.ends_at == h.now + 60 * MS
    h2 = AuctionHarness()
    h2.create(sale_id=1, lot=2, waits=True, duration_s=None, ends_at=T0 + 10 * MS)
    h2.later(20)
    assert kinds(h2.open_lot()) == ["auction_opened", "auction_closed"]


def test_admin_close_sells_to_the_leader_with_reason_admin() -> None:
    h = AuctionHarness()
    h.create(quantity=3)
    h.bid(1, 1000)
    events = h.close()
    assert kinds(events) == ["unit_sold", "auction_closed"]
    closed = events[-1]
    assert isinstance(closed, AuctionClosed)
    assert (closed.reason, closed.winner_id, closed.price) == ("admin", 1, 1000)
    assert (h.state.units_left, h.state.round) == (2, 1)


def test_admin_close_with_the_reserve_unmet_closes_reserve_not_met() -> None:
    h = AuctionHarness()
    h.create(reserve=5000)
    h.bid(1, 1000)
    events = h.close()
    assert isinstance(events[-1], AuctionClosed) and events[-1].reason == "reserve_not_met"
    assert h.state.winner is None


def test_admin_close_without_bids_or_before_the_start_closes_admin() -> None:
    for starts_at in (None, T0 + MS):
        h = AuctionHarness()
        h.create(starts_at=starts_at)
        (closed,) = h.close()
        assert isinstance(closed, AuctionClosed) and closed.reason == "admin"
        assert h.state.status is Status.CLOSED


def test_cancel_closes_with_no_winner() -> None:
    h = AuctionHarness()
    h.create()
    h.bid(1, 1000)
    (closed,) = h.cancel()
    assert isinstance(closed, AuctionClosed)
    assert (closed.reason, closed.winner_id) == ("cancelled", None)
    assert h.state.status is Status.CANCELLED
    assert isinstance(h.refuse(CancelAuction()), InvalidTransition)


def test_delete_cancels_an_open_auction_first_and_then_refuses_everything() -> None:
    h = AuctionHarness()
    h.create()
    assert kinds(h.delete()) == ["auction_closed", "auction_deleted"]
    assert h.state.deleted and h.state.status is Status.CANCELLED
    for command in ALL_COMMANDS:
        if not isinstance(command, Tick):
            error = h.refuse(command)
            assert type(error) is InvalidTransition
            assert error.fields["status"] == "deleted"


def test_delete_of_a_closed_auction_only_hides_it() -> None:
    h = in_status(Status.CLOSED)
    assert kinds(h.delete()) == ["auction_deleted"]


def test_update_changes_only_the_given_fields_in_any_status() -> None:
    h = in_status(Status.CLOSED)
    (updated,) = h.update(name="  Brass lamp ", public=False)
    assert isinstance(updated, AuctionUpdated) and is_public(updated)
    assert (updated.name, updated.public, updated.description) == ("Brass lamp", False, None)
    assert h.state.spec is not None
    assert (h.state.spec.name, h.state.spec.public) == ("Brass lamp", False)
    h.update(description="Polished")
    assert (h.state.spec.name, h.state.spec.description) == ("Brass lamp", "Polished")


@pytest.mark.parametrize(
    "fields", [{}, {"name": ""}, {"description": "x" * 10_001}, {"public": "no"}]
)
def test_update_refuses_nothing_to_change_and_bad_fields(fields: dict[str, Any]) -> None:
    h = in_status(Status.OPEN)
    assert type(h.refuse(UpdateAuction(**fields))) is InvalidCommand


def test_an_unknown_command_is_an_invalid_transition() -> None:
    class Dance:
        pass

    h = in_status(Status.OPEN)
    error = h.refuse(Dance())  # type: ignore[arg-type]
    assert str(error) == "Cannot Dance an auction that is open"
