"""Time rules: when a round ends, how bids move that end, the next deadline.

docs/protocol.md rule 4, and the timing half of rules 5 and 6. Every function takes
the time it reasons about as an argument; nothing here reads a clock.

Decisions where docs/protocol.md is silent:

- The first round ends at `ends_at` if given, else at open + `duration_s`,
  else (`countdown_s` only) it has no end until the first bid, which sets
  `ends_at = bid time + countdown_s`.
- A bid first applies the countdown (`ends_at = max(ends_at, bid time +
  countdown_s)`), then the soft close (a bid less than `soft_close_s` before
  that end moves it to bid time + `soft_close_s`). `BidPlaced.ends_at` is the
  end after the bid.
- `auction_extended` follows a `bid_placed` whenever the bid moved an existing
  `ends_at` later, whether by countdown reset or soft close, so every client
  sees each extension; a countdown that starts at the first bid announces its
  end only in `bid_placed.ends_at`.
- A bid at or after `ends_at` is refused with `auction_not_open` even if the
  Tick that closes the round has not arrived yet: the deadline is the rule,
  not the timer.
- Next rounds of a multi-unit lot start at the close of the previous round
  (the Tick's `now`, or the buy-now). With `duration_s` a round ends
  `duration_s` after its start; with `ends_at` every round lasts as long as the
  first did (`ends_at - opened_at`); with a countdown and no end, the round
  has no end until its first bid.
- Passing a lot (`pass_after_s`, set by a sale for its lots, default a
  minute): a round that has no end yet (a countdown that starts at the first
  bid) and still no bid passes unsold at `passes_at` = the round's start +
  `pass_after_s`: the Tick then closes it with `no_bids` and the sale's next
  lot opens. A bid before `passes_at` starts the countdown as usual and the
  pass no longer applies to that round; a bid at or after it is refused like
  a bid after `ends_at`. A round that has an end keeps it (the pass never
  shortens a stated end). Without `pass_after_s` such a round waits for its
  first bid for good, as before.
- The soft-close cap: `max_end` (an absolute time) and `max_extension_s`
  (seconds past the round's first end: the end it opened with, or for a
  countdown that starts at the first bid, the end that bid set) may be
  given, alone or together; the cap is the earlier of the two. A bid never
  moves the end past the cap (it stops exactly there), and the cap never
  shortens an end a round already has (a later round of a multi-unit lot
  whose own end lies past `max_end` keeps it and takes no extension). Once
  the end has reached the cap, `cap_reached` is true: no more extensions.
  `max_end` needs a stated end (`ends_at` or `duration_s`, not before
  `ends_at`); both need something that extends (`soft_close_s` or
  `countdown_s`).
- `next_deadline`: `starts_at` for a scheduled auction that does not wait for
  a previous lot, `ends_at` for an open round that has one, else `passes_at`
  when the lot passes, else None.
"""

from __future__ import annotations

from auctioneer.engine.commands import AuctionSpec
from auctioneer.engine.state import Auction, Status

__all__ = [
    "MS",
    "cap_reached",
    "deadline_passed",
    "end_cap",
    "ends_after_bid",
    "first_ends_at",
    "next_deadline",
    "next_round_ends_at",
    "passes_at",
]

MS = 1000  # milliseconds per second: specs count seconds, the engine epoch ms


def first_ends_at(spec: AuctionSpec, opened_at: int) -> int | None:
    """The end of the first round of an auction that opens at `opened_at`.

    Returns:
        `spec.ends_at`, or `opened_at + duration_s`, or None for a countdown
        that starts at the first bid.
    """
    if spec.ends_at is not None:
        return spec.ends_at
    if spec.duration_s is not None:
        return opened_at + spec.duration_s * MS
    return None


def next_round_ends_at(state: Auction, started_at: int) -> int | None:
    """The end of a multi-unit lot's next round, starting at `started_at` (rule 6)."""
    spec = state.spec
    assert spec is not None and state.opened_at is not None  # only open lots sell units
    if spec.duration_s is not None:
        return started_at + spec.duration_s * MS
    if spec.ends_at is not None:
        return started_at + (spec.ends_at - state.opened_at)
    return None


def end_cap(state: Auction) -> int | None:
    """The latest time a bid may move this round's end to, or None (no cap, or not known yet).

    Returns:
        The earlier of `max_end` and the round's first end + `max_extension_s`.
    """
    spec = state.spec
    if spec is None or (spec.max_end is None and spec.max_extension_s is None):
        return None
    caps = [] if spec.max_end is None else [spec.max_end]
    if spec.max_extension_s is not None and state.round_first_end is not None:
        caps.append(state.round_first_end + spec.max_extension_s * MS)
    return min(caps) if caps else None


def cap_reached(state: Auction) -> bool:
    """True when the round's end stands at (or past) its cap: no bid extends it any more."""
    cap = end_cap(state)
    return cap is not None and state.ends_at is not None and state.ends_at >= cap


def ends_after_bid(state: Auction, now: int) -> int | None:
    """The round's end after a bid accepted at `now` (rule 4): countdown, then
    soft close, then the cap (never past it, never earlier than before)."""
    spec = state.spec
    assert spec is not None
    before = ends_at = state.ends_at
    if spec.countdown_s is not None:
        reset = now + spec.countdown_s * MS
        ends_at = reset if ends_at is None else max(ends_at, reset)
    if spec.soft_close_s is not None and ends_at is not None:
        window = spec.soft_close_s * MS
        if ends_at - now < window:
            ends_at = now + window
    if before is not None and ends_at is not None and ends_at > before:
        cap = end_cap(state)
        if cap is not None:
            ends_at = min(ends_at, max(cap, before))
    return ends_at


def passes_at(state: Auction) -> int | None:
    """When an open round with no end and no bid passes unsold (epoch ms), or None.

    Returns:
        The round's start + `pass_after_s` for an open round of a lot with
        `pass_after_s` that has no end and no bid yet, else None.
    """
    spec = state.spec
    if (
        spec is None
        or spec.pass_after_s is None
        or state.status is not Status.OPEN
        or state.ends_at is not None
        or state.current_bid is not None
        or state.round_started_at is None
    ):
        return None
    return state.round_started_at + spec.pass_after_s * MS


def deadline_passed(state: Auction, now: int) -> bool:
    """True when the open round's end (or its pass) has come, whether or not its Tick has."""
    if state.ends_at is not None:
        return now >= state.ends_at
    passing = passes_at(state)
    return passing is not None and now >= passing


def next_deadline(state: Auction) -> int | None:
    """When a Tick would next do something to this auction (epoch ms), or None.

    Returns:
        `starts_at` for a scheduled auction that opens by the clock, `ends_at`
        for an open round that has an end, `passes_at` for one that has none
        but passes unsold, else None (new, waiting for the previous lot,
        countdown not started on a lot that never passes, closed, cancelled
        or deleted).
    """
    if state.deleted or state.spec is None:
        return None
    if state.status is Status.SCHEDULED and not state.waits_for_previous:
        return state.spec.starts_at
    if state.status is Status.OPEN:
        return state.ends_at if state.ends_at is not None else passes_at(state)
    return None
