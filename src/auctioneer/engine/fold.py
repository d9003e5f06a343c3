"""The fold: `evolve(state, event) -> state`, one small function per event.

`evolve` (also exported as `apply`) is a singledispatch mutator in the style of
eventsourcing's aggregate examples: it never decides anything, it only records
what an event says happened, so replaying an auction's log rebuilds exactly the
state that decided it. `Draft` is the decide side's scratch pad: each event it
emits is folded at once, so later rules see the state the earlier events made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from functools import singledispatch
from operator import is_, itemgetter
from types import MemberDescriptorType
from typing import Any, TypeVar

from auctioneer.engine.errors import InvalidCommand
from auctioneer.engine.events import (
    AuctionClosed,
    AuctionCreated,
    AuctionDeleted,
    AuctionExtended,
    AuctionOpened,
    AuctionUpdated,
    AutoBidExhausted,
    AutoBidSet,
    AutoBidStopped,
    AutoBidWithdrawn,
    BidPlaced,
    BudgetSet,
    CloseReason,
    EndingSoon,
    Event,
    ReserveMet,
    UnitSold,
    is_public,
)
from auctioneer.engine.state import Auction, AutoBid, Budget, Sale, Status

__all__ = ["Draft", "Steps", "apply", "evolve", "fold_steps", "new_auction", "replay"]

E = TypeVar("E", bound=Event)


T = TypeVar("T")


class _Layout:
    """Where one dataclass keeps its fields: in slots, or in the instance `__dict__`."""

    __slots__ = ("in_dict", "known", "names")

    def __init__(self, cls: type[Any]) -> None:
        self.names = tuple(f.name for f in fields(cls))
        self.known = frozenset(self.names)
        self.in_dict = not any(
            isinstance(getattr(cls, name, None), MemberDescriptorType) for name in self.names
        )


_LAYOUTS: dict[type[Any], _Layout] = {}


def replace(obj: T, **changes: Any) -> T:
    """`dataclasses.replace` for the fold's frozen values, without re-running `__init__`.

    Why: the fold runs several times per bid (decide's draft, the service, a
    replay), and `dataclasses.replace` was a third of the server's CPU per bid.
    Safe because these dataclasses validate nothing in `__init__`; a test
    checks that it gives the same value as `dataclasses.replace`. A value
    without slots (`Auction`, the one copied on every event) is copied as one
    dict, in C, instead of one `setattr` per field.

    Raises:
        TypeError: a change names no field (as `dataclasses.replace` does).
    """
    kind: type[Any] = type(obj)
    layout = _LAYOUTS.get(kind)
    if layout is None:
        layout = _LAYOUTS[kind] = _Layout(kind)
    if not layout.known.issuperset(changes):
        unknown = ", ".join(sorted(set(changes) - layout.known))
        raise TypeError(f"{kind.__name__} has no field {unknown}")
    new: T = object.__new__(kind)
    setter = object.__setattr__
    if layout.in_dict:
        setter(new, "__dict__", {**obj.__dict__, **changes})
        return new
    for name in layout.names:
        setter(new, name, changes[name] if name in changes else getattr(obj, name))
    return new


def new_auction(auction_id: int) -> Auction:
    """The state before an auction's first event (status NEW)."""
    return Auction(id=auction_id)


def evolve(state: Auction, event: Event) -> Auction:
    """Fold one event into the state and return the new state.

    Args:
        state: the auction before the event.
        event: the next event of its log.

    Returns:
        A new Auction; `state` is left as it was.

    Raises:
        InvalidCommand: the event is not the next one of this auction's log
            (wrong auction, version or seq), or is not an engine event.
    """
    expected_seq = state.seq + 1 if is_public(event) else None
    if (
        event.auction_id != state.id
        or event.version != state.version + 1
        or event.seq != expected_seq
    ):
        raise InvalidCommand(
            f"event {event.event} v{event.version} seq {event.seq} does not follow "
            f"auction {state.id} v{state.version} seq {state.seq}"
        )
    # The registry first: an exact match is what `singledispatch` would pick, and
    # its own dispatch (a weak-key cache) cost a third of `evolve`.
    mutate = _mutate.registry.get(type(event)) or _mutate.dispatch(type(event))
    after = mutate(event, state)
    if after is state:  # never touch the caller's value
        after = replace(state)
    setter = object.__setattr__  # `after` is a fresh copy that nobody else has seen yet
    setter(after, "version", event.version)
    setter(after, "seq", event.seq or state.seq)
    return after


