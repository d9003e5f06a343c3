"""Sample events and commits for the store tests, built from the type hints.

`sample_event` fills every field of any event class with a non-default value,
so a field or event added to the engine is covered without editing the tests.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Sequence
from typing import Any

from auctioneer.engine.commands import AuctionSpec
from auctioneer.engine.events import AuctionCreated, BidPlaced, Event
from auctioneer.service.ports import Commit, NoticeRecord, PurchaseRecord
from auctioneer.store.records import event_types

__all__ = [
    "bid",
    "commit",
    "created",
    "every_event",
    "sample_event",
    "sample_value",
]

T0 = 1_790_000_000_000  # an epoch-ms time in 2026


def sample_value(hint: Any, name: str = "x") -> Any:
    """A non-default value of type `hint`."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        non_none = [a for a in typing.get_args(hint) if a is not type(None)]
        return sample_value(non_none[0], name)
    if origin in (tuple, list, frozenset, set):
        args = typing.get_args(hint)
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            return tuple(sample_value(a, name) for a in args)
        return origin([sample_value(args[0] if args else int, name)])
    if origin is dict:
        return {"k": sample_value(typing.get_args(hint)[1], name)}
    if hint is Any:
        return {"any": [1, "two"]}
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return list(hint)[-1]
        if hint is bool:
            return True
        if hint is int:
            return 4242
        if hint is float:
            return 2.5
        if hint is str:
            return f"{name} sample é"
        if dataclasses.is_dataclass(hint):
            hints = typing.get_type_hints(hint)
            return hint(
                **{
                    f.name: sample_value(hints[f.name], f.name)
                    for f in dataclasses.fields(hint)
                    if f.init
                }
            )
    raise TypeError(f"no sample for {hint!r}")


def sample_event(
    cls: type[Event], *, auction_id: int, version: int, seq: int | None, at: int
) -> Event:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {
        f.name: sample_value(hints[f.name], f.name)
        for f in dataclasses.fields(cls)
        if f.init and f.name not in ("auction_id", "version", "seq", "at")
    }
    return cls(auction_id=auction_id, version=version, seq=seq, at=at, **kwargs)


def every_event(auction_id: int, *, first_version: int = 1, first_seq: int = 1) -> list[Event]:
    """One event of every type, versions consecutive, seqs on the public ones."""
    out: list[Event] = []
    seq = first_seq
    for i, name in enumerate(sorted(event_types())):
        cls = event_types()[name]
        version = first_version + i
        event_seq: int | None = None
        if cls.public:
            event_seq = seq
            seq += 1
        out.append(
            sample_event(
                cls, auction_id=auction_id, version=version, seq=event_seq, at=T0 + version
            )
        )
    return out


def created(
    auction_id: int,
    *,
    sale_id: int | None = None,
    lot: int | None = None,
    at: int = T0,
) -> AuctionCreated:
    return AuctionCreated(
        auction_id=auction_id,
        version=1,
        seq=1,
        at=at,
        spec=AuctionSpec(name=f"Lot {auction_id}", starting_bid=100, countdown_s=10),
        sale_id=sale_id,
        lot=lot,
    )


def bid(
    auction_id: int, version: int, seq: int, amount: int, *, bidder: int = 1, auto: bool = False
) -> BidPlaced:
    return BidPlaced(
        auction_id=auction_id,
        version=version,
        seq=seq,
        at=T0 + version,
        bidder_id=bidder,
        paddle=bidder + 100,
        amount=amount,
        auto=auto,
        ends_at=T0 + 60_000,
        round=1,
    )


def commit(
    auction_id: int,
    expected_version: int,
    events: Sequence[Event],
    *,
    status: str = "open",
    public: bool = True,
    deleted: bool = False,
    sale_id: int | None = None,
    lot: int | None = None,
    notices: Sequence[NoticeRecord] = (),
    purchases: Sequence[PurchaseRecord] = (),
    idempotency: Sequence[tuple[int, str, bytes]] = (),
    extra: dict[str, Any] | None = None,
) -> Commit:
    """A commit whose row names its auction, status and last version."""
    version = expected_version + len(events)
    seqs = [e.seq for e in events if e.seq is not None]
    row: dict[str, Any] = {
        "id": auction_id,
        "status": status,
        "public": public,
        "sale_id": sale_id,
        "lot": lot,
        "version": version,
        "seq": seqs[-1] if seqs else None,
        "name": f"Lot {auction_id}",
    }
    return Commit(
        auction_id=auction_id,
        expected_version=expected_version,
        events=list(events),
        row=row,
        status=status,
        public=public,
        deleted=deleted,
        sale_id=sale_id,
        notices=notices,
        purchases=purchases,
        idempotency=idempotency,
        extra=extra or {},
    )
