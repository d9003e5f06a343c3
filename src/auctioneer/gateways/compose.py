"""The composition root: the one place that picks concrete backends.

From Settings it builds the store (by URL), the broker (memory or Redis), the
clock, the services and the API. Everything below receives its parts through
constructors.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from auctioneer.gateways.cluster import ClusterDoor, PeerLinks
from auctioneer.gateways.smtp import SmtpConfig, SmtpTransport
from auctioneer.pubsub.hub import Hub
from auctioneer.pubsub.memory import MemoryBroker
from auctioneer.service.api import Api
from auctioneer.service.auctions import AuctionService
from auctioneer.service.backfill import StoreBackfill
from auctioneer.service.budgets import SaleBudgets
from auctioneer.service.clock import SystemClock
from auctioneer.service.forwarding import Forwarder
from auctioneer.service.health import Health
from auctioneer.service.house import House as HouseTerms
from auctioneer.service.mailer import Mailer
from auctioneer.service.media import MediaStore
from auctioneer.service.media_gc import MediaCollector
from auctioneer.service.metrics import FanOutCounts, Metrics
from auctioneer.service.ownership import Ownership
from auctioneer.service.ports import Broker, Clock, EventStore, Frame
from auctioneer.service.read_copies import VERSIONS
from auctioneer.service.settings import Settings
from auctioneer.service.shared_limits import BidLimit, fallback
from auctioneer.service.throttle import SharedWindow, Window, WindowFactory, local_windows
from auctioneer.service.users import UserService
from auctioneer.service.watchlist import parse_ending_soon
from auctioneer.store.factory import StoreKind, open_store, parse_store_url
from auctioneer.store.leases import open_leases
from auctioneer.store.sender_lock import sender_lock

__all__ = [
    "House",
    "broker_factory",
    "build_house",
    "channel_namespace",
    "media_root",
    "window_factory",
]


log = logging.getLogger(__name__)


@dataclass
class House:
    """Everything a running server holds."""

    settings: Settings
    store: EventStore
    hub: Hub
    users: UserService
    auctions: AuctionService
    api: Api
    scratch_media: Path | None = field(default=None)  # a memory store's photos, removed at close
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    mailer: Mailer | None = field(default=None)  # with --smtp; started by the server
    media_gc: MediaCollector | None = field(default=None)  # deletes photos no auction shows
    health: Health | None = field(default=None)  # what /readyz probes

    async def close(self) -> None:
        """Finish in-flight writes, then release the broker and the store."""
        if self.media_gc is not None:
            await self.media_gc.stop()
        if self.mailer is not None:
            await self.mailer.stop()
        await self.auctions.stop()
        await self.users.close()
        await self.hub.close()
        await self.store.close()
        if self.scratch_media is not None:
            shutil.rmtree(self.scratch_media, ignore_errors=True)
        for close in self.closers:
            await close()


def media_root(settings: Settings) -> Path | None:
    """Where lot photos live: `--media`, else next to the SQLite file
    (`auctioneer.db` -> `auctioneer-media/`), else `auctioneer-media/` in the
    working folder (PostgreSQL). None for the memory store, whose photos go to
    a temporary folder that lives as long as the process's data does."""
    if settings.media:
        return Path(settings.media)
    location = parse_store_url(settings.db)
    if location.kind is StoreKind.MEMORY:
        return None
    if location.kind is StoreKind.SQLITE:
        db = Path(location.target)
        return db.with_name(f"{db.stem}-media")
    return Path("auctioneer-media")


def broker_factory(
    url: str, namespace: str = ""
) -> Callable[[Callable[[str, Frame], None]], Broker]:
    """Memory for `memory://` (the default), Redis for `redis://HOST:PORT/N`.

    `namespace` prefixes every Redis channel (the house's database, see
    `channel_namespace`), so houses sharing one Redis never hear each other.

    Raises:
        ValueError: an unknown broker URL.
    """
    if url in ("", "memory", "memory://"):
        return MemoryBroker
    if url.startswith(("redis://", "rediss://", "unix://")):
        from auctioneer.pubsub.redis import RedisBroker

        return lambda deliver: RedisBroker(url, deliver, prefix=namespace)
    raise ValueError(f"unknown broker URL {url!r}: use memory:// or redis://HOST:PORT/N")


def channel_namespace(db_url: str) -> str:
    """The Redis channel prefix of a house: its database's name (PostgreSQL,
    with host and port) or file path, then a colon."""
    location = parse_store_url(db_url)
    if location.kind is StoreKind.POSTGRES:
        rest = location.target.split("://", 1)[-1]
        where = rest.rsplit("@", 1)[-1].split("?", 1)[0]  # host:port/db, no credentials
        return f"{where}:"
    return f"{location.target or 'memory'}:"


