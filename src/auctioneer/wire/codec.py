"""The one serializer: requests in, replies and events out, as JSON bytes.

Every event is encoded once (`encode_event`) and the same bytes go to every
subscriber of its topic (docs/architecture.md). orjson does the work; the stdlib parser is
only a fallback for valid JSON that orjson refuses (integers beyond 64 bits),
so such a value reaches validation and gets its proper error code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

from auctioneer.engine.errors import InvalidCommand
from auctioneer.engine.events import (
    AuctionClosed,
    AuctionCreated,
    AuctionDeleted,
    AuctionExtended,
    AuctionOpened,
    AuctionUpdated,
    BidPlaced,
    Event,
    ReserveMet,
    UnitSold,
)
from auctioneer.engine.multiunit import buy_now_offered
from auctioneer.engine.softclose import cap_reached, end_cap, passes_at
from auctioneer.engine.state import Auction
from auctioneer.wire.timefmt import format_time
from auctioneer.wire.views import (
    auction_object,
    image_objects,
    minimum_bid,
    paddle_label,
    public_view,
)

__all__ = [
    "decode",
    "encode",
    "encode_error",
    "encode_event",
    "encode_reply",
    "event_data",
    "event_envelope",
]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode(raw: bytes | str) -> Any:
    """Parse one JSON message.

    Raises:
        InvalidCommand: malformed JSON (`bad_request`).
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_reject_constant)
        # What we accept we must be able to echo: a lone surrogate ("\ud800")
        # parses here but can never be encoded back, so it is malformed too.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError, UnicodeError):
        raise InvalidCommand("Malformed JSON") from None
    return value


def encode(value: Any) -> bytes:
    return orjson.dumps(value)


def encode_reply(request_id: str | None, result: Any) -> bytes:
    if request_id is None:
        return orjson.dumps({"ok": True, "result": result})
    return orjson.dumps({"id": request_id, "ok": True, "result": result})


def encode_error(request_id: str | None, error: dict[str, Any]) -> bytes:
    if request_id is None:
        return orjson.dumps({"ok": False, "error": error})
    return orjson.dumps({"id": request_id, "ok": False, "error": error})


def encode_event(
    name: str, data: Any, *, topic: str | None = None, seq: int | None = None, at: int | None = None
) -> bytes:
    """An event envelope; `welcome` has no topic and no seq."""
    return orjson.dumps(event_envelope(name, data, topic=topic, seq=seq, at=at))


def event_envelope(
    name: str, data: Any, *, topic: str | None = None, seq: int | None = None, at: int | None = None
) -> dict[str, Any]:
    """The event object before encoding (the hash chain encodes it its own way)."""
    envelope: dict[str, Any] = {"event": name}
    if topic is not None:
        envelope["topic"] = topic
    if seq is not None:
        envelope["seq"] = seq
    if at is not None:
        envelope["at"] = format_time(at)
    envelope["data"] = data
    return envelope


def event_data(event: Event, after: Auction) -> dict[str, Any]:
    """The public `data` of an auction event, given the state right after it."""
    builder = _DATA.get(type(event))
    data = builder(event, after) if builder else {}
    data["auction_id"] = event.auction_id
    return data


def _created(e: Event, a: Auction) -> dict[str, Any]:
    data = public_view(auction_object(a))
    del data["log_hash"]  # the auction's head: not known before its first event is hashed
    return data


def _opened(e: Event, a: Auction) -> dict[str, Any]:
    assert isinstance(e, AuctionOpened)
    return {
        "round": e.round,
        "ends_at": format_time(e.ends_at),
        "status": a.status.value,
        "minimum_bid": minimum_bid(a),
        "passes_at": format_time(passes_at(a)),
        "buy_now_available": buy_now_offered(a),
        **_cap(a),
    }


def _cap(a: Auction) -> dict[str, Any]:
    """The soft-close cap where it can change (a round's start, an extension);
    only for an auction that has a cap, so other auctions' events stay as they were."""
    spec = a.spec
    if spec is None or (spec.max_end is None and spec.max_extension_s is None):
        return {}
    return {"end_cap": format_time(end_cap(a)), "cap_reached": cap_reached(a)}


def _bid(e: Event, a: Auction) -> dict[str, Any]:
    assert isinstance(e, BidPlaced)
    bidder = paddle_label(e.paddle)  # the bidder leads now
    return {
        "amount": e.amount,
        "bidder": bidder,
        "auto": e.auto,
        "current_bid": e.amount,
        "leader": bidder,
        "ends_at": format_time(e.ends_at),
        "round": e.round,
        "bid_count": a.bid_count,
        "minimum_bid": minimum_bid(a),
        "passes_at": None,
        "buy_now_available": False,
    }


def _extended(e: Event, a: Auction) -> dict[str, Any]:
    assert isinstance(e, AuctionExtended)
    return {"ends_at": format_time(e.ends_at), **_cap(a)}


def _reserve(e: Event, a: Auction) -> dict[str, Any]:
    assert isinstance(e, ReserveMet)
    return {"current_bid": e.amount}


def _sold(e: Event, a: Auction) -> dict[str, Any]:
    assert isinstance(e, UnitSold)
    return {
        "round": e.round,
        "winner": paddle_label(e.paddle),
        "price": e.price,
        "units_left": e.units_left,
        "buy_now": e.buy_now,
        "ends_at": format_time(e.next_ends_at),
        "minimum_bid": None if e.final else minimum_bid(a),
        "passes_at": None if e.final else format_time(passes_at(a)),
        "buy_now_available": buy_now_offered(a),
        **_cap(a),
    }


def _closed(e: Event, a: Auction) -> dict[str, Any]:
    assert isinstance(e, AuctionClosed)
    return {
        "winner": paddle_label(e.paddle),
        "price": e.price,
        "reason": e.reason.value,
        "status": a.status.value,
        "minimum_bid": None,
        "buy_now_available": False,
    }


def _updated(e: Event, a: Auction) -> dict[str, Any]:
    assert isinstance(e, AuctionUpdated)
    changes = {"public": e.public, "name": e.name, "description": e.description}
    data: dict[str, Any] = {k: v for k, v in changes.items() if v is not None}
    if e.images is not None:
        data["images"] = image_objects(e.images)
    return data


def _deleted(e: Event, a: Auction) -> dict[str, Any]:
    return {}


_DATA: dict[type[Event], Callable[[Event, Auction], dict[str, Any]]] = {
    AuctionCreated: _created,
    AuctionOpened: _opened,
    BidPlaced: _bid,
    AuctionExtended: _extended,
    ReserveMet: _reserve,
    UnitSold: _sold,
    AuctionClosed: _closed,
    AuctionUpdated: _updated,
    AuctionDeleted: _deleted,
}
