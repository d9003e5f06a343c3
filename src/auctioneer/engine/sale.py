"""Sequential sales: lots that run one after another (the seeds' live room).

A sale's first lot is created like any auction (scheduled at `starts_at`, or
open at once). Every later lot is created with `waits_for_previous=True`: it
stays scheduled, has no deadline of its own, and opens on `OpenLot` at the
moment the service sends it.

Decisions where docs/protocol.md is silent:

- The service learns that a lot closed from the events it just appended:
  when `next_lot_opens(events)` is true it sends `OpenLot` to lot
  `next_lot_number(events)` of the same sale (`sale_id`).
- Any close of a lot that was running opens the next one (ended, sold out,
  buy-now, reserve not met, no bids, admin close, cancel, delete). A lot closed,
  cancelled or deleted while it still waited opens nothing; when its turn
  comes `OpenLot` is refused (`InvalidTransition`) and the service moves on to
  the lot after it.
"""

from __future__ import annotations

from collections.abc import Sequence

from auctioneer.engine.events import AuctionClosed, Event

__all__ = ["next_lot_number", "next_lot_opens"]


def next_lot_number(events: Sequence[Event]) -> int | None:
    """The lot of the same sale that should open now, if these events closed a running lot."""
    for event in events:
        if isinstance(event, AuctionClosed) and event.next_lot is not None:
            return event.next_lot
    return None


def next_lot_opens(events: Sequence[Event]) -> bool:
    """True when these events closed a running lot of a sale, so lot + 1 opens now."""
    return next_lot_number(events) is not None
