"""AuctionHarness: one auction, several bidders and a fake clock, driven through the engine.

Like h11's ConnectionPair: every command goes through `decide`, every event
through `evolve`, and the harness checks on the way that the engine kept its
promises (no mutation, numbered events, replay gives the same state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from auctioneer.engine import (
    TRANSITIONS,
    Auction,
    AuctionError,
    AuctionSpec,
    BidPlaced,
    BuyNow,
    CancelAuction,
    CloseAuction,
    Command,
    CreateAuction,
    DeleteAuction,
    Event,
    Notice,
    OpenLot,
    PlaceBid,
    StartAutoBid,
    StopAutoBid,
    Tick,
    UpdateAuction,
    decide,
    evolve,
    is_public,
    new_auction,
    notices,
    replay,
)

__all__ = ["MS", "T0", "AuctionHarness", "bids_of", "kinds"]

MS = 1000  # one second in engine time
T0 = 1_800_000_000_000  # a fixed "now": 2027-01-15, epoch ms


def paddle_of(bidder: int) -> int:
    """Paddles differ from user ids so tests catch a mix-up."""
    return bidder + 100


def kinds(events: Sequence[Event]) -> list[str]:
    """The wire names of events, for compact assertions."""
    return [e.event for e in events]


def bids_of(events: Sequence[Event]) -> list[tuple[int, int, bool]]:
    """(bidder, amount, auto) of each BidPlaced."""
    return [(e.bidder_id, e.amount, e.auto) for e in events if isinstance(e, BidPlaced)]


@dataclass
class AuctionHarness:
    """Drive one auction: `h.bid(1, 1000)`, `h.later(10)`, `h.tick()`."""

    auction_id: int = 1
    now: int = T0
    state: Auction = field(init=False)
    log: list[Event] = field(default_factory=list)
    sent: list[Notice] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = new_auction(self.auction_id)

    # -- commands ---------------------------------------------------------
    def send(self, command: Command) -> list[Event]:
        """Decide at `now`, fold, and check the engine's promises."""
        before = self.state
        events = decide(before, command, self.now)
        assert self.state is before, "decide must not touch the state"
        version, seq = before.version, before.seq
        for event in events:
            version += 1
            assert event.version == version
            assert event.auction_id == self.auction_id
            assert event.at == self.now
            if is_public(event):
                seq += 1
                assert event.seq == seq
            else:
                assert event.seq is None
            self.state = evolve(self.state, event)
        if not before.deleted:  # the lifecycle table said where this command may lead
            assert self.state.status in TRANSITIONS[(before.status, type(command))]
        self.log.extend(events)
        self.sent.extend(notices(before, events))
        assert replay(self.auction_id, self.log) == self.state
        return events

    def refuse(self, command: Command) -> AuctionError:
        """Send a command the engine must refuse; nothing may change."""
        before = self.state
        try:
            decide(before, command, self.now)
        except AuctionError as error:
            assert self.state == before
            return error
        raise AssertionError(f"{command!r} was accepted")

    def create(
        self,
        *,
        sale_id: int | None = None,
        lot: int | None = None,
        waits: bool = False,
        **spec: Any,
    ) -> list[Event]:
        spec.setdefault("name", "Lamp")
        spec.setdefault("starting_bid", 1000)
        if not {"ends_at", "duration_s", "countdown_s"} & spec.keys():
            spec["duration_s"] = 60
        command = CreateAuction(
            spec=AuctionSpec(**spec), sale_id=sale_id, lot=lot, waits_for_previous=waits
        )
        return self.send(command)

    def bid(self, bidder: int, amount: int) -> list[Event]:
        return self.send(PlaceBid(bidder_id=bidder, paddle=paddle_of(bidder), amount=amount))

    def auto(self, bidder: int, max_amount: int) -> list[Event]:
        return self.send(
            StartAutoBid(bidder_id=bidder, paddle=paddle_of(bidder), max_amount=max_amount)
        )

    def stop(self, bidder: int) -> list[Event]:
        return self.send(StopAutoBid(bidder_id=bidder))

    def buy(self, bidder: int) -> list[Event]:
        return self.send(BuyNow(bidder_id=bidder, paddle=paddle_of(bidder)))

    def tick(self) -> list[Event]:
        return self.send(Tick())

    def open_lot(self) -> list[Event]:
        return self.send(OpenLot())

    def close(self) -> list[Event]:
        return self.send(CloseAuction())

    def cancel(self) -> list[Event]:
        return self.send(CancelAuction())

    def delete(self) -> list[Event]:
        return self.send(DeleteAuction())

    def update(self, **fields: Any) -> list[Event]:
        return self.send(UpdateAuction(**fields))

    # -- time -------------------------------------------------------------
    def later(self, seconds: float) -> None:
        self.now += int(seconds * MS)

    def at(self, ms: int) -> None:
        self.now = ms

    def until_end(self) -> list[Event]:
        """Jump to the round's end and Tick."""
        assert self.state.ends_at is not None
        self.now = max(self.now, self.state.ends_at)
        return self.tick()

    # -- views ------------------------------------------------------------
    def notices_for(self, user_id: int, kind: str | None = None) -> list[Notice]:
        return [n for n in self.sent if n.user_id == user_id and kind in (None, n.kind)]

    @property
    def price(self) -> int | None:
        return self.state.current_bid

    @property
    def leader(self) -> int | None:
        return self.state.leader_id
