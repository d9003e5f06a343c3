"""The operator's audit of one auction: its chain, and its log replayed against the store.

Pure: it takes what was read (the log, the stored hashes, the auction's row,
its purchases) and says where they first disagree. `gateways/audit.py` reads
a database and runs it over every auction (`auctioneer audit --db`).

The row and the purchases are projections written behind the log (on a
running server some milliseconds later; after a crash, on the next start), so
they are compared with the replay as it stood at the row's `seq`: the newest
public event the row had seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auctioneer import engine
from auctioneer.engine.events import Event
from auctioneer.engine.state import Auction
from auctioneer.service.chain import Head, canonical, link
from auctioneer.service.ports import PurchaseRecord
from auctioneer.service.publisher import Publisher
from auctioneer.wire.views import auction_object

__all__ = ["COMPARED", "Finding", "audit_auction"]

# The fields of the stored auction row that must follow from its log.
COMPARED = (
    "status",
    "current_bid",
    "leader",
    "bid_count",
    "winner",
    "price",
    "units_left",
    "round",
    "reserve_met",
    "sales",
    "close_reason",
    "ends_at",
    "log_hash",
)


@dataclass(frozen=True, slots=True)
class Finding:
    """Where an auction's log and the store first disagree, and how."""

    auction_id: int
    where: str  # "seq 7 (bid_placed, version 9)", or "row", "purchases"
    problem: str

    def __str__(self) -> str:
        return f"auction {self.auction_id}: {self.where}: {self.problem}"


def audit_auction(
    auction_id: int,
    events: Sequence[Event],
    hashes: Mapping[int, bytes | None],
    row: Mapping[str, Any] | None,
    purchases: Sequence[PurchaseRecord],
    *,
    chained: bool = True,
) -> Finding | None:
    """The first disagreement in one auction, or None when it all holds.

    `chained=False`: its events predate the chain and no server of this
    version has computed their hashes yet; only the replay is checked.
    """

    def at(event: Event) -> str:
        seq = "" if event.seq is None else f"seq {event.seq} "
        return f"{seq}({event.event}, version {event.version})"

    state = engine.new_auction(auction_id)
    head = Head()
    row_seq = row.get("seq") if row is not None else None
    seen: Auction | None = None  # the state as the row saw it
    seen_head = head
    public = 0
    for event in events:
        if event.seq is not None and seen is None and row_seq is not None and event.seq > row_seq:
            seen, seen_head = state, head
        try:
            state = engine.evolve(state, event)
        except Exception as e:  # a tampered log may break the rules in any way
            return Finding(auction_id, at(event), f"the rules refuse it on replay: {e}")
        if event.seq is None:
            continue
        public += 1
        if event.seq != public:
            return Finding(auction_id, at(event), f"public seq {event.seq}, expected {public}")
        digest = link(head.last, canonical(Publisher.envelope(event, state)))
        stored = hashes.get(event.seq) if chained else digest
        if stored is None:
            return Finding(auction_id, at(event), "no hash stored")
        if stored != digest:
            return Finding(auction_id, at(event), "does not match its stored hash")
        head = head.then(event.event, digest)
    extra = sorted(seq for seq in hashes if seq > public) if chained else []
    if extra:
        return Finding(auction_id, f"seq {extra[0]}", "a hash without an event")
    if row is None:
        return Finding(auction_id, "row", "the log has no auction row") if events else None
    if seen is None:
        seen, seen_head = state, head
    return _compare_row(auction_id, seen, seen_head, row, chained) or _compare_purchases(
        auction_id, seen, purchases
    )


def _compare_row(
    auction_id: int, state: Auction, head: Head, row: Mapping[str, Any], chained: bool
) -> Finding | None:
    if state.spec is None:
        return Finding(auction_id, "row", "a row for an auction its log never created")
    replayed = auction_object(state, log_hash=head.log_hash)
    for field in COMPARED:
        if field == "log_hash" and (field not in row or not chained):
            continue  # a row written before the chain, not projected since
        if row.get(field) != replayed[field]:
            return Finding(
                auction_id,
                f"row at seq {row.get('seq')}",
                f"{field} is {row.get(field)!r}, the log says {replayed[field]!r}",
            )
    return None


def _compare_purchases(
    auction_id: int, state: Auction, purchases: Sequence[PurchaseRecord]
) -> Finding | None:
    """Each unit sold in the log is a purchase, and each purchase a unit sold."""
    sold = {s.round: (s.winner_id, s.price) for s in state.sales}
    stored = {p.round: (p.user_id, p.price) for p in purchases}
    for round_, (winner, price) in sorted(sold.items()):
        if stored.get(round_) != (winner, price):
            return Finding(
                auction_id,
                f"purchases, round {round_}",
                f"stored {stored.get(round_)!r}, the log sold to user {winner} at {price}",
            )
    for round_ in sorted(stored.keys() - sold.keys()):
        return Finding(auction_id, f"purchases, round {round_}", "no unit sold in the log")
    return None
