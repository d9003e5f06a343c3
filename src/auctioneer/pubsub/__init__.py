"""Topic pub/sub: local fan-out (hub) over an in-process or Redis broker."""

from __future__ import annotations

from auctioneer.pubsub.hub import Hub, Subscriber
from auctioneer.pubsub.memory import MemoryBroker

__all__ = ["Hub", "MemoryBroker", "Subscriber"]
