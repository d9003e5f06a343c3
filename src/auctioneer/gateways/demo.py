"""Demo data: what the seeds show, loaded once per database by `serve --demo`.

- the live room (seed 001): a sequential sale of five preloaded lots, each
  with a 10 s countdown that starts at the first bid and resets on every bid;
- timed auctions with soft close, a reserve, and buy-now (seed 000);
- a multi-unit item sold one unit per round (seed 002);
- one private auction, seen only by admins.
It creates the admin account `admin` and prints its password once.
"""

from __future__ import annotations

import secrets
from typing import Any, TextIO

from auctioneer.gateways.compose import House
from auctioneer.service.users import Caller
from auctioneer.wire import messages as m

__all__ = ["DEMO_ADMIN", "load_demo"]

DEMO_ADMIN = "admin"

LIVE_ROOM = [
    ("Vintage Watch", "A 1960s Swiss automatic, serviced last year.", 5_000),
    ("Antique Vase", "Hand-painted porcelain, late 19th century.", 8_000),
    ("Classic Car", "A restored 1967 roadster, runs beautifully.", 1_500_000),
    ("Gaming Laptop", "RTX graphics, 32 GB memory, barely used.", 60_000),
    ("Signed Guitar", "An acoustic guitar signed by the whole band.", 25_000),
]

TIMED: list[dict[str, Any]] = [
    {
        "name": "Rare Stamp Collection",
        "description": "Three albums of European stamps, 1890-1960.",
        "starting_bid": 10_000,
        "min_increment": 500,
        "reserve": 50_000,
        "duration_s": 600,
        "soft_close_s": 30,
    },
    {
        "name": "Mountain Bike",
        "description": "Full suspension, size M, ridden one season.",
        "starting_bid": 20_000,
        "buy_now": 80_000,
        "duration_s": 900,
        "soft_close_s": 30,
    },
    {
        "name": "Oil Painting: Harbour at Dusk",
        "description": "Framed original, 60 x 90 cm.",
        "starting_bid": 30_000,
        "min_increment": 1_000,
        "reserve": 120_000,
        "duration_s": 1_800,
        "soft_close_s": 60,
    },
    {
        "name": "Concert Tickets (5 pairs)",
        "description": "Five pairs of front-row seats; one pair sold per round.",
        "starting_bid": 5_000,
        "quantity": 5,
        "duration_s": 120,
        "soft_close_s": 15,
    },
    {
        "name": "Staff only: Ergonomic Office Chair",
        "description": "Private lot for staff; invisible to bidders until published.",
        "starting_bid": 2_000,
        "duration_s": 3_600,
        "public": False,
    },
]


async def load_demo(house: House, *, out: TextIO) -> bool:
    """Create the demo admin and auctions unless this database has them.

    Returns True if it loaded them now.
    """
    if await house.store.user_by_name(DEMO_ADMIN) is not None:
        return False
    password = secrets.token_urlsafe(12)
    admin = await house.users.register(DEMO_ADMIN, password, "admin")
    caller = Caller(address="demo", user=admin)
    lots = [
        {"name": name, "description": text, "starting_bid": start, "countdown_s": 10}
        for name, text, start in LIVE_ROOM
    ]
    sale = {"name": "The Live Room", "lots": lots}
    await house.api.handle(caller, "create_sale", m.parse_fields(m.CreateSale, sale))
    for fields in TIMED:
        request = m.parse_fields(m.CreateAuction, fields)
        await house.api.handle(caller, "create_auction", request)
    print(f"demo: admin login: {DEMO_ADMIN} / {password} (shown once)", flush=True)
    return True
