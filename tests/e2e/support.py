"""Shared helpers of the end-to-end suite: accounts, auctions, timing."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.helpers.server import RunningServer
from tests.helpers.wire_clients import MS, open_client

__all__ = [
    "ADMIN",
    "ADMIN_PASSWORD",
    "KINDS",
    "MS",
    "PASSWORD",
    "SOCKET_KINDS",
    "Account",
    "House",
    "login",
    "make_house",
    "prepare_house",
    "register",
    "fresh_db",
    "iso_in",
    "new_auction",
    "parse_time",
    "stop_server",
    "unique",
]

ADMIN = "e2e-admin"
ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "bidder-password-1"
KINDS = ("ws", "tcp", "http")
SOCKET_KINDS = ("ws", "tcp")


def unique(prefix: str = "u") -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def fresh_db(template: Path, folder: Path) -> Path:
    """Copy the template SQLite database (and its WAL, if any) into `folder`."""
    target = folder / "auctioneer.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(template) + suffix)
        if source.exists():
            shutil.copyfile(source, str(target) + suffix)
    return target


@dataclass
class Account:
    """A user with a live token (logging in costs an Argon2 check: do it once)."""

    username: str
    token: str
    user: dict[str, Any]

    @property
    def paddle(self) -> str:
        return f"#{self.user['paddle']}"


@dataclass
class House:
    """A module's server plus accounts made once: the admin and a pool of bidders."""

    server: RunningServer
    admin: Account
    pool: list[Account] = field(default_factory=list)  # fresh, one test each
    regulars: list[Account] = field(default_factory=list)  # shared by tests that don't mind
    opened: list[Any] = field(default_factory=list)  # closed after each test

    async def close_all(self) -> None:
        opened, self.opened = self.opened, []
        for client in opened:
            with contextlib.suppress(Exception):
                await client.close()

    async def connect(self, kind: str = "ws", account: Account | None = None) -> Any:
        """A new connection of `kind`, authenticated as `account` (anonymous if None)."""
        client = await open_client(kind, self.server)
        self.opened.append(client)
        if account is not None:
            if kind == "http":
                client.token = account.token
            else:
                await client.ok("auth", token=account.token)
            client.token, client.user, client.username = (
                account.token,
                account.user,
                account.username,
            )
        return client

    async def admin_client(self, kind: str = "ws") -> Any:
        return await self.connect(kind, self.admin)

    async def bidder(self, kind: str = "ws") -> Any:
        """A connection of a bidder no other test of the module has used."""
        account = self.pool.pop() if self.pool else await register(self.server)
        return await self.connect(kind, account)

    async def bidders(self, count: int, kind: str = "ws") -> list[Any]:
        return [await self.bidder(kind) for _ in range(count)]

    async def regular(self, index: int, kind: str = "ws") -> Any:
        """A connection of shared bidder `index` (its notices and purchases pile up)."""
        while len(self.regulars) <= index:
            self.regulars.append(await register(self.server))
        return await self.connect(kind, self.regulars[index])


ARGON2_TIMEOUT = 60_000 * MS  # password hashing is slow by design, slower on a busy machine


async def register(server: RunningServer, username: str | None = None) -> Account:
    """Register a new bidder and log it in once."""
    client = await open_client("tcp", server)
    try:
        name = username or unique("b")
        reply = await client.request(
            "register", username=name, password=PASSWORD, timeout=ARGON2_TIMEOUT
        )
        assert reply["ok"], reply
        return await _login(client, name, PASSWORD)
    finally:
        await client.close()


async def _login(client: Any, username: str, password: str) -> Account:
    reply = await client.request(
        "login", username=username, password=password, timeout=ARGON2_TIMEOUT
    )
    assert reply["ok"], reply
    return Account(username, reply["result"]["token"], reply["result"]["user"])


async def login(server: RunningServer, username: str, password: str) -> Account:
    client = await open_client("tcp", server)
    try:
        return await _login(client, username, password)
    finally:
        await client.close()


async def make_house(server: RunningServer, bidders: int, regulars: int = 2) -> House:
    """Log the admin in and register the bidders."""
    admin = await login(server, ADMIN, ADMIN_PASSWORD)
    gate = asyncio.Semaphore(2)  # 2 cores: more at once only queues in the server

    async def one() -> Account:
        async with gate:
            return await register(server)

    made = await asyncio.gather(*(one() for _ in range(bidders + regulars)))
    return House(server, admin, list(made[:bidders]), list(made[bidders:]))


def prepare_house(server: RunningServer, bidders: int, regulars: int = 2) -> House:
    """`make_house` from a sync (module-scoped) fixture."""
    return asyncio.run(make_house(server, bidders, regulars))


async def new_auction(admin: Any, **fields: Any) -> dict[str, Any]:
    """Create an open auction (defaults: starts now, 1 hour, 10.00, +1.00)."""
    spec: dict[str, Any] = {
        "name": unique("lot "),
        "starting_bid": 1000,
        "min_increment": 100,
        "duration_s": 3600,
    }
    spec.update(fields)
    result = await admin.ok("create_auction", **spec)
    return result["auction"]  # type: ignore[no-any-return]


def stop_server(server: RunningServer, sig: int = signal.SIGTERM) -> int:
    """Stop `server`, then close its output pipe once the reader thread hit EOF.

    tests/helpers/server.py leaves the pipe open, which filterwarnings=error
    turns into an unraisable ResourceWarning at the end of the session.
    """
    pumps = [t for t in threading.enumerate() if _pumps_for(t, server)]
    code = server.stop(sig)
    for thread in pumps:
        thread.join(timeout=5)
    if server.proc.stdout is not None:
        server.proc.stdout.close()
    return code


def _pumps_for(thread: threading.Thread, server: RunningServer) -> bool:
    target = getattr(thread, "_target", None)
    cells = getattr(target, "__closure__", None) or ()
    return any(cell.cell_contents is server for cell in cells)


def parse_time(text: str) -> float:
    """An ISO-8601 `...Z` time of the wire as epoch seconds."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def iso_in(seconds: float) -> str:
    """The wire time `seconds` from now."""
    moment = datetime.fromtimestamp(time.time() + seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
