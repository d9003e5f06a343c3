"""Auction rows written before a field of the auction object existed get it at start.

The SQLite file is made by today's stack, then its rows are put back in the
shape older code wrote them: without `images`, `minimum_bid`, `passes_at`
(and the other later fields), exactly as those rows sit in databases of
earlier sessions. Opened by today's stack, the listing shows every field with
its value from the log, the same as `get_auction`, before any auction moves;
and a database whose rows are whole is not written at all.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from auctioneer.engine.commands import EditImages
from auctioneer.service.actor import Work
from auctioneer.service.clock import ManualClock
from auctioneer.service.recovery import refresh_old_rows
from auctioneer.service.users import Caller
from auctioneer.store.sqlite import SQLiteStore
from tests.service.stack import PASSWORD, START_MS, Stack, lot

LATER_FIELDS = ("images", "minimum_bid", "passes_at", "pass_after_s")
PHOTO = "0123456789abcdef0123456789abcdef"


async def _stack(path: Path, clock: ManualClock) -> Stack:
    store = SQLiteStore(path, clock=clock.now_ms)
    await store.open()
    return await Stack.build(clock=clock, store=store, bid_rate=0)  # type: ignore[arg-type]


def _strip_later_fields(path: Path) -> int:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        rows = conn.execute("SELECT id, row FROM auctions").fetchall()
        for auction_id, row in rows:
            old = {k: v for k, v in orjson.loads(row).items() if k not in LATER_FIELDS}
            conn.execute(
                "UPDATE auctions SET row = ? WHERE id = ?", (orjson.dumps(old), auction_id)
            )
        return len(rows)
    finally:
        conn.close()


async def test_rows_of_the_old_shape_list_every_field_before_the_auction_changes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "house.db"
    clock = ManualClock(START_MS)
    made = await _stack(path, clock)
    try:
        admin = await made.person("root", admin=True)
        ann = await made.person("ann")
        lamp = await made.create(admin, **lot(duration_s=600, pass_after_s=120))
        vase = await made.create(admin, **lot(name="Vase", duration_s=600, buy_now=9000))
        await made.call(ann, "place_bid", auction_id=lamp["id"], amount=1000)
        assert admin.user is not None
        work = Work(EditImages(add=(PHOTO,)), user_id=admin.user.id, admin=True)
        await made.auctions.submit(vase["id"], work)
    finally:
        await made.close()
    assert _strip_later_fields(path) == 2

    stack = await _stack(path, clock)
    try:
        root = Caller(address="10.0.0.9")
        await stack.users.login(root, "root", PASSWORD)
        listed = (await stack.call(root, "get_auctions"))["auctions"]
        for auction in listed:
            whole = (await stack.call(root, "get_auction", auction_id=auction["id"]))["auction"]
            assert auction == whole
        by_name = {a["name"]: a for a in listed}
        assert by_name["Lamp"]["minimum_bid"] > 1000  # ann's bid stands: the next must be more
        assert all(field in by_name["Lamp"] for field in LATER_FIELDS)
        assert [i["id"] for i in by_name["Vase"]["images"]] == [PHOTO]
        assert await refresh_old_rows(stack.store, stack.users) == 0  # whole rows stay as they are
    finally:
        await stack.close()
