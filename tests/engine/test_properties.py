"""Hypothesis: engine invariants over random command sequences."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auctioneer.engine import (
    Auction,
    AuctionError,
    AuctionExtended,
    AuctionSpec,
    BidPlaced,
    CancelAuction,
    CloseAuction,
    Command,
    CreateAuction,
    Event,
    StartAutoBid,
    Status,
    Tick,
    UnitSold,
    decide,
    end_cap,
    evolve,
    minimum_bid,
    new_auction,
    next_deadline,
    notices,
    passes_at,
    replay,
)
from tests.engine.harness import MS, T0, AuctionHarness, paddle_of

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=False,
)

BIDDERS = st.integers(1, 4)


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    starting = draw(st.integers(1, 2000))
    reserve = draw(st.one_of(st.none(), st.integers(starting, starting + 3000)))
    floor = max(starting, reserve or 0)
    timing = draw(st.sampled_from(["duration", "ends_at", "countdown", "both"]))
    spec: dict[str, Any] = {
        "name": "Lot",
        "starting_bid": starting,
        "min_increment": draw(st.integers(1, 500)),
        "reserve": reserve,
        "buy_now": draw(st.one_of(st.none(), st.integers(floor, floor + 5000))),
        "quantity": draw(st.integers(1, 3)),
        "soft_close_s": draw(st.one_of(st.none(), st.integers(1, 30))),
        "pass_after_s": draw(st.one_of(st.none(), st.integers(1, 60))),
    }
    if timing in ("duration", "both"):
        spec["duration_s"] = draw(st.integers(5, 60))
    if timing == "ends_at":
        spec["ends_at"] = T0 + draw(st.integers(5, 60)) * MS
    if timing in ("countdown", "both"):
        spec["countdown_s"] = draw(st.integers(1, 20))
    spec["increments"] = draw(st.one_of(st.just(()), bands()))
    if spec["soft_close_s"] is not None or "countdown_s" in spec:
        spec["max_extension_s"] = draw(st.one_of(st.none(), st.integers(1, 40)))
        if timing == "ends_at":
            spec["max_end"] = draw(
                st.one_of(st.none(), st.integers(spec["ends_at"], spec["ends_at"] + 40 * MS))
            )
    return spec


@st.composite
def bands(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    """An increment table: 1-4 bands from 0 at ascending prices."""
    starts = draw(st.lists(st.integers(1, 6000), max_size=3, unique=True))
    return tuple((start, draw(st.integers(1, 500))) for start in [0, *sorted(starts)])


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("bid"), BIDDERS, st.integers(-50, 1500)),
        st.tuples(st.just("auto"), BIDDERS, st.integers(-50, 6000)),
        st.tuples(st.just("stop"), BIDDERS, st.just(0)),
        st.tuples(st.just("buy"), BIDDERS, st.just(0)),
        st.tuples(st.just("wait"), st.just(0), st.integers(0, 40_000)),
        st.tuples(st.just("admin"), st.just(0), st.integers(0, 20)),
    ),
    min_size=8,
    max_size=40,
)


def run_step(h: AuctionHarness, step: tuple[str, int, int]) -> list[Event] | None:
    """One random step; None when the engine refused it."""
    kind, bidder, n = step
    try:
        if kind == "bid":
            return h.bid(bidder, max(0, minimum_bid(h.state) + n))
        if kind == "auto":
            return h.auto(bidder, max(0, minimum_bid(h.state) + n))
        if kind == "stop":
            return h.stop(bidder)
        if kind == "buy":
            return h.buy(bidder)
        if kind == "wait":
            h.now += n
            return h.tick()
        command: Command = CloseAuction() if n == 0 else CancelAuction() if n == 1 else Tick()
        return h.send(command)
    except AuctionError:
        return None


@dataclass
class Checker:
    """Checks every event of an accepted command against the state before it."""

    spec: AuctionSpec
    sold_rounds: set[int]

    def check(self, before: Auction, events: list[Event], now: int) -> None:
        state = before
        ends_before_bid: int | None = None
        for event in events:
            prev, state = state, evolve(state, event)
            if isinstance(event, BidPlaced):
                self.check_bid(prev, event)
                ends_before_bid = prev.ends_at
            elif isinstance(event, AuctionExtended):
                # only a bid extends, only later, and only by a countdown or the window
                assert isinstance(events[events.index(event) - 1], BidPlaced)
                assert ends_before_bid is not None and event.ends_at > ends_before_bid
                windows = {self.spec.countdown_s, self.spec.soft_close_s} - {None}
                assert any(event.ends_at == now + w * MS for w in windows if w is not None) or (
                    event.ends_at == end_cap(prev)  # or stopped at the soft-close cap
                )
            elif isinstance(event, UnitSold):
                # at most one winner per round, and the reserve holds for it
                assert event.round not in self.sold_rounds
                self.sold_rounds.add(event.round)
                assert event.price >= (self.spec.reserve or 0)
                assert event.price >= self.spec.starting_bid
                assert event.buy_now or event.winner_id == prev.leader_id
        # at rest: only the leader's proxy is live, and its maximum covers the price
        for ab in state.live_auto_bids:
            assert ab.bidder_id == state.leader_id
            assert state.current_bid is not None and ab.max_amount >= state.current_bid
        # units are never oversold
        assert 0 <= state.units_left == self.spec.quantity - len(state.sales)

    def check_bid(self, prev: Auction, bid: BidPlaced) -> None:
        spec = self.spec
        if prev.current_bid is not None:
            assert bid.amount >= prev.current_bid  # price never falls within a round
        if not bid.auto:
            assert bid.amount >= minimum_bid(prev)  # a manual bid meets the minimum
            assert bid.bidder_id != prev.leader_id
        else:
            proxy = prev.auto_bid_of(bid.bidder_id)
            assert proxy is not None and bid.amount <= proxy.max_amount
            assert bid.amount >= spec.starting_bid
            if bid.amount < minimum_bid(prev):
                # less than a full increment only when answering, up to its maximum
                assert bid.amount == proxy.max_amount or prev.current_bid is not None
        if spec.countdown_s is None and prev.ends_at is not None:
            assert bid.ends_at is not None and bid.ends_at >= prev.ends_at


def check_notices(before: Auction, events: list[Event], after: Auction) -> None:
    """Winners are told they won, nobody who leads at the end hears "outbid"."""
    sent = notices(before, events)
    for notice in sent:
        json.dumps(notice.data)
    winners = [e.winner_id for e in events if isinstance(e, UnitSold)]
    assert [n.user_id for n in sent if n.kind == "won"] == winners
    if not winners and after.status is Status.OPEN:
        assert all(n.user_id != after.leader_id for n in sent if n.kind == "outbid")
    exhausted = [e for e in events if e.event == "auto_bid_exhausted"]
    assert len([n for n in sent if n.kind == "auto_bid_exhausted"]) == len(exhausted)


@SETTINGS
@given(spec=specs(), steps=STEPS)
def test_random_sequences_keep_every_invariant(
    spec: dict[str, Any], steps: list[tuple[str, int, int]]
) -> None:
    h = AuctionHarness()
    h.create(**spec)
    assert h.state.spec is not None
    checker = Checker(h.state.spec, set())
    for step in steps:
        before = h.state
        events = run_step(h, step)
        if events is None:
            assert h.state == before
            continue
        checker.check(before, events, h.now)  # (the harness checks the lifecycle table)
        check_notices(before, events, h.state)
        if h.state.status is Status.OPEN and checker.spec.pass_after_s is not None:
            assert next_deadline(h.state) is not None  # a lot that passes never gets stuck
    # replaying the emitted events rebuilds the same state; seq is gapless
    assert replay(h.auction_id, h.log) == h.state
    seqs = [e.seq for e in h.log if e.seq is not None]
    assert seqs == list(range(1, len(seqs) + 1))
    assert [e.version for e in h.log] == list(range(1, len(h.log) + 1))
    if h.state.status in (Status.CLOSED, Status.CANCELLED):
        assert len({s.round for s in h.state.sales}) == len(h.state.sales)


@SETTINGS
@given(
    starting=st.integers(1, 1000),
    increment=st.integers(1, 300),
    moves=st.lists(st.tuples(BIDDERS, st.integers(0, 5000)), min_size=1, max_size=12),
)
def test_with_auto_bids_the_highest_maximum_leads_at_the_second_plus_an_increment(
    starting: int, increment: int, moves: list[tuple[int, int]]
) -> None:
    spec = AuctionSpec(name="Lot", starting_bid=starting, min_increment=increment, duration_s=60)
    check_proxy_prices(spec, moves, lambda price: increment)


def check_proxy_prices(
    spec: AuctionSpec, moves: list[tuple[int, int]], step: Callable[[int], int]
) -> None:
    """Auto-bids of `starting_bid + extra` in order: the highest (earliest on a tie)
    maximum leads, at the runner-up's maximum plus `step(runner-up)`, capped at its own."""
    state = new_auction(1)
    starting = spec.starting_bid
    for event in decide(state, CreateAuction(spec=spec), T0):
        state = evolve(state, event)
    # The oracle: each bidder's latest maximum (and when it was set), and the price
    # rule 3 gives whenever a non-leader's maximum makes the proxies compete.
    maxima: dict[int, tuple[int, int]] = {}
    expected: int | None = None
    for order, (bidder, extra) in enumerate(moves):
        leading = bidder == state.leader_id
        command = StartAutoBid(
            bidder_id=bidder, paddle=paddle_of(bidder), max_amount=starting + extra
        )
        try:
            events = decide(state, command, T0)
        except AuctionError:
            continue
        for event in events:
            state = evolve(state, event)
        if not events:
            continue
        maxima[bidder] = (command.max_amount, order)
        ranked = sorted(maxima.values(), key=lambda m: (-m[0], m[1]))
        if len(ranked) == 1:
            expected = starting
        elif not leading:  # a leader raising its own maximum moves no price
            second = ranked[1][0]
            expected = min(ranked[0][0], second + step(second))
        winner = min(maxima, key=lambda b: (-maxima[b][0], maxima[b][1]))
        assert state.leader_id == winner  # the highest (earliest on a tie) maximum leads
        assert state.current_bid == expected
    if not maxima:
        assert state.current_bid is None


