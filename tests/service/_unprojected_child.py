"""A child process for the projection crash test: writes, acks, then waits.

It also lets an ending-soon point of a watched auction happen (in the log,
its notice held back like every projection).

Run as `python -m tests.service._unprojected_child DB`. It serves an in-process
stack on the SQLite file with projections held back for ten minutes, so
every write it acknowledges has its events in the log and nothing else; it
prints each first reply as JSON lines, then `ready`, and waits to be killed.
"""

from __future__ import annotations

import asyncio
import sys

import orjson

from auctioneer.service.clock import SystemClock
from auctioneer.store.sqlite import SQLiteStore
from tests.service.stack import Stack, lot


async def main(db: str) -> None:
    clock = SystemClock()
    store = SQLiteStore(db, projection_delay_ms=600_000, clock=clock.now_ms)
    await store.open()
    stack = await Stack.build(clock=clock, store=store, bid_rate=0)  # type: ignore[arg-type]
    admin = await stack.person("root", admin=True)
    ann, bob = await stack.person("ann"), await stack.person("bob")
    first = await stack.create(admin, **lot(duration_s=600))
    second = await stack.create(admin, **lot(name="Vase", duration_s=600, buy_now=5000))
    replies = {
        "a1": await stack.raw(ann, "place_bid", id="a1", auction_id=first["id"], amount=1000),
        "b1": await stack.raw(bob, "place_bid", id="b1", auction_id=first["id"], amount=1100),
        "a2": await stack.raw(ann, "place_bid", id="a2", auction_id=first["id"], amount=1300),
        "u1": await stack.raw(
            admin, "update_auction", id="u1", auction_id=first["id"], name="Lamp II"
        ),
        "bn": await stack.raw(bob, "buy_now", id="bn", auction_id=second["id"]),
    }
    # An ending-soon point, decided by the auction's own timer, whose notice
    # (to ann, who watches) is held back with the other projections.
    clock_lot = await stack.create(admin, **lot(name="Clock", duration_s=61))
    await stack.call(ann, "watch_auction", auction_id=clock_lot["id"])
    for _ in range(100):  # the 60-second point comes 1 s after the opening
        events = await store.load_events(clock_lot["id"])
        if any(e.event == "ending_soon" for e in events):
            break
        await asyncio.sleep(0.05)
    else:
        raise SystemExit("no ending_soon event")
    for key, reply in replies.items():
        print(orjson.dumps({"id": key, "reply": reply.decode()}).decode(), flush=True)
    print("ready", flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
