"""Auctioneer's clients: one small async library under the CLI, the room, the bots.

Why re-export here: `auctioneer.client` and tests import the public API from
one place; the submodules stay free to move things around.
"""

from __future__ import annotations

from auctioneer.clients.backoff import backoff
from auctioneer.clients.book import AuctionBook, apply_event
from auctioneer.clients.connection import Client
from auctioneer.clients.errors import (
    ClientError,
    ConnectFailed,
    ConnectionLost,
    PeerProtocolError,
    RequestFailed,
    RequestTimeout,
)
from auctioneer.clients.money import AmountError, format_amount, parse_amount
from auctioneer.clients.session import ClientSession, Event, GapDetected, Reply, Welcome

__all__ = [
    "AmountError",
    "AuctionBook",
    "Client",
    "ClientError",
    "ClientSession",
    "ConnectFailed",
    "ConnectionLost",
    "Event",
    "GapDetected",
    "PeerProtocolError",
    "Reply",
    "RequestFailed",
    "RequestTimeout",
    "Welcome",
    "apply_event",
    "backoff",
    "format_amount",
    "parse_amount",
]
