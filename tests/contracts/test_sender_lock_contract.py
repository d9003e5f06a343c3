"""The mail sender lock (store/sender_lock.py): one holder per database, freed when
the holder lets go or dies, then taken by another; on real SQLite files and a
real PostgreSQL database.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from auctioneer.service.ports import SenderLock
from auctioneer.store.sender_lock import OneProcess, PostgresSenderLock, sender_lock


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'house.db'}"
    dsn: str = request.getfixturevalue("postgres_dsn")
    return dsn


async def test_one_holder_at_a_time_and_the_next_takes_over(db_url: str) -> None:
    first, second = sender_lock(db_url), sender_lock(db_url)
    try:
        assert await first.held()
        assert not await second.held()
        assert await first.held()  # asking again keeps it
        assert not await second.held()
        await first.release()
        assert await second.held()
        assert not await first.held()
    finally:
        await first.release()
        await second.release()


async def test_a_postgres_holder_whose_session_ends_knows_it_and_another_takes_over(
    postgres_dsn: str,
) -> None:
    import asyncpg

    first, second = PostgresSenderLock(postgres_dsn), PostgresSenderLock(postgres_dsn)
    try:
        assert await first.held()
        assert first._conn is not None
        pid = first._conn.get_server_pid()
        admin = await asyncpg.connect(postgres_dsn)
        try:  # what the database sees when the holder is killed or cut off
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        assert await second.held()
        assert not await first.held()  # its next question finds the session gone
    finally:
        await first.release()
        await second.release()


async def test_an_sqlite_holder_killed_with_sigkill_frees_the_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import asyncio, sys; from auctioneer.store.sender_lock import sender_lock\n"
            f"lock = sender_lock({url!r})\n"
            "print(asyncio.run(lock.held()), flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    mine = sender_lock(url)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "True"
        assert not await mine.held()
        holder.kill()
        holder.wait(10)
        assert await mine.held()
    finally:
        holder.kill()
        holder.wait(10)
        for pipe in (holder.stdin, holder.stdout):
            if pipe is not None:
                pipe.close()
        await mine.release()


async def test_a_memory_database_has_one_process_so_it_always_sends() -> None:
    lock: SenderLock = sender_lock("memory://")
    assert isinstance(lock, OneProcess)
    assert await lock.held()
