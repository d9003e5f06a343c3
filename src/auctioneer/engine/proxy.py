"""Proxy (auto-bid) resolution, eBay style, in one pass (docs/protocol.md rule 3).

A proxy is a bidder's private maximum; the engine bids for it at once, as
little as it must. `resolve` runs after every change that can set proxies off
(a manual bid, a new or raised maximum, the start of a multi-unit round) and
leaves the round at rest: at most one live proxy (the leader's) remains; every
other one is exhausted and its owner told (`AutoBidExhausted`, private).

How one pass works. Candidates are the live proxies of non-leaders that can
still bid (maximum >= the minimum bid, or equal to the current bid and set
before it, rule 3's tie), plus the leader, standing at its proxy maximum or
its bid. They are ranked by maximum, highest first, earlier `since_version`
first on equal maxima. The runner-up bids its maximum (if that raises the
price), then the winner bids min(its maximum, runner-up + the increment of
the runner-up's band, engine/increments.py), or
exactly the runner-up's maximum on a tie; a lone proxy in a round with no bid
opens at `starting_bid`. So the winner pays what rule 3 says, and the public
log shows why.

Decisions where docs/protocol.md is silent:

- Proxy against proxy shows two `bid_placed` (auto) events: the runner-up at
  its maximum, then the winner. A new maximum that beats the leader's proxy
  therefore shows the old leader's proxy rising to its maximum first; only
  the third and lower maxima of a round start bid nothing.
- `start_auto_bid` by a non-leader needs `max_amount >=` the minimum bid, else
  `bid_too_low` with that minimum. The leader may set any maximum not below
  the current bid nor below its own live maximum (no lowering; `bid_too_low`
  with that floor); it emits only the private `auto_bid_set`.
- Setting a maximum again replaces the old one and its place in time
  (`since_version` is the version of the newest `auto_bid_set`); the leader
  setting its own live maximum again changes nothing and emits nothing.
- `stop_auto_bid` removes the maximum (`auto_bid_stopped`), exhausted or not,
  even after the round's end; the leader keeps its standing bid. With no
  maximum it emits nothing (idempotent).
- An exhausted maximum stays on file, bidding nothing in its round; in the
  next round of a multi-unit lot every loser's maximum is live again and bids
  at once (the winner's maximum is spent). `auto_bid_exhausted` is sent once
  per maximum per round.
"""

from __future__ import annotations

from dataclasses import dataclass

from auctioneer.engine.bidding import emit_bid, minimum_bid, require_running
from auctioneer.engine.budget import (
    budget_binds,
    check_budget,
    proxy_ceiling,
    withdraw_over_budget,
)
from auctioneer.engine.commands import PlaceBid, StartAutoBid, StopAutoBid
from auctioneer.engine.errors import AlreadyLeading, BidTooLow
from auctioneer.engine.events import (
    AutoBidExhausted,
    AutoBidSet,
    AutoBidStopped,
    AutoBidWithdrawn,
    Event,
)
from auctioneer.engine.fold import Draft
from auctioneer.engine.increments import increment_at
from auctioneer.engine.money import check_amount
from auctioneer.engine.state import Auction, AutoBid

__all__ = [
    "decide_place_bid",
    "decide_start_auto_bid",
    "decide_stop_auto_bid",
    "resolve",
]


@dataclass(frozen=True, slots=True)
class _Candidate:
    bidder_id: int
    paddle: int
    max_amount: int
    since: int

    @property
    def rank(self) -> tuple[int, int]:
        return (-self.max_amount, self.since)


def _candidate(ab: AutoBid, state: Auction) -> _Candidate:
    """A proxy as it bids: at its maximum, capped by its owner's sale budget."""
    ceiling = proxy_ceiling(state, ab.bidder_id, ab.max_amount)
    assert ceiling is not None  # withdraw_over_budget removed the proxies with nothing left
    return _Candidate(ab.bidder_id, ab.paddle, ceiling, ab.since_version)


def _leader(state: Auction) -> _Candidate | None:
    """The leader as a candidate: at its live proxy maximum, else at its bid."""
    if state.leader_id is None or state.current_bid is None:
        return None
    own = state.auto_bid_of(state.leader_id)
    if own is not None and not own.exhausted:
        return _candidate(own, state)
    assert state.leader_paddle is not None and state.leader_version is not None
    return _Candidate(state.leader_id, state.leader_paddle, state.current_bid, state.leader_version)


