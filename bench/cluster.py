"""PostgreSQL (and Redis) servers for the bench: one process or several of one house.

`python -m bench.run --db postgresql://USER@HOST/DB [--broker redis://...]
[--processes 1 2 3]` adds rows beside SQLite's: `floor-pg` (the floor with a
PostgreSQL writer, bench/floor_pg.py), `real-pg` (one `auctioneer serve` on
PostgreSQL, with the broker if given) and, for `spread`, `real-pg-2p` and
`real-pg-3p` (two or three processes of one house on PostgreSQL and Redis,
the load generator dealing its clients over them). Every server gets a fresh
database, created from the URL given and dropped when it stops.
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.servers import ADMIN, PASSWORD, ServerProc, spawn, start_floor, start_real

__all__ = ["Backends", "start"]

MULTI = ("spread", "spread-ws")  # scenarios also run on several processes


@dataclass(frozen=True)
class Backends:
    """What `bench.run` was asked to run beside SQLite."""

    db: str = ""  # postgresql://... : adds floor-pg and real-pg
    broker: str = ""  # redis://... : real-pg processes share it; needed for several
    processes: tuple[int, ...] = (1,)

    def names(self, scenario: str, base: list[str]) -> list[str]:
        """The servers of one scenario: SQLite's `base`, then PostgreSQL's."""
        names = list(base)
        if self.db:
            names += [f"{name}-pg" for name in base]
            if self.broker and scenario in MULTI and "real" in base:
                names += [f"real-pg-{n}p" for n in self.processes if n > 1]
        return names


def start(name: str, workdir: Path, backends: Backends) -> ServerProc:
    """Start the server called `name` (see `Backends.names`)."""
    if name == "floor":
        return start_floor(workdir)
    if name == "real":
        return start_real(workdir)
    dsn = _fresh_database(backends.db)
    try:
        if name == "floor-pg":
            cmd = [sys.executable, "-m", "bench.floor_server", "--port", "0", "--db", dsn]
            server = spawn("floor", cmd, want_http=False)
        else:
            count = int(name.removeprefix("real-pg-").removesuffix("p")) if name != "real-pg" else 1
            server = _start_house(dsn, backends.broker, count, workdir)
    except BaseException:
        _drop_database(backends.db, dsn)
        raise
    server.after_stop.append(lambda: _drop_database(backends.db, dsn))
    return server


def _start_house(dsn: str, broker: str, count: int, workdir: Path) -> ServerProc:
    extra = ["--media", str(workdir / "media"), *(["--broker", broker] if broker else [])]
    cli = [sys.executable, "-m", "auctioneer"]
    subprocess.run(  # also applies the schema, once, before the processes race to
        [*cli, "user", "add", ADMIN, "--password", PASSWORD, "--admin", "--db", dsn],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    with ThreadPoolExecutor() as pool:
        started = list(pool.map(lambda _: start_real(None, *extra, db_url=dsn), range(count)))
    first, *rest = started
    first.peers = rest
    return first


def _admin_url(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


def _fresh_database(url: str) -> str:
    name = "auctioneer_bench_" + secrets.token_hex(4)
    asyncio.run(_execute(url, f'CREATE DATABASE "{name}"'))
    return _admin_url(url, name)


def _drop_database(url: str, dsn: str) -> None:
    name = dsn.rpartition("/")[2]
    asyncio.run(_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _execute(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()
