"""Bot strategies are pure: the same view always gives the same action."""

from __future__ import annotations

import pytest

from auctioneer.clients.bots.strategies import (
    BotView,
    LotView,
    PlaceBid,
    StartAutoBid,
    StrategyParams,
    pick_max,
    proxy,
    random_bidder,
    sniper,
)

__all__: list[str] = []

P = StrategyParams(probability=0.7, snipe_window_s=3.0)


def view(
    *,
    current: int | None = 1000,
    leader: str | None = "#2",
    my_max: int = 5000,
    roll: float = 0.1,
    left: float | None = 30.0,
    status: str = "open",
    auto_max: int | None = None,
) -> BotView:
    minimum = None if status != "open" else 1000 if current is None else current + 100
    lot = LotView(1, status, 1000, 100, current, leader, 1, left, minimum)
    return BotView(lot, "#1", my_max, roll, auto_max)


def test_random_bidder_bids_the_minimum_when_the_roll_is_under_the_probability() -> None:
    assert random_bidder(view(roll=0.69), P) == PlaceBid(1, 1100)


def test_random_bidder_passes_when_the_roll_is_at_or_over_the_probability() -> None:
    assert random_bidder(view(roll=0.7), P) is None


def test_random_bidder_opens_at_the_starting_bid() -> None:
    assert random_bidder(view(current=None, leader=None), P) == PlaceBid(1, 1000)


def test_random_bidder_never_bids_against_itself() -> None:
    assert random_bidder(view(leader="#1"), P) is None


def test_random_bidder_stops_once_the_price_passes_its_maximum() -> None:
    assert random_bidder(view(current=5000, my_max=5000), P) is None
    assert random_bidder(view(current=4900, my_max=5000), P) == PlaceBid(1, 5000)


def test_no_strategy_bids_on_a_lot_that_is_not_open() -> None:
    for strategy in (random_bidder, sniper, proxy):
        assert strategy(view(status="closed", left=1.0), P) is None


def test_sniper_waits_until_the_last_seconds() -> None:
    assert sniper(view(left=10.0), P) is None
    assert sniper(view(left=None), P) is None
    assert sniper(view(left=2.5), P) == PlaceBid(1, 1100)


def test_proxy_sets_its_maximum_once_per_round() -> None:
    assert proxy(view(), P) == StartAutoBid(1, 5000)
    assert proxy(view(auto_max=5000), P) is None


def test_proxy_does_not_bother_when_it_cannot_lead() -> None:
    assert proxy(view(current=5000, my_max=5000), P) is None


@pytest.mark.parametrize("roll", [0.0, 0.25, 0.5, 0.999])
def test_maxima_lie_on_the_bid_grid_within_the_range(roll: float) -> None:
    m = pick_max(1000, 5000, starting_bid=1000, min_increment=150, roll=roll)
    assert 1000 <= m <= 5000
    assert (m - 1000) % 150 == 0


def test_a_maximum_below_the_starting_bid_is_kept_as_drawn() -> None:
    assert pick_max(500, 500, starting_bid=1000, min_increment=100, roll=0.3) == 500


def test_bots_bid_the_minimum_the_server_states_and_never_recompute_it() -> None:
    stated = LotView(1, "open", 1000, 100, 1000, "#2", 1, 30.0, 1234)
    assert random_bidder(BotView(stated, "#1", 5000, 0.1), P) == PlaceBid(1, 1234)
    assert sniper(BotView(stated, "#1", 5000, 0.1, None), P) is None  # 30 s left: too early
    unstated = LotView(1, "open", 1000, 100, 1000, "#2", 1, 1.0, None)
    for strategy in (random_bidder, sniper, proxy):
        assert strategy(BotView(unstated, "#1", 5000, 0.1), P) is None