@SETTINGS
@given(
    pass_after_s=st.integers(1, 120),
    countdown_s=st.integers(1, 30),
    quantity=st.integers(1, 3),
    waits=st.lists(st.tuples(st.integers(0, 150_000), st.booleans()), min_size=1, max_size=12),
)
def test_a_round_with_no_end_and_no_bid_passes_unsold_at_its_pass_time(
    pass_after_s: int, countdown_s: int, quantity: int, waits: list[tuple[int, bool]]
) -> None:
    h = AuctionHarness()
    h.create(countdown_s=countdown_s, pass_after_s=pass_after_s, quantity=quantity)
    for wait, bid in waits:
        if h.state.status is not Status.OPEN:
            break
        before = h.state
        deadline = next_deadline(before)
        assert deadline is not None  # open, so it ends or passes: never stuck
        if before.current_bid is None and before.ends_at is None:
            assert deadline == passes_at(before) == before.round_started_at + pass_after_s * MS
        h.later(wait / MS)
        due = h.now >= deadline
        if bid and not due:
            bidder = 2 if before.leader_id == 1 else 1
            h.bid(bidder, minimum_bid(before))  # a bid before the deadline is taken
            assert passes_at(h.state) is None and h.state.ends_at == h.now + countdown_s * MS
            continue
        events = h.tick()
        if not due:
            assert events == []  # nothing happens before the deadline
        elif before.current_bid is None and before.ends_at is None:
            # no bid by the pass time: the lot passes unsold, whatever units are left
            assert [e.event for e in events] == ["auction_closed"]
            assert h.state.close_reason is not None and h.state.close_reason.value == "no_bids"
            assert h.state.units_left == before.units_left
