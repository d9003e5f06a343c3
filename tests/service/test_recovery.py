"""The log is the write: after a crash, what the log holds is projected again.

A real child process writes through the real stack on an SQLite file with
its projections held back, acknowledges every write, and is SIGKILLed. The
next start must find the auctions whose log ran ahead of their rows and
project them exactly as the write path would have: listings, notices with
gapless seqs, purchases, and first replies for retried request ids.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import orjson

from auctioneer.service.clock import SystemClock
from auctioneer.service.users import Caller
from auctioneer.store.sqlite import SQLiteStore
from tests.service.stack import PASSWORD, Stack

ROOT = Path(__file__).resolve().parents[2]


async def _crash(db: Path) -> dict[str, bytes]:
    """Run the child until it has acknowledged its writes, then SIGKILL it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.service._unprojected_child", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    replies: dict[str, bytes] = {}
    try:
        assert proc.stdout is not None
        for _ in range(20):
            line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 60)
            if line.strip() == "ready":
                break
            record = orjson.loads(line)
            replies[record["id"]] = record["reply"].encode()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        await asyncio.to_thread(proc.wait)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    return replies


async def _login(stack: Stack, name: str) -> Caller:
    caller = Caller(address="10.0.0.9")
    await stack.users.login(caller, name, PASSWORD)
    return caller


async def test_a_crash_before_the_projections_loses_nothing_the_log_has(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    replies = await _crash(db)
    assert set(replies) == {"a1", "b1", "a2", "u1", "bn"}

    clock = SystemClock()
    store = SQLiteStore(db, clock=clock.now_ms)
    await store.open()
    behind = dict(await store.unprojected())
    assert set(behind) == {1, 2, 3}  # the kill came before any row was written
    stack = await Stack.build(clock=clock, store=store)  # type: ignore[arg-type]
    try:
        assert await store.unprojected() == []
        admin, ann, bob = [await _login(stack, n) for n in ("root", "ann", "bob")]

        listed = {a["id"]: a for a in (await stack.call(admin, "get_auctions"))["auctions"]}
        assert listed[1]["current_bid"] == 1300 and listed[1]["name"] == "Lamp II"
        assert listed[1]["bid_count"] == 3 and listed[1]["status"] == "open"
        assert listed[2]["status"] == "closed" and listed[2]["price"] == 5000
        assert listed[1] == {
            k: v
            for k, v in (await stack.call(admin, "get_auction", auction_id=1))["auction"].items()
            if k in listed[1]
        }

        # Notices: bob was outbid once, ann once; bob won the vase. Seqs from 1.
        bob_notices = (await stack.call(bob, "get_notices"))["notices"]
        assert [(n["seq"], n["event"]) for n in bob_notices] == [(1, "outbid"), (2, "won")]
        # Ann watches the clock: its ending-soon point tells her, from the log's event.
        ann_notices = (await stack.call(ann, "get_notices"))["notices"]
        assert [(n["seq"], n["event"]) for n in ann_notices] == [(1, "outbid"), (2, "ending_soon")]
        assert ann_notices[1]["data"]["threshold_s"] == 60
        assert ann_notices[1]["data"]["auction_id"] == 3
        bought = (await stack.call(bob, "get_purchases"))["purchases"]
        assert [(p["auction_id"], p["price"]) for p in bought] == [(2, 5000)]

        # Every retried request id gets its first reply, rebuilt from the log.
        for key, caller, action, fields in (
            ("a1", ann, "place_bid", {"auction_id": 1, "amount": 1000}),
            ("b1", bob, "place_bid", {"auction_id": 1, "amount": 1100}),
            ("a2", ann, "place_bid", {"auction_id": 1, "amount": 1300}),
            ("u1", admin, "update_auction", {"auction_id": 1, "name": "Lamp II"}),
            ("bn", bob, "buy_now", {"auction_id": 2}),
        ):
            again = await stack.raw(caller, action, id=key, **fields)
            assert orjson.loads(again) == orjson.loads(replies[key]), key
        after = (await stack.call(admin, "get_auction", auction_id=1))["auction"]
        assert after["bid_count"] == 3  # the retries changed nothing
    finally:
        await stack.close()
