"""The hash chain of each auction's public log (docs/protocol.md "The tamper-evident log")."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import pytest

from auctioneer.clients.verify import canonical as client_canonical
from auctioneer.clients.verify import link as client_link
from auctioneer.clients.verify import verify_log
from auctioneer.service.audit import audit_auction
from auctioneer.service.chain import GENESIS, canonical, link
from auctioneer.service.users import Caller
from auctioneer.wire import codec
from auctioneer.wire.topics import auction_topic
from tests.service.kinds import every_kind
from tests.service.stack import Stack


def check_chain(events: list[dict[str, Any]]) -> str:
    """The chain by the letter of docs/protocol.md, with the stdlib only: its head."""
    previous = GENESIS.hex()
    for event in events:
        body = {k: v for k, v in event.items() if k != "hash"}
        body["data"] = {k: v for k, v in body["data"].items() if k != "log_hash"}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256((previous + text).encode()).hexdigest()
        assert event["hash"] == digest, event
        previous = digest
    return previous


async def test_every_kind_of_auction_has_a_chain_that_verifies_and_a_sealed_head(
    stack: Stack,
) -> None:
    ids = await every_kind(stack)
    admin = stack.callers["root"]
    for kind, auction_id in ids.items():
        log = await stack.call(admin, "get_log", auction_id=auction_id)
        head = check_chain(log["events"])
        closed = [e for e in log["events"] if e["event"] == "auction_closed"]
        assert len(closed) == 1, kind
        assert closed[0]["data"]["log_hash"] == closed[0]["hash"] == log["log_hash"]
        auction = (await stack.call(admin, "get_auction", auction_id=auction_id))["auction"]
        assert auction["log_hash"] == log["log_hash"]
        kinds = [e["event"] for e in log["events"]]
        if kind in ("soft_close", "capped_bands"):
            assert "auction_extended" in kinds
        if kind == "multi_unit":
            assert kinds.count("unit_sold") == 2
        if kind == "reserve":
            assert "reserve_met" in kinds
        if kind != "edited_after_close":  # edits after the close chain on, the seal stays
            assert head == log["log_hash"]
        else:
            assert [e["event"] for e in log["events"]][-2:] == [
                "auction_updated",
                "auction_deleted",
            ]
        events = await stack.store.load_events(auction_id)
        row = await stack.store.auction_row(auction_id)
        hashes = await stack.store.log_hashes(auction_id)
        purchases = [p for p in await stack.store.purchases() if p.auction_id == auction_id]
        assert audit_auction(auction_id, events, hashes, row, purchases) is None, kind
        verdict = verify_log(log, log_hash=auction["log_hash"], seen=log["events"][1]["hash"])
        assert verdict.problems == [], kind


async def test_a_bidder_is_told_where_the_log_was_changed_or_rewritten(stack: Stack) -> None:
    ids = await every_kind(stack)
    log = await stack.call(None, "get_log", auction_id=ids["proxy"])
    bids = [e for e in log["events"] if e["event"] == "bid_placed"]
    bids[1]["data"]["amount"] += 1
    verdict = verify_log(log)
    assert verdict.problems[0].startswith(f"seq {bids[1]['seq']} (bid_placed): its hash")
    assert "NOT verified" in verdict.summary()
    fresh = await stack.call(None, "get_log", auction_id=ids["proxy"])
    assert verify_log(fresh, seen="ab" * 32).problems == [
        f"the hash you saw live ({'ab' * 8}) is not in this log"
    ]


def test_both_sides_of_the_wire_hash_the_same_bytes() -> None:
    """The server's canonical form (orjson) and the client's (the stdlib) agree,
    also on every character JSON must escape and on text beyond ASCII."""
    text = "".join(chr(i) for i in range(0x80)) + "\u2028é€😀\ufeff</script>"
    event = {
        "event": "auction_closed",
        "topic": "auction:7",
        "seq": 9,
        "at": "2026-09-21T14:13:20.000Z",
        "data": {"auction_id": 7, "name": text, "price": 10**12, "winner": None, "log_hash": "x"},
        "hash": "y",
    }
    assert canonical(event) == client_canonical(event)
    assert link(GENESIS, canonical(event)).hex() == client_link("0" * 64, canonical(event))


async def test_live_frames_catch_up_and_the_log_are_the_same_bytes(stack: Stack) -> None:
    admin, ann = await stack.person("root", admin=True), await stack.person("ann")
    bob = await stack.person("bob")
    seen: list[bytes] = []

    class Sink:
        def deliver(self, topic: str, frame: Any) -> None:
            seen.append(frame.data)

    await stack.hub.attach(auction_topic(1), Sink())
    await stack.create(admin)
    for who, amount in ((ann, 1000), (bob, 1200), (ann, 1500)):
        await stack.call(who, "place_bid", auction_id=1, amount=amount)
    await stack.call(admin, "close_auction", auction_id=1)
    await asyncio.sleep(0)  # the events go out just after the reply
    log = await stack.raw(None, "get_log", auction_id=1)
    stack.auctions.publisher.forget(1)  # read back from the store
    stored = await stack.auctions.frames(1, 0, 100)
    assert [f.data for f in stored] == seen
    assert codec.decode(log)["events"] == [codec.decode(f) for f in seen]
    check_chain([codec.decode(f) for f in seen])


async def test_the_head_moves_with_each_event_until_the_close_seals_it(stack: Stack) -> None:
    admin, ann = await stack.person("root", admin=True), await stack.person("ann")
    created = await stack.create(admin)
    placed = (await stack.call(ann, "place_bid", auction_id=1, amount=1000))["auction"]
    assert None is not created["log_hash"] != placed["log_hash"]
    closed = (await stack.call(admin, "close_auction", auction_id=1))["auction"]
    renamed = (await stack.call(admin, "update_auction", auction_id=1, name="Other"))["auction"]
    assert renamed["log_hash"] == closed["log_hash"] != placed["log_hash"]
    (row,) = await stack.store.auction_rows()
    assert row["log_hash"] == closed["log_hash"]


async def test_a_private_auctions_log_is_for_those_who_may_see_it(stack: Stack) -> None:
    admin = await stack.person("root", admin=True)
    await stack.create(admin, public=False)
    assert (await stack.call(admin, "get_log", auction_id=1))["events"]
    with pytest.raises(Exception) as refused:
        await stack.call(Caller(), "get_log", auction_id=1)
    assert getattr(refused.value, "code", None) == "not_found"


async def test_the_canonical_bytes_of_every_kind_of_event_are_pinned(stack: Stack) -> None:
    """The rendering of a stored event is part of its hash: a change here breaks the
    chains of every database already written (docs/protocol.md). If this fails, make
    the new field absent from the events that do not use it instead of pinning anew."""
    ids = await every_kind(stack)
    heads = {}
    for kind, auction_id in ids.items():
        log = await stack.call(stack.callers["root"], "get_log", auction_id=auction_id)
        heads[kind] = log["log_hash"][:16]
        for event in log["events"]:
            assert (
                canonical(event)
                == json.dumps(
                    {k: v for k, v in event.items() if k != "hash"}
                    | {"data": {k: v for k, v in event["data"].items() if k != "log_hash"}},
                    sort_keys=True,
                    separators=(",", ":"),
                    ensure_ascii=False,
                ).encode()
            )
    assert heads == PINNED, heads


PINNED = {  # the first 16 hex digits of each auction's log_hash
    "reserve": "ec3442b0ffdca2ae",
    "reserve_not_met": "fcb1ae629632f9b4",
    "buy_now": "20d79157f2c95383",
    "proxy": "8757dbc33d4d2cab",
    "cancelled": "34f967eb70084890",
    "edited_after_close": "75be4bcb73163e48",
    "sale_lot_1": "bd5f725fddb28947",
    "sale_lot_2": "c262b4f0bd4b95fa",
    "soft_close": "517295879adf21f8",
    "multi_unit": "492b39b63ac95258",
    "capped_bands": "7feda89ffe4ed5a7",
}