apply = evolve


def replay(auction_id: int, events: Iterable[Event]) -> Auction:
    """Rebuild an auction from its whole log.

    Raises:
        InvalidCommand: an event out of order (see `evolve`).
    """
    state = new_auction(auction_id)
    for event in events:
        state = evolve(state, event)
    return state


def fold_steps(state: Auction, events: Sequence[Event]) -> list[tuple[Event, Auction]]:
    """Each event with the state right after it, folded from `state`.

    A decision's `Steps` already hold those states (its draft folded every
    event as it emitted it): when they were folded from this very `state`
    they are reused instead of folded a second time.

    Raises:
        InvalidCommand: an event out of order (see `evolve`).
    """
    if isinstance(events, Steps) and events.start is state and events.folds(events):
        return list(events.folded)
    steps: list[tuple[Event, Auction]] = []
    for event in events:
        state = evolve(state, event)
        steps.append((event, state))
    return steps


class Steps(list[Event]):
    """The events of one decision that remember the state each one led to.

    `Draft` fills it; the list itself is what `decide` returns, so every
    caller still sees a plain list of events.
    """

    __slots__ = ("folded", "start")

    def __init__(self, start: Auction) -> None:
        super().__init__()
        self.start = start
        self.folded: list[tuple[Event, Auction]] = []

    def folds(self, events: Sequence[Event]) -> bool:
        """Whether `folded` is exactly these events, in order (nobody edited the list)."""
        return len(events) == len(self.folded) and all(
            map(is_, events, map(itemgetter(0), self.folded))
        )


class Draft:
    """The events a decision emits so far, and the state they lead to."""

    def __init__(self, state: Auction, now: int) -> None:
        self.state = state
        self.now = now
        self.events = Steps(state)

    def emit(self, kind: type[E], **fields: Any) -> E:
        """Build the next event (version, seq, at, auction_id filled in) and fold it."""
        state = self.state
        event = kind(
            auction_id=state.id,
            version=state.version + 1,
            seq=state.seq + 1 if is_public(kind) else None,
            at=self.now,
            **fields,
        )
        self.state = evolve(state, event)
        self.events.append(event)
        self.events.folded.append((event, self.state))
        return event


@singledispatch
def _mutate(event: Event, state: Auction) -> Auction:
    raise InvalidCommand(f"not an engine event: {type(event).__name__}")


@_mutate.register
def _(event: AuctionCreated, state: Auction) -> Auction:
    return replace(
        state,
        status=Status.SCHEDULED,
        spec=event.spec,
        sale_id=event.sale_id,
        lot=event.lot,
        waits_for_previous=event.waits_for_previous,
        created_at=event.at,
        units_left=event.spec.quantity,
    )


@_mutate.register
def _(event: AuctionOpened, state: Auction) -> Auction:
    return replace(
        state,
        status=Status.OPEN,
        opened_at=event.at,
        round=event.round,
        round_started_at=event.at,
        ends_at=event.ends_at,
        round_first_end=event.ends_at,
        ends_set_at=event.at,
        reminded=frozenset(),
    )


@_mutate.register
def _(event: BidPlaced, state: Auction) -> Auction:
    after = replace(
        state,
        current_bid=event.amount,
        leader_id=event.bidder_id,
        leader_paddle=event.paddle,
        leader_version=event.version,
        ends_at=event.ends_at,
        # a countdown round's first bid gives the round its first end
        round_first_end=event.ends_at if state.ends_at is None else state.round_first_end,
        bid_count=state.bid_count + 1,
        round_bidders=_with(state.round_bidders, event.bidder_id),
        bidders=_with(state.bidders, event.bidder_id),
    )
    if event.ends_at != state.ends_at:  # a countdown or soft close moved the end (few bids)
        object.__setattr__(after, "ends_set_at", event.at)  # `after` is a fresh copy
    return after


