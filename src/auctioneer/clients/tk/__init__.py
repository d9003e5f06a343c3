"""The desktop apps (`auctioneer gui admin | bidder`): Tk + ttkbootstrap, live.

Why a package of small modules: the pure parts (`form`, `auctions`,
`standing`, `analytics`, `messages`, `bridge`) are tested without a display;
the Tk parts (`widgets`, `shell`, `detail`, `room`, `bidder`, `admin`) only
draw what those decide. Like every client, they reach the server only
through the client library.
"""

from __future__ import annotations

__all__: list[str] = []
