"""An in-process server stack for service and gateway tests.

Built like `gateways.compose.build_house`, but with the memory store, a
`ManualClock` and a cheap Argon2 hasher: every part is real, nothing is mocked.
`Stack.call` runs one action the way a gateway does (parse, then `Api.handle`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher

from auctioneer.pubsub.hub import Hub
from auctioneer.pubsub.memory import MemoryBroker
from auctioneer.service.api import Api
from auctioneer.service.auctions import AuctionService
from auctioneer.service.clock import ManualClock
from auctioneer.service.settings import Settings
from auctioneer.service.users import Caller, UserService
from auctioneer.store.memory import MemoryStore
from auctioneer.wire import codec
from auctioneer.wire import messages as m

__all__ = ["PASSWORD", "START_MS", "Stack", "cheap_hasher", "lot"]

START_MS = 1_790_000_000_000
PASSWORD = "correct horse"


def cheap_hasher() -> PasswordHasher:
    """Argon2 at its cheapest: real hashing, fast tests."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def lot(**fields: Any) -> dict[str, Any]:
    """Create-auction fields with defaults: a one-minute lamp at 10.00."""
    fields.setdefault("name", "Lamp")
    fields.setdefault("starting_bid", 1000)
    if not {"ends_at", "duration_s", "countdown_s"} & fields.keys():
        fields["duration_s"] = 60
    return fields


@dataclass
class Stack:
    """Store, hub, users, auctions and API over one manual clock."""

    clock: ManualClock
    store: MemoryStore
    hub: Hub
    users: UserService
    auctions: AuctionService
    api: Api
    settings: Settings
    callers: dict[str, Caller] = field(default_factory=dict)

    @classmethod
    async def build(
        cls,
        *,
        clock: ManualClock | None = None,
        store: MemoryStore | None = None,
        start: bool = True,
        broker: type[MemoryBroker] = MemoryBroker,
        **settings: Any,
    ) -> Stack:
        clock = clock or ManualClock(START_MS)
        if store is None:
            store = MemoryStore(clock=clock.now_ms)
            await store.open()
        options = Settings(db="memory://", **settings)
        hub = Hub(broker)
        users = UserService(
            store,
            clock,
            token_ttl_s=options.token_ttl_s,
            login_failures=options.login_failures,
            hasher=cheap_hasher(),
        )
        auctions = AuctionService(store, hub, clock, users)
        if start:
            await auctions.start()
        return cls(clock, store, hub, users, auctions, Api(auctions, users, options), options)

    async def close(self, *, close_store: bool = True) -> None:
        await self.auctions.stop()
        await self.users.close()
        await self.hub.close()
        if close_store:
            await self.store.close()

    # -- people ------------------------------------------------------------
    async def person(self, name: str, *, admin: bool = False) -> Caller:
        """Register `name` (an admin if asked) and return a logged-in caller."""
        await self.users.register(name, PASSWORD, "admin" if admin else "bidder")
        caller = Caller(address=f"10.0.0.{len(self.callers) + 1}")
        await self.users.login(caller, name, PASSWORD)
        self.callers[name] = caller
        return caller

    # -- actions -----------------------------------------------------------
    async def raw(self, caller: Caller | None, action: str, **fields: Any) -> bytes:
        """Run one action and return its encoded result (raises AuctionError)."""
        request_id = fields.pop("id", None)
        obj = {"action": action, **fields}
        if request_id is not None:
            obj["id"] = request_id
        rid, parsed_action, request = m.parse_request(obj)
        return await self.api.handle(caller or Caller(), parsed_action, request, rid)

    async def call(self, caller: Caller | None, action: str, **fields: Any) -> Any:
        """Run one action and return its decoded result."""
        return codec.decode(await self.raw(caller, action, **fields))

    async def create(self, admin: Caller, **fields: Any) -> dict[str, Any]:
        """Create an auction and return its (admin) auction object."""
        result = await self.call(admin, "create_auction", **lot(**fields))
        auction: dict[str, Any] = result["auction"]
        return auction
