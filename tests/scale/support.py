"""A house of several `auctioneer serve` processes on one fresh PostgreSQL
database and one Redis, for the scale-out tests (docs/architecture.md "Many
processes").

The admin, the bidders and their tokens are written straight into the
database (no password, no login): 60 logins would cost a minute of Argon2 on
this machine and test nothing of scale-out.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from tests.e2e.support import stop_server
from tests.helpers.server import RunningServer, start_server

__all__ = ["POSTGRES", "REDIS", "House", "house_of", "owned_buckets"]

POSTGRES = os.environ.get("AUCTIONEER_TEST_POSTGRES_URL")
REDIS = os.environ.get("AUCTIONEER_TEST_REDIS_URL")
ADMIN = "boss"
DAY_MS = 24 * 3600 * 1000


@dataclass
class House:
    dsn: str
    servers: list[RunningServer]
    admin_token: str
    tokens: list[str] = field(default_factory=list)  # bidders'

    def start_server(self, *extra: str) -> RunningServer:
        return start_server(self.dsn, "--broker", REDIS or "", "--bid-rate", "0", *extra)


async def _sql(dsn: str, statement: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _accounts(dsn: str, count: int) -> list[str]:
    """The admin's token, then `count` bidders' (stored hashed, as the server does)."""
    conn = await asyncpg.connect(dsn)
    tokens = []
    try:
        now = int(time.time() * 1000)
        for index in range(-1, count):
            paddle = await conn.fetchval(
                "INSERT INTO counters (kind, last) VALUES ('paddle', 1) ON CONFLICT (kind)"
                " DO UPDATE SET last = counters.last + 1 RETURNING last"
            )
            user_id = await conn.fetchval(
                "INSERT INTO users (username, password_hash, role, paddle, created_at)"
                " VALUES ($1, 'not-a-hash', $2, $3, $4) RETURNING id",
                ADMIN if index < 0 else f"bidder{index}",
                "admin" if index < 0 else "bidder",
                paddle,
                now,
            )
            token = secrets.token_urlsafe(32)
            await conn.execute(
                "INSERT INTO tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
                hashlib.sha256(token.encode()).hexdigest(),
                user_id,
                now + DAY_MS,
            )
            tokens.append(token)
    finally:
        await conn.close()
    return tokens


async def owned_buckets(house: House, server: RunningServer) -> int:
    """The buckets `server` owns, from its metrics."""
    async with httpx.AsyncClient(timeout=10) as http:
        reply = await http.get(
            server.http_url + "/api/metrics",
            headers={"Authorization": f"Bearer {house.admin_token}"},
        )
    for line in reply.text.splitlines():
        if line.startswith("auctioneer_owned_buckets "):
            return int(float(line.split()[1]))
    raise AssertionError("no auctioneer_owned_buckets in the metrics")


async def spread(house: House, timeout: float = 15.0) -> list[int]:
    """Wait until the running servers own every bucket between them, each some."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        counts = [await owned_buckets(house, s) for s in house.servers if s.proc.poll() is None]
        if sum(counts) == 64 and all(counts):
            return counts
        assert loop.time() < deadline, f"buckets not spread: {counts}"
        await asyncio.sleep(0.1)


@contextmanager
def house_of(processes: int, bidders: int) -> Iterator[House]:
    """A fresh database, the admin, `bidders` bidders and `processes` servers."""
    assert POSTGRES and REDIS
    name = "auctioneer_scale_" + secrets.token_hex(4)
    asyncio.run(_sql(POSTGRES, f'CREATE DATABASE "{name}"'))
    dsn = POSTGRES.rsplit("/", 1)[0] + "/" + name
    house = House(dsn, [], "")
    try:
        with ThreadPoolExecutor(processes) as pool:  # the first to start migrates
            house.servers += pool.map(lambda _: house.start_server(), range(processes))
        house.admin_token, *house.tokens = asyncio.run(_accounts(dsn, bidders))
        asyncio.run(spread(house))
        yield house
    finally:
        for server in house.servers:
            stop_server(server)
        asyncio.run(_sql(POSTGRES, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def result(reply: dict[str, Any]) -> dict[str, Any]:
    assert reply.get("ok") is True, reply
    return reply["result"]  # type: ignore[no-any-return]
