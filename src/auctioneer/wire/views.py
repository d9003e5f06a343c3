"""The objects of docs/protocol.md built from engine state: auction, bid, user.

Bidders are shown by paddle ("#7") to everyone; real usernames only in the
admin view (`leader_username`, `winner_username`, a bid's `username`). The
admin view is a superset of the public view: `public_view()` strips it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auctioneer.engine.bidding import stated_minimum_bid
from auctioneer.engine.events import BidPlaced
from auctioneer.engine.multiunit import buy_now_offered
from auctioneer.engine.softclose import cap_reached, end_cap, passes_at
from auctioneer.engine.state import Auction, Status
from auctioneer.wire.timefmt import format_time

__all__ = [
    "ADMIN_ONLY_FIELDS",
    "IMAGE_VARIANTS",
    "MEDIA_PATH",
    "auction_object",
    "bid_object",
    "image_file",
    "image_objects",
    "increment_objects",
    "minimum_bid",
    "paddle_label",
    "public_view",
    "user_object",
]

ADMIN_ONLY_FIELDS = ("reserve", "leader_username", "winner_username", "deleted")

# Where an auction's photos are served (docs/protocol.md "Lot photos"): each
# image id has a small and a large JPEG, named by the id, so a URL never
# changes what it shows and browsers may cache it for good.
MEDIA_PATH = "/media/"
IMAGE_VARIANTS = ("thumb", "large")


def image_file(image_id: str, variant: str) -> str:
    """The file name of one size of an image: `<id>-thumb.jpg`, `<id>-large.jpg`."""
    return f"{image_id}-{variant}.jpg"


def image_objects(image_ids: tuple[str, ...]) -> list[dict[str, str]]:
    """`[{id, thumb, large}]`: the auction's photos as URL paths on the server."""
    return [
        {"id": i, **{v: MEDIA_PATH + image_file(i, v) for v in IMAGE_VARIANTS}} for i in image_ids
    ]


def increment_objects(bands: tuple[tuple[int, int], ...]) -> list[dict[str, int]] | None:
    """`[{from, increment}]`: the auction's increment bands, or None (fixed `min_increment`)."""
    return [{"from": start, "increment": step} for start, step in bands] or None


def paddle_label(paddle: int | None) -> str | None:
    """Paddle 7 -> "#7": how the public sees a bidder."""
    return None if paddle is None else f"#{paddle}"


def minimum_bid(a: Auction) -> int | None:
    """The lowest amount the next bid may be (rule 1), or None when not open.

    The engine computes it (`stated_minimum_bid`); clients use it as stated.
    """
    return stated_minimum_bid(a)


def auction_object(
    a: Auction, *, names: Mapping[int, str] | None = None, log_hash: bytes | None = None
) -> dict[str, Any]:
    """The admin view of an auction (use `public_view` for everyone else).

    `log_hash` is the head of its public log's hash chain (docs/protocol.md).
    """
    spec = a.spec
    assert spec is not None, "an auction object needs a created auction"
    names = names or {}
    last = a.winner
    return {
        "id": a.id,
        "name": spec.name,
        "description": spec.description,
        "status": a.status.value,
        "public": spec.public,
        "starting_bid": spec.starting_bid,
        "min_increment": spec.min_increment,
        "increments": increment_objects(spec.increments),
        "reserve": spec.reserve,
        "reserve_met": a.reserve_met if spec.reserve is not None else True,
        "has_reserve": spec.reserve is not None,
        "buy_now": spec.buy_now,
        "buy_now_available": buy_now_offered(a),
        "quantity": spec.quantity,
        "units_left": a.units_left,
        "round": a.round,
        "starts_at": format_time(a.opened_at if a.opened_at is not None else spec.starts_at),
        "ends_at": format_time(a.ends_at if a.status is not Status.SCHEDULED else _planned_end(a)),
        "duration_s": spec.duration_s,
        "countdown_s": spec.countdown_s,
        "soft_close_s": spec.soft_close_s,
        "pass_after_s": spec.pass_after_s,
        "passes_at": format_time(passes_at(a)),
        "max_end": format_time(spec.max_end),
        "max_extension_s": spec.max_extension_s,
        "end_cap": format_time(end_cap(a)),
        "cap_reached": cap_reached(a),
        "current_bid": a.current_bid,
        "minimum_bid": minimum_bid(a),
        "leader": paddle_label(a.leader_paddle),
        "leader_username": names.get(a.leader_id) if a.leader_id is not None else None,
        "bid_count": a.bid_count,
        "winner": paddle_label(last.paddle) if last else None,
        "winner_username": names.get(last.winner_id) if last else None,
        "price": last.price if last else None,
        "sales": [
            {"round": s.round, "winner": paddle_label(s.paddle), "price": s.price} for s in a.sales
        ],
        "close_reason": a.close_reason.value if a.close_reason else None,
        "closed_at": format_time(a.closed_at),
        "created_at": format_time(a.created_at),
        "sale_id": a.sale_id,
        "lot": a.lot,
        "deleted": a.deleted,
        "images": image_objects(a.images),
        "seq": a.seq,
        "log_hash": None if log_hash is None else log_hash.hex(),
    }


def _planned_end(a: Auction) -> int | None:
    """A scheduled auction's end as it was given (the round's real end is set at open)."""
    spec = a.spec
    assert spec is not None, "only created auctions have an end"
    if spec.ends_at is not None:
        return spec.ends_at
    if spec.starts_at is not None and spec.duration_s is not None and not a.waits_for_previous:
        return spec.starts_at + spec.duration_s * 1000
    return None


def public_view(admin_object: Mapping[str, Any]) -> dict[str, Any]:
    """The same auction as a bidder or anonymous visitor may see it (same key order)."""
    view = dict(admin_object)
    for key in ADMIN_ONLY_FIELDS:  # a copy and four deletions: several times faster
        view.pop(key, None)  # than filtering every key through a comprehension
    return view


def bid_object(event: BidPlaced, *, names: Mapping[int, str] | None = None) -> dict[str, Any]:
    """A bid object; with `names` (admins only) it carries the bidder's username."""
    bid: dict[str, Any] = {
        "seq": event.seq,
        "amount": event.amount,
        "bidder": paddle_label(event.paddle),
        "auto": event.auto,
        "at": format_time(event.at),
        "round": event.round,
    }
    if names is not None:
        bid["username"] = names.get(event.bidder_id)
    return bid


def user_object(*, user_id: int, username: str, role: str, paddle: int) -> dict[str, Any]:
    return {"id": user_id, "username": username, "role": role, "paddle": paddle}
