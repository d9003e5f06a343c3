"""Cross-lot budgets of a sale: by example, and as a property over whole sales."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from auctioneer.engine import (
    AuctionError,
    AutoBidWithdrawn,
    BidPlaced,
    BudgetExceeded,
    PlaceBid,
    SetBudget,
    Status,
    UnitSold,
    minimum_bid,
    replay,
)
from tests.engine.harness import AuctionHarness, bids_of, kinds, paddle_of
from tests.engine.test_properties import SETTINGS

BUDGETED = 1


def lot(*, quantity: int = 1, **spec: int) -> AuctionHarness:
    h = AuctionHarness()
    h.create(starting_bid=100, min_increment=50, duration_s=60, quantity=quantity, **spec)
    return h


def test_a_manual_bid_above_the_money_left_is_refused_with_what_is_left() -> None:
    h = lot()
    h.send(SetBudget(bidder_id=BUDGETED, spend_left=500))
    h.bid(BUDGETED, 500)  # exactly the budget: fine
    h.bid(2, 600)
    error = h.refuse(PlaceBid(bidder_id=BUDGETED, paddle=paddle_of(BUDGETED), amount=650))
    assert isinstance(error, BudgetExceeded) and error.code == "budget_exceeded"
    assert error.fields == {"lots_left": None, "spend_left": 500}


def test_no_lot_left_refuses_bids_maxima_and_buy_now() -> None:
    h = lot(buy_now=900)
    h.send(SetBudget(bidder_id=BUDGETED, lots_left=0))
    for command in (PlaceBid(bidder_id=BUDGETED, paddle=101, amount=100),):
        assert h.refuse(command).fields["lots_left"] == 0
    for attempt in (lambda: h.auto(BUDGETED, 1000), lambda: h.buy(BUDGETED)):
        try:
            attempt()
        except BudgetExceeded as e:
            assert e.fields["lots_left"] == 0
        else:
            raise AssertionError("accepted")


def test_a_maximum_above_the_money_left_is_refused() -> None:
    h = lot()
    h.send(SetBudget(bidder_id=BUDGETED, spend_left=400))
    try:
        h.auto(BUDGETED, 450)
    except BudgetExceeded as e:
        assert e.fields == {"lots_left": None, "spend_left": 400}
    else:
        raise AssertionError("accepted")


def test_a_proxy_bids_up_to_the_money_left_then_is_withdrawn_with_a_notice() -> None:
    h = lot()
    h.send(SetBudget(bidder_id=BUDGETED, spend_left=1000))
    h.auto(BUDGETED, 1000)
    h.bid(2, 300)
    assert h.state.current_bid == 350
    h.send(SetBudget(bidder_id=BUDGETED, spend_left=500))  # lowered: the proxy is capped
    assert h.state.auto_bid_of(BUDGETED) is not None
    events = h.bid(2, 450)
    assert bids_of(events)[-1] == (BUDGETED, 500, True)  # all the money left, no more
    events = h.bid(2, 550)
    assert bids_of(events) == [(2, 550, False)]
    assert "auto_bid_withdrawn" in kinds(events)
    assert [n.kind for n in h.notices_for(BUDGETED)][-2:] == ["outbid", "budget_reached"]
    assert h.state.auto_bid_of(BUDGETED) is None


def test_a_lowered_budget_withdraws_a_proxy_but_keeps_a_standing_bid() -> None:
    h = lot()
    h.auto(BUDGETED, 2000)
    h.bid(2, 500)
    assert h.state.leader_id == BUDGETED and h.state.current_bid == 550
    events = h.send(SetBudget(bidder_id=BUDGETED, spend_left=300))
    assert kinds(events) == ["budget_set", "auto_bid_withdrawn"]
    assert h.state.leader_id == BUDGETED and h.state.current_bid == 550  # never taken back
    assert h.send(SetBudget(bidder_id=BUDGETED, spend_left=300)) == []  # the same again
    assert replay(h.auction_id, h.log) == h.state


def test_a_won_round_counts_against_the_next_round_of_the_same_lot() -> None:
    h = lot(quantity=2)
    h.send(SetBudget(bidder_id=BUDGETED, lots_left=1))
    h.auto(BUDGETED, 1000)
    h.later(61)
    h.tick()  # round 1 sold to the budgeted bidder at 100
    assert h.state.round == 2 and h.state.sales[-1].winner_id == BUDGETED
    error = h.refuse(PlaceBid(bidder_id=BUDGETED, paddle=101, amount=100))
    assert error.fields["lots_left"] == 0


@SETTINGS
@given(
    max_lots=st.one_of(st.none(), st.integers(0, 3)),
    max_spend=st.one_of(st.none(), st.integers(0, 3000)),
    lots=st.lists(
        st.tuples(
            st.integers(1, 2),  # quantity
            st.lists(
                st.tuples(
                    st.sampled_from(["bid", "auto", "buy", "wait", "again"]),
                    st.integers(1, 3),
                    st.integers(0, 2500),
                ),
                max_size=15,
            ),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_a_budgeted_bidder_never_wins_more_lots_or_spends_more_than_its_budget(
    max_lots: int | None,
    max_spend: int | None,
    lots: list[tuple[int, list[tuple[str, int, int]]]],
) -> None:
    won: list[int] = []  # prices the budgeted bidder paid, over the whole sale

    def budget() -> SetBudget:
        """What the service sends a lot: the budget less the wins in the sale's other lots."""
        return SetBudget(
            bidder_id=BUDGETED,
            lots_left=None if max_lots is None else max_lots - len(won),
            spend_left=None if max_spend is None else max_spend - sum(won),
        )

    for quantity, steps in lots:
        h = lot(quantity=quantity, buy_now=2000)
        h.send(budget())
        for kind, bidder, n in steps:
            if h.state.status is not Status.OPEN:
                break
            try:
                if kind == "bid":
                    h.bid(bidder, minimum_bid(h.state) + n)
                elif kind == "auto":
                    h.auto(bidder, minimum_bid(h.state) + n)
                elif kind == "buy":
                    h.buy(bidder)
                elif kind == "again":
                    h.send(budget())  # sent again mid-lot: the same figure, nothing changes
                else:
                    h.later(n / 40)
                    h.tick()
            except AuctionError:
                pass
        for _ in range(quantity + 1):  # every round ends
            h.later(10_000)
            h.tick()
        assert h.state.status is Status.CLOSED
        if max_spend is not None:  # no bid of the budgeted bidder, manual or proxy, above it
            mine = [e.amount for e in h.log if isinstance(e, BidPlaced) and e.bidder_id == BUDGETED]
            assert all(amount <= max_spend - sum(won) for amount in mine)
        won += [e.price for e in h.log if isinstance(e, UnitSold) and e.winner_id == BUDGETED]
        for event in h.log:
            if isinstance(event, AutoBidWithdrawn):
                assert event.bidder_id == BUDGETED  # only a budget withdraws a proxy
        if max_lots is not None:
            assert len(won) <= max(max_lots, 0)
        if max_spend is not None:
            assert sum(won) <= max_spend