def resolve(draft: Draft) -> None:
    """Let every live proxy answer, in one pass, and exhaust the losers.

    Leaves `draft.state` at rest: only the leader's proxy (if any) is live.
    """
    if not draft.state.auto_bids:  # the usual case: nobody set a maximum, nothing to scan
        return
    withdraw_over_budget(draft)  # a sale budget may have run out (engine/budget.py)
    state = draft.state
    live = [ab for ab in state.live_auto_bids if ab.bidder_id != state.leader_id]
    if not live:
        return
    spec = state.spec
    assert spec is not None
    minimum = minimum_bid(state)
    leader = _leader(state)
    ranked = [
        c
        for c in (_candidate(ab, state) for ab in live)
        if c.max_amount >= minimum or (leader is not None and c.rank < leader.rank)
    ]
    if ranked:
        if leader is not None:
            ranked.append(leader)
        ranked.sort(key=lambda c: c.rank)
        winner = ranked[0]
        runner = ranked[1] if len(ranked) > 1 else None
        if runner is None:
            price = minimum
        else:
            if state.current_bid is None or runner.max_amount > state.current_bid:
                emit_bid(
                    draft,
                    bidder_id=runner.bidder_id,
                    paddle=runner.paddle,
                    amount=runner.max_amount,
                    auto=True,
                )
            price = min(
                winner.max_amount, runner.max_amount + increment_at(spec, runner.max_amount)
            )
        # The winner always bids: if it led already, the runner-up just outbid it.
        emit_bid(draft, bidder_id=winner.bidder_id, paddle=winner.paddle, amount=price, auto=True)
    for ab in draft.state.live_auto_bids:
        if ab.bidder_id != draft.state.leader_id:
            draft.emit(
                # beaten only because its owner's sale budget capped it: withdrawn
                AutoBidWithdrawn if budget_binds(draft.state, ab) else AutoBidExhausted,
                bidder_id=ab.bidder_id,
                paddle=ab.paddle,
                max_amount=ab.max_amount,
            )


def decide_place_bid(state: Auction, command: PlaceBid, now: int) -> list[Event]:
    """A manual bid, answered at once by any proxy that can beat it (rules 1-4).

    Returns:
        `BidPlaced` (manual) and what follows it: extension, reserve, then
        the answering proxy's `BidPlaced` (auto) and exhausted maxima.

    Raises:
        InvalidAmount: the amount is not an int of minor units in range.
        AuctionNotOpen: the round's end has passed.
        AlreadyLeading: the bidder leads this round already.
        BidTooLow: below `minimum_bid`; carries `minimum`.
        BudgetExceeded: the bidder's sale budget does not allow it.
    """
    amount = check_amount(command.amount, field="amount")
    require_running(state, now)
    if command.bidder_id == state.leader_id:
        raise AlreadyLeading()
    minimum = minimum_bid(state)
    if amount < minimum:
        raise BidTooLow(minimum)
    check_budget(state, command.bidder_id, amount)
    draft = Draft(state, now)
    emit_bid(draft, bidder_id=command.bidder_id, paddle=command.paddle, amount=amount, auto=False)
    resolve(draft)
    return draft.events


def decide_start_auto_bid(state: Auction, command: StartAutoBid, now: int) -> list[Event]:
    """Set or raise a bidder's maximum; it bids at once if it must (rule 3).

    Returns:
        The private `AutoBidSet`, then any bids and exhausted maxima it sets
        off; `[]` when the leader sets its own live maximum again.

    Raises:
        InvalidAmount: `max_amount` is not an int of minor units in range.
        AuctionNotOpen: the round's end has passed.
        BidTooLow: a non-leader's maximum below the minimum bid, or a leader's
            maximum below its current bid or its own live maximum.
    """
    max_amount = check_amount(command.max_amount, field="max_amount")
    require_running(state, now)
    if command.bidder_id == state.leader_id:
        leader = _leader(state)
        assert leader is not None
        own = state.auto_bid_of(command.bidder_id)
        if own is not None and not own.exhausted and own.max_amount == max_amount:
            return []  # the same maximum again: nothing changes, not even its place in time
        floor = leader.max_amount
    else:
        floor = minimum_bid(state)
    if max_amount < floor:
        raise BidTooLow(floor)
    check_budget(state, command.bidder_id, max_amount)
    draft = Draft(state, now)
    draft.emit(
        AutoBidSet, bidder_id=command.bidder_id, paddle=command.paddle, max_amount=max_amount
    )
    resolve(draft)
    return draft.events


def decide_stop_auto_bid(state: Auction, command: StopAutoBid, now: int) -> list[Event]:
    """Withdraw a bidder's maximum; its standing bid, if leading, stays.

    Returns:
        `[AutoBidStopped]`, or `[]` when the bidder has no maximum.
    """
    if state.auto_bid_of(command.bidder_id) is None:
        return []
    draft = Draft(state, now)
    draft.emit(AutoBidStopped, bidder_id=command.bidder_id)
    return draft.events
