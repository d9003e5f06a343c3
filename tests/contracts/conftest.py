"""Fixtures for the backend contract suites.

`store` runs each contract test against every EventStore backend: memory and
SQLite always; PostgreSQL when AUCTIONEER_TEST_POSTGRES_URL is set (a fresh
database with a random name is created for the test session and dropped at
its end), otherwise those cases skip with the reason shown by `-ra`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from auctioneer.store.base import StoreStats
from auctioneer.store.memory import MemoryStore
from auctioneer.store.sqlite import SQLiteStore

POSTGRES_ENV = "AUCTIONEER_TEST_POSTGRES_URL"
# "postgres_savepoints": PostgreSQL with the bulk fast path off, so the plain
# one-SAVEPOINT-per-commit path (also the fallback) meets the whole contract.
BACKENDS = ["memory", "sqlite", "postgres", "postgres_savepoints"]

# Every table the store writes, emptied between PostgreSQL tests (schema_version
# stays). DELETE rather than TRUNCATE: on tables this small it takes
# milliseconds where TRUNCATE takes a few hundred.
_EMPTY = """
DELETE FROM events; DELETE FROM auctions; DELETE FROM sales; DELETE FROM counters;
DELETE FROM users; DELETE FROM tokens; DELETE FROM notices; DELETE FROM notice_seqs;
DELETE FROM purchases; DELETE FROM idempotency;
DELETE FROM invoice_payments; DELETE FROM user_emails; DELETE FROM mail_optouts;
DELETE FROM mail_cursors; DELETE FROM mail_outbox; DELETE FROM watchlist; DELETE FROM sale_budgets;
"""


def _with_database(dsn: str, database: str) -> str:
    base, slash, _ = dsn.rpartition("/")
    if not slash or base.endswith("/"):  # postgresql://host with no database part
        return dsn.rstrip("/") + "/" + database
    return base + "/" + database


async def _admin(dsn: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL store tests skipped")
    name = "auctioneer_test_" + secrets.token_hex(6)
    # Identifiers cannot be parameters; the name is ours: a prefix and hex digits.
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(url, name)
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_postgres(dsn: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        exists = await conn.fetchval("SELECT to_regclass('public.events') IS NOT NULL")
        if exists:
            await conn.execute(_EMPTY)
    finally:
        await conn.close()


def make_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """An unopened store of `backend` (for tests that reopen one)."""
    if backend == "memory":
        return MemoryStore()
    if backend == "sqlite":
        return SQLiteStore(tmp_path / "store.db")
    from auctioneer.store.postgres import PostgresStore

    dsn: str = request.getfixturevalue("postgres_dsn")
    return PostgresStore(dsn, fast_path=backend != "postgres_savepoints")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name.startswith("postgres"):
        request.getfixturevalue("postgres_dsn")  # skips when unset
    return name


@pytest.fixture
async def store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """An opened, empty store of each backend."""
    if backend.startswith("postgres"):
        await _empty_postgres(request.getfixturevalue("postgres_dsn"))
    s = make_store(backend, tmp_path, request)
    await s.open()
    assert isinstance(s.stats, StoreStats)
    try:
        yield s
    finally:
        await s.close()
