"""The composition root: the one place that picks concrete backends.

From Settings it builds the store (by URL), the broker (memory or Redis), the
clock, the services and the API. Everything below receives its parts through
constructors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auctioneer.pubsub.hub import Hub
from auctioneer.pubsub.memory import MemoryBroker
from auctioneer.service.api import Api
from auctioneer.service.auctions import AuctionService
from auctioneer.service.clock import SystemClock
from auctioneer.service.metrics import Metrics
from auctioneer.service.ports import Broker, Clock, EventStore, Frame
from auctioneer.service.settings import Settings
from auctioneer.service.users import UserService
from auctioneer.store.factory import open_store

__all__ = ["House", "broker_factory", "build_house"]


@dataclass
class House:
    """Everything a running server holds."""

    settings: Settings
    store: EventStore
    hub: Hub
    users: UserService
    auctions: AuctionService
    api: Api

    async def close(self) -> None:
        """Finish in-flight writes, then release the broker and the store."""
        await self.auctions.stop()
        await self.hub.close()
        await self.store.close()


def broker_factory(url: str) -> Callable[[Callable[[str, Frame], None]], Broker]:
    """Memory for `memory://` (the default), Redis for `redis://HOST:PORT/N`.

    Raises:
        ValueError: an unknown broker URL.
    """
    if url in ("", "memory", "memory://"):
        return MemoryBroker
    if url.startswith(("redis://", "rediss://", "unix://")):
        from auctioneer.pubsub.redis import RedisBroker

        return lambda deliver: RedisBroker(url, deliver)
    raise ValueError(f"unknown broker URL {url!r}: use memory:// or redis://HOST:PORT/N")


async def build_house(settings: Settings, *, clock: Clock | None = None) -> House:
    """Open the store, load unfinished auctions and set their timers."""
    clock = clock or SystemClock()
    store = open_store(settings.db)
    await store.open()
    hub = Hub(broker_factory(settings.broker))
    users = UserService(
        store, clock, token_ttl_s=settings.token_ttl_s, login_failures=settings.login_failures
    )
    metrics = Metrics()
    auctions = AuctionService(store, hub, clock, users, metrics)
    metrics.watch(store.stats, lambda: auctions.conflicts_retried)
    await auctions.start()
    return House(settings, store, hub, users, auctions, Api(auctions, users, settings))
