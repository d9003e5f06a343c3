"""The fold's fast `replace` gives exactly what `dataclasses.replace` gives."""

from __future__ import annotations

import dataclasses

import pytest

from auctioneer.engine.commands import AuctionSpec
from auctioneer.engine.fold import replace
from auctioneer.engine.state import Auction, AutoBid, Sale, Status


def test_replace_equals_dataclasses_replace_and_leaves_the_original_alone() -> None:
    spec = AuctionSpec(name="Lamp", starting_bid=1000, duration_s=60)
    before = Auction(
        id=7,
        version=3,
        seq=2,
        status=Status.OPEN,
        spec=spec,
        sales=(Sale(round=1, winner_id=1, paddle=1, price=5, at=9),),
        auto_bids=(AutoBid(bidder_id=2, paddle=2, max_amount=50, since_version=1),),
    )
    changes = {"current_bid": 1200, "leader_id": 3, "leader_paddle": 3, "bid_count": 4}
    fast = replace(before, **changes)
    assert fast == dataclasses.replace(before, **changes)
    assert before.current_bid is None and before.bid_count == 0
    assert type(fast) is Auction


def test_replace_without_changes_is_an_equal_copy() -> None:
    bid = AutoBid(bidder_id=2, paddle=2, max_amount=50, since_version=1)
    copy = replace(bid)
    assert copy == bid and copy is not bid


def test_replace_of_an_auction_does_not_share_its_fields_with_the_original() -> None:
    before = Auction(id=7)
    after = replace(before, bid_count=1)
    object.__setattr__(after, "seq", 5)  # as `evolve` finishes its fresh copy
    assert (before.bid_count, before.seq) == (0, 0)
    assert (after.bid_count, after.seq) == (1, 5)


def test_replace_refuses_a_change_that_names_no_field() -> None:
    with pytest.raises(TypeError):
        replace(Auction(id=7), bid_cuont=1)
    with pytest.raises(TypeError):
        replace(AutoBid(bidder_id=2, paddle=2, max_amount=50, since_version=1), max=1)


def test_evolve_never_changes_the_state_it_was_given_even_if_a_mutator_returns_it() -> None:
    from auctioneer.engine.events import ReserveMet
    from auctioneer.engine.fold import _mutate, evolve

    original = _mutate.dispatch(ReserveMet)
    _mutate.register(ReserveMet, lambda event, state: state)  # a mutator that changes nothing
    try:
        before = Auction(id=1, version=4, seq=3)
        after = evolve(before, ReserveMet(auction_id=1, version=5, seq=4, at=0, amount=1))
    finally:
        _mutate.register(ReserveMet, original)
    assert (before.version, before.seq) == (4, 3)
    assert (after.version, after.seq) == (5, 4)


def _open_lamp() -> Auction:
    from auctioneer.engine import CreateAuction, decide, evolve, new_auction

    spec = AuctionSpec(name="Lamp", starting_bid=1000, duration_s=60, reserve=1500)
    state = new_auction(1)
    for event in decide(state, CreateAuction(spec=spec), 0):
        state = evolve(state, event)
    return state


def test_fold_steps_reuses_the_states_a_decision_folded() -> None:
    from auctioneer.engine import PlaceBid, Steps, decide, evolve, fold_steps

    state = _open_lamp()
    events = decide(state, PlaceBid(bidder_id=1, paddle=1, amount=2000), 5)
    assert isinstance(events, Steps) and len(events) == 2  # the bid, then the reserve met
    steps = fold_steps(state, events)
    assert [e for e, _ in steps] == list(events)
    assert [after for _, after in steps] == [after for _, after in events.folded]
    assert steps[-1][1] is events.folded[-1][1]  # reused, not folded again
    again = state
    for event, after in steps:
        again = evolve(again, event)
        assert again == after


def test_fold_steps_folds_plain_lists_other_starts_and_edited_steps() -> None:
    from auctioneer.engine import PlaceBid, decide, fold_steps

    state = _open_lamp()
    events = decide(state, PlaceBid(bidder_id=1, paddle=1, amount=2000), 5)
    reused = fold_steps(state, events)
    plain = fold_steps(state, list(events))
    assert plain == reused and plain[-1][1] is not reused[-1][1]
    elsewhere = replace(state)  # equal, but not the state the decision started from
    assert fold_steps(elsewhere, events)[-1][1] is not reused[-1][1]
    edited = decide(state, PlaceBid(bidder_id=1, paddle=1, amount=2000), 5)
    edited[0] = events[0]  # an equal event that the draft did not fold
    assert not edited.folds(edited)
    assert fold_steps(state, edited) == reused
    assert fold_steps(state, []) == []
