"""`auctioneer.client`: the public async client library, by the name issue 4 gives it.

Why a thin module: the code lives in `auctioneer.clients` next to the clients
built on it; scripts and third parties import from here::

    from auctioneer.client import Client

    async with Client("http://127.0.0.1:8000") as client:
        await client.login("ann", "secret-password")
        await client.request("place_bid", auction_id=1, amount=12550)
"""

from __future__ import annotations

from auctioneer.clients import *  # noqa: F403
from auctioneer.clients import __all__ as __all__