def _with(ids: frozenset[int], new: int) -> frozenset[int]:
    """`ids | {new}`, without copying the set when `new` is in it already (most bids)."""
    return ids if new in ids else ids | {new}


@_mutate.register
def _(event: AuctionExtended, state: Auction) -> Auction:
    return replace(state, ends_at=event.ends_at, ends_set_at=event.at)


@_mutate.register
def _(event: ReserveMet, state: Auction) -> Auction:
    return replace(state, reserve_met=True)


@_mutate.register
def _(event: UnitSold, state: Auction) -> Auction:
    sale = Sale(
        round=event.round,
        winner_id=event.winner_id,
        paddle=event.paddle,
        price=event.price,
        at=event.at,
    )
    sold = replace(state, sales=(*state.sales, sale), units_left=event.units_left)
    if event.final or event.units_left == 0:
        return sold
    # Rule 6: the next round starts at once, at starting_bid with no bids; the
    # winner's proxy is spent, the losers' maxima bid again.
    carried = tuple(
        replace(ab, exhausted=False) for ab in state.auto_bids if ab.bidder_id != event.winner_id
    )
    return replace(
        sold,
        round=state.round + 1,
        round_started_at=event.at,
        ends_at=event.next_ends_at,
        round_first_end=event.next_ends_at,
        ends_set_at=event.at,
        reminded=frozenset(),
        current_bid=None,
        leader_id=None,
        leader_paddle=None,
        leader_version=None,
        reserve_met=False,
        round_bidders=frozenset(),
        auto_bids=carried,
    )


@_mutate.register
def _(event: AuctionClosed, state: Auction) -> Auction:
    cancelled = event.reason is CloseReason.CANCELLED
    return replace(
        state,
        status=Status.CANCELLED if cancelled else Status.CLOSED,
        closed_at=event.at,
        close_reason=event.reason,
    )


@_mutate.register
def _(event: AuctionUpdated, state: Auction) -> Auction:
    assert state.spec is not None  # the lifecycle table refuses updates before creation
    spec = state.spec
    return replace(
        state,
        spec=replace(
            spec,
            public=spec.public if event.public is None else event.public,
            name=spec.name if event.name is None else event.name,
            description=spec.description if event.description is None else event.description,
        ),
        images=state.images if event.images is None else event.images,
    )


@_mutate.register
def _(event: AuctionDeleted, state: Auction) -> Auction:
    return replace(state, deleted=True)


@_mutate.register
def _(event: AutoBidSet, state: Auction) -> Auction:
    proxy = AutoBid(
        bidder_id=event.bidder_id,
        paddle=event.paddle,
        max_amount=event.max_amount,
        since_version=event.version,
    )
    others = tuple(ab for ab in state.auto_bids if ab.bidder_id != event.bidder_id)
    return replace(state, auto_bids=(*others, proxy))


@_mutate.register
def _(event: AutoBidStopped, state: Auction) -> Auction:
    others = tuple(ab for ab in state.auto_bids if ab.bidder_id != event.bidder_id)
    return replace(state, auto_bids=others)


@_mutate.register
def _(event: AutoBidExhausted, state: Auction) -> Auction:
    marked = tuple(
        replace(ab, exhausted=True) if ab.bidder_id == event.bidder_id else ab
        for ab in state.auto_bids
    )
    return replace(state, auto_bids=marked)


@_mutate.register
def _(event: EndingSoon, state: Auction) -> Auction:
    return replace(state, reminded=state.reminded | frozenset(event.thresholds))


@_mutate.register
def _(event: AutoBidWithdrawn, state: Auction) -> Auction:
    others = tuple(ab for ab in state.auto_bids if ab.bidder_id != event.bidder_id)
    return replace(state, auto_bids=others)


@_mutate.register
def _(event: BudgetSet, state: Auction) -> Auction:
    others = tuple(b for b in state.budgets if b.bidder_id != event.bidder_id)
    if event.lots_left is None and event.spend_left is None:
        return replace(state, budgets=others)
    budget = Budget(
        bidder_id=event.bidder_id, lots_left=event.lots_left, spend_left=event.spend_left
    )
    return replace(state, budgets=(*others, budget))
