"""Every kind of auction, run through a real stack: the logs the chain tests check.

Deterministic (manual clock, fixed ids and paddles), so the heads can be pinned.
"""

from __future__ import annotations

import asyncio

from tests.service.stack import Stack, lot

__all__ = ["every_kind"]


async def every_kind(stack: Stack) -> dict[str, int]:
    """Run one auction of each kind to its end; their ids by kind."""
    admin = await stack.person("root", admin=True)
    ann, bob = await stack.person("ann"), await stack.person("bob")
    ids: dict[str, int] = {}

    async def create(kind: str, **fields: object) -> int:
        ids[kind] = (await stack.create(admin, name=kind.title(), **fields))["id"]
        return ids[kind]

    async def bid(who: object, auction_id: int, amount: int) -> None:
        await stack.call(who, "place_bid", auction_id=auction_id, amount=amount)  # type: ignore[arg-type]

    a = await create("reserve", reserve=1500, min_increment=100)
    await bid(ann, a, 1000)
    await bid(bob, a, 1600)  # the reserve is met
    await stack.call(admin, "close_auction", auction_id=a)
    a = await create("reserve_not_met", reserve=5000)
    await bid(ann, a, 1000)
    await stack.call(admin, "close_auction", auction_id=a)
    a = await create("buy_now", buy_now=5000)
    await stack.call(bob, "buy_now", auction_id=a)
    a = await create("proxy", min_increment=50)
    await stack.call(ann, "start_auto_bid", auction_id=a, max_amount=3000)
    await bid(bob, a, 1200)  # ann's maximum answers
    await bid(bob, a, 3100)  # beyond it: ann's maximum is exhausted
    await stack.call(admin, "close_auction", auction_id=a)
    a = await create("cancelled")
    await bid(ann, a, 1000)
    await stack.call(admin, "cancel_auction", auction_id=a)
    a = await create("edited_after_close")
    await bid(ann, a, 1000)
    await stack.call(admin, "close_auction", auction_id=a)
    await stack.call(admin, "update_auction", auction_id=a, name="Renamed", public=False)
    await stack.call(admin, "delete_auction", auction_id=a)
    sale = await stack.call(admin, "create_sale", name="Spring", lots=[lot(name="One"), lot()])
    first, second = (lot_["id"] for lot_ in sale["auctions"])
    ids["sale_lot_1"], ids["sale_lot_2"] = first, second
    await bid(ann, first, 1000)
    await stack.call(admin, "close_auction", auction_id=first)
    async with asyncio.timeout(5):
        while (await stack.auctions.state(second)).status.value != "open":  # type: ignore[union-attr]
            await asyncio.sleep(0.001)
    await bid(bob, second, 1000)
    await stack.call(admin, "close_auction", auction_id=second)
    soft = await create("soft_close", duration_s=60, soft_close_s=30)
    units = await create("multi_unit", quantity=2, duration_s=60)
    bands = [{"from": 0, "increment": 50}, {"from": 1100, "increment": 500}]
    capped = await create(
        "capped_bands", duration_s=60, soft_close_s=30, max_extension_s=35, increments=bands
    )
    stack.clock.advance(50)
    await bid(ann, soft, 1000)  # within the soft close: extended
    await bid(ann, capped, 1000)  # extended to 80 s
    await bid(bob, capped, 1050)  # a band's step above
    await bid(ann, units, 1000)
    stack.clock.advance(11)  # the first round's end passes: sold on the next command
    await bid(bob, units, 1000)
    await bid(ann, units, 1100)
    await stack.call(admin, "close_auction", auction_id=units)
    stack.clock.advance(9)  # at 70 s: extended to 100 s, held at the cap (95 s)
    await bid(ann, capped, 1550)
    await stack.call(admin, "close_auction", auction_id=soft)
    await stack.call(admin, "close_auction", auction_id=capped)
    return ids