def window_factory(
    url: str, namespace: str = ""
) -> tuple[WindowFactory, Callable[[], Awaitable[None]] | None]:
    """Where the login, registration and bid limits count: in this process, or in
    the broker's Redis (shared by every process, in this process while Redis does
    not answer: service/shared_limits.py) with `--broker redis://...`. Their keys
    carry the house's `namespace`, like its channels, so two houses sharing one
    Redis never count each other's logins and bids.

    Returns the factory and, for Redis, what closes its connections.
    """
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return local_windows, None
    from limits.aio.storage import RedisStorage
    from redis.asyncio import ConnectionPool

    pool = ConnectionPool.from_url(url, socket_connect_timeout=2.0)  # Redis away: fail fast
    scheme, _, rest = url.partition("://")
    uri = f"async+{'redis+unix' if scheme == 'unix' else scheme}://{rest}"
    storage = RedisStorage(
        uri,
        implementation="redispy",
        key_prefix="auctioneer:" + namespace,
        connection_pool=pool,  # type: ignore[arg-type]  # passed on to redis.asyncio.Redis
    )

    def shared(name: str, limit: int, window_s: float) -> Window:
        return fallback(SharedWindow(storage, name, limit, window_s), name, limit, window_s)

    return shared, pool.aclose


async def build_house(settings: Settings, *, clock: Clock | None = None) -> House:
    """Open the store, load unfinished auctions and set their timers."""
    clock = clock or SystemClock()
    house = HouseTerms.from_settings(settings)  # bad terms fail before anything opens
    windows, close_windows = window_factory(settings.broker, channel_namespace(settings.db))
    smtp = SmtpConfig.from_settings(settings) if settings.smtp else None
    ending_soon = parse_ending_soon(settings.ending_soon)  # fails before anything opens
    store = open_store(settings.db)
    await store.open()
    hub = Hub(broker_factory(settings.broker, channel_namespace(settings.db)))
    users = UserService(
        store,
        clock,
        token_ttl_s=settings.token_ttl_s,
        login_failures=settings.login_failures,
        registrations=settings.registrations,
        password_hashes=settings.password_hashes,
        windows=windows,
    )
    users.start()
    metrics = Metrics()
    leases = open_leases(settings.db)
    ownership = Ownership(leases, metrics)
    auctions = AuctionService(store, hub, clock, users, metrics, ownership, ending_soon=ending_soon)
    metrics.watch(store.stats, lambda: auctions.conflicts_retried)
    metrics.watch_fanout(lambda: FanOutCounts(hub.published, hub.delivered, hub.subscriber_count()))
    metrics.broker_up.set_function(lambda: 1.0 if hub.broker_up else 0.0)
    hub.use_backfill(StoreBackfill(auctions))
    closers: list[Callable[[], Awaitable[None]]] = []
    if leases is not None:  # several processes may share this house
        closers += await _join_cluster(settings, auctions, ownership, hub)
    budgets = SaleBudgets(auctions)  # hooks the lots' opening before any lot opens
    await auctions.start()
    root = media_root(settings)
    scratch = Path(tempfile.mkdtemp(prefix="auctioneer-media-")) if root is None else None
    media = MediaStore(root or scratch or Path())
    media_gc = MediaCollector(store, media, grace_s=settings.media_grace_s)
    bid_window = None
    if close_windows is not None and settings.bid_rate > 0:  # shared counts: bids too
        bids, seconds = BidLimit.window(settings.bid_rate, settings.bid_burst)
        bid_window = windows("bids", bids, seconds)
    api = Api(
        auctions,
        users,
        settings,
        media=media,
        media_gc=media_gc,
        house=house,
        bid_window=bid_window,
        budgets=budgets,
    )
    mailer = None
    if smtp is not None:
        mailer = Mailer(
            store,
            clock,
            SmtpTransport(smtp),
            api.invoices,
            house,
            sender=settings.mail_from,
            public_url=settings.public_url or f"http://{settings.host}:{settings.http_port}",
            poll_s=settings.mail_poll_s,
            full_scan_s=settings.mail_scan_s,
            hub=hub,
            lock=sender_lock(settings.db),
        )
    built = House(settings, store, hub, users, auctions, api, scratch_media=scratch, mailer=mailer)
    built.closers.extend(closers)
    built.health = Health(store, hub)
    if close_windows is not None:
        built.closers.append(close_windows)
    media_gc.start()  # sweeps the folder once now, then hourly; deletes after removals
    built.media_gc = media_gc
    return built


async def _join_cluster(
    settings: Settings, auctions: AuctionService, ownership: Ownership, hub: Hub
) -> list[Callable[[], Awaitable[None]]]:
    """Open the internal door, the links to the others, and follow the owners'
    version hints; returns what closes them (after the service stopped)."""
    peers = PeerLinks(lambda: ownership.secret)
    forwarder = Forwarder(
        ownership,
        peers,
        auctions.submit_here,
        auctions.durable_version,
        auctions.copies.heard,
        auctions.metrics,
    )
    auctions.forwarder = forwarder
    door = ClusterDoor(forwarder.serve, lambda: ownership.secret)
    auctions.address = await door.start(
        settings.cluster_host or settings.host, settings.cluster_port
    )
    following = asyncio.get_running_loop().create_task(_follow_hints(hub, auctions))

    async def stop_following() -> None:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)

    return [stop_following, door.stop, peers.close]


async def _follow_hints(hub: Hub, auctions: AuctionService) -> None:
    """Listen to the owners' version hints, trying again while the broker is
    down (start-up does not wait for Redis; reads check the log meanwhile)."""
    while True:
        try:
            await hub.attach(VERSIONS, auctions.copies)
            return
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.warning("cannot follow the version hints yet (%s); retrying", e)
            await asyncio.sleep(1.0)
