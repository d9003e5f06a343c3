"""Hypothesis: increment bands and the soft-close cap, against oracles written here."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from auctioneer.engine import (
    AuctionError,
    AuctionExtended,
    AuctionOpened,
    AuctionSpec,
    BidPlaced,
    InvalidCommand,
    Status,
    UnitSold,
    cap_reached,
    evolve,
    minimum_bid,
    validate_increments,
)
from tests.engine.harness import MS, T0, AuctionHarness
from tests.engine.test_properties import BIDDERS, SETTINGS, bands, check_proxy_prices


def band_increment(table: tuple[tuple[int, int], ...], price: int) -> int:
    """The oracle: the last band whose start is at or below the price (a plain scan)."""
    step = table[0][1]
    for start, increment in table:
        if start <= price:
            step = increment
    return step


@SETTINGS
@given(
    table=bands(),
    starting=st.integers(1, 3000),
    moves=st.lists(
        st.tuples(st.sampled_from(["bid", "auto"]), BIDDERS, st.integers(-20, 4000)),
        min_size=1,
        max_size=25,
    ),
)
def test_the_minimum_bid_always_follows_the_band_and_proxies_bid_within_it(
    table: tuple[tuple[int, int], ...], starting: int, moves: list[tuple[str, int, int]]
) -> None:
    h = AuctionHarness()
    h.create(starting_bid=starting, increments=table, duration_s=600)
    assert h.state.spec is not None and h.state.spec.min_increment == band_increment(
        table, starting
    )
    for kind, bidder, extra in moves:
        before = h.state
        minimum = minimum_bid(before)
        amount = max(0, minimum + extra)
        try:
            events = h.bid(bidder, amount) if kind == "bid" else h.auto(bidder, amount)
        except AuctionError:
            assert h.state == before
            if kind == "bid" and bidder != before.leader_id and amount >= minimum:
                raise AssertionError("a manual bid at the minimum was refused") from None
            continue
        state = before
        for event in events:
            prev, state = state, evolve(state, event)
            if not isinstance(event, BidPlaced):
                continue
            floor = minimum_bid(prev)
            if event.auto:
                proxy = prev.auto_bid_of(event.bidder_id)
                assert proxy is not None and event.amount <= proxy.max_amount  # never above it
                # below the band's minimum only when it bids its whole maximum
                assert event.amount >= floor or event.amount == proxy.max_amount
            else:
                assert event.amount >= floor
        # the stated minimum is the current bid plus its band's increment
        current = h.state.current_bid
        expected = starting if current is None else current + band_increment(table, current)
        assert minimum_bid(h.state) == expected


@SETTINGS
@given(
    table=bands(),
    starting=st.integers(1, 1000),
    moves=st.lists(st.tuples(BIDDERS, st.integers(0, 8000)), min_size=1, max_size=12),
)
def test_proxies_pay_the_runner_up_plus_the_increment_of_its_band(
    table: tuple[tuple[int, int], ...], starting: int, moves: list[tuple[int, int]]
) -> None:
    spec = AuctionSpec(name="Lot", starting_bid=starting, increments=table, duration_s=60)
    check_proxy_prices(spec, moves, lambda price: band_increment(table, price))


@st.composite
def capped(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"starting_bid": 100, "quantity": draw(st.integers(1, 2))}
    spec["soft_close_s"] = draw(st.integers(1, 30))
    if draw(st.booleans()):
        spec["countdown_s"] = draw(st.integers(1, 20))
    if draw(st.booleans()) or "countdown_s" not in spec:
        spec["ends_at"] = T0 + draw(st.integers(5, 60)) * MS
    which = draw(st.sampled_from(["max_end", "max_extension_s", "both"]))
    if which != "max_extension_s" and "ends_at" in spec:
        spec["max_end"] = spec["ends_at"] + draw(st.integers(0, 60)) * MS
    if which != "max_end" or "max_end" not in spec:
        spec["max_extension_s"] = draw(st.integers(1, 60))
    return spec


@SETTINGS
@given(
    spec=capped(),
    moves=st.lists(st.tuples(BIDDERS, st.integers(0, 20_000)), min_size=1, max_size=30),
)
def test_late_bids_never_push_the_end_past_the_cap(
    spec: dict[str, Any], moves: list[tuple[int, int]]
) -> None:
    h = AuctionHarness()
    h.create(**spec)
    first_end = h.state.ends_at
    max_end = spec.get("max_end")
    ext = spec.get("max_extension_s")
    for bidder, wait in moves:
        if h.state.status is not Status.OPEN:
            break
        h.now += wait
        try:
            events = h.bid(bidder, minimum_bid(h.state))
        except AuctionError:
            events = h.tick()
        for event in events:
            if isinstance(event, AuctionOpened):
                first_end = event.ends_at
            elif isinstance(event, UnitSold) and not event.final:
                first_end = event.next_ends_at
            elif isinstance(event, BidPlaced) and first_end is None:
                first_end = event.ends_at  # a countdown round's first end
            elif isinstance(event, AuctionExtended):
                assert first_end is not None
        if h.state.status is not Status.OPEN or h.state.ends_at is None:
            continue
        assert first_end is not None
        caps = [c for c in (max_end, first_end + ext * MS if ext else None) if c is not None]
        cap = min(caps)
        assert h.state.ends_at <= max(cap, first_end)  # never past the cap
        assert cap_reached(h.state) == (h.state.ends_at >= cap)


@given(table=st.lists(st.tuples(st.integers(-5, 50), st.integers(-5, 50)), max_size=25))
def test_a_table_is_taken_only_when_it_starts_at_0_and_ascends_with_positive_steps(
    table: list[tuple[int, int]],
) -> None:
    ok = (
        1 <= len(table) <= 20
        and table[0][0] == 0
        and all(step >= 1 for _, step in table)
        and all(a[0] < b[0] for a, b in pairwise(table))
    )
    try:
        assert validate_increments(table) == tuple(table)
        assert ok
    except InvalidCommand as e:
        assert not ok and e.fields["field"] == "increments"
