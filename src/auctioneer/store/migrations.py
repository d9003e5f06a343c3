"""Versioned schema migrations, applied in order when a store opens.

The files live in `store/sql/` as `NNNN_<name>.<dialect>.sql` (dialect
`sqlite` or `postgres`); `NNNN` is the schema version the file brings the
database to. `schema_version` records each version applied. A file is never
edited once released: change the schema with a new file.

Versions increase but may leave gaps (work done in parallel claims numbers
apart, e.g. 10 beside 4): every version a database has not recorded is
applied, in version order, so a version landed later with a lower number
still runs. Such parallel migrations must touch different tables.

Each migration runs in its own transaction together with its
`schema_version` row, so a crash leaves the database at a whole version.
Concurrent openers are serialized (SQLite `BEGIN IMMEDIATE`, PostgreSQL an
advisory lock) and re-read the version inside the transaction.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg

__all__ = [
    "Migration",
    "SchemaTooNew",
    "migrate_postgres",
    "migrate_sqlite",
    "migrations",
    "split_sqlite_script",
]

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.(sqlite|postgres)\.sql$")

_SCHEMA_VERSION_SQLITE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
)
_SCHEMA_VERSION_POSTGRES = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version integer PRIMARY KEY, name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())"
)
# An arbitrary constant naming the migration lock among the database's advisory locks.
_PG_MIGRATION_LOCK = 0x41554354


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(dialect: str) -> list[Migration]:
    """The migrations of `dialect` ("sqlite" or "postgres"), in version order.

    Raises:
        ValueError: unknown dialect, or two files claim one version, or the
            first version is not 1.
    """
    if dialect not in ("sqlite", "postgres"):
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    found: dict[int, Migration] = {}
    for entry in resources.files("auctioneer.store").joinpath("sql").iterdir():
        match = _FILE.match(entry.name)
        if match is None or match.group(3) != dialect:
            continue
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"two {dialect} migrations for version {version}")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    ordered = [found[v] for v in sorted(found)]
    if ordered and ordered[0].version != 1:
        raise ValueError(f"{dialect} migrations must start at version 1")
    return ordered


def split_sqlite_script(script: str) -> list[str]:
    """Split a script into whole statements (sqlite3.complete_statement decides)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statement = pending.strip()
            if statement.rstrip(";").strip() and not _only_comments(statement):
                statements.append(statement)
            pending = ""
    if pending.strip() and not _only_comments(pending):
        raise ValueError(f"incomplete SQL statement at the end: {pending.strip()[:60]!r}")
    return statements


def _only_comments(text: str) -> bool:
    return all(
        not line.strip() or line.strip().startswith("--") or line.strip() == ";"
        for line in text.splitlines()
    )


def _check_not_newer(applied: set[int], known: list[Migration]) -> None:
    """A database that recorded a version this build lacks came from a newer build."""
    latest = known[-1].version if known else 0
    unknown = applied - {m.version for m in known}
    if unknown:
        raise SchemaTooNew(max(unknown), latest)


class SchemaTooNew(ValueError):
    """The database was migrated by a newer Auctioneer than this one."""

    def __init__(self, found: int, latest: int) -> None:
        super().__init__(found, latest)
        self.found = found
        self.latest = latest

    def __str__(self) -> str:
        return (
            f"the database schema is at version {self.found}, "
            f"newer than this build's {self.latest}: upgrade Auctioneer"
        )


def migrate_sqlite(conn: sqlite3.Connection, *, now_ms: int) -> list[int]:
    """Apply the pending SQLite migrations on `conn` (autocommit mode).

    Returns the versions applied. Raises sqlite3.Error (the caller translates)
    or SchemaTooNew.
    """
    conn.execute(_SCHEMA_VERSION_SQLITE)
    known = migrations("sqlite")
    _check_not_newer(_versions_sqlite(conn), known)
    applied: list[int] = []
    for migration in known:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if migration.version in _versions_sqlite(conn):
                conn.execute("COMMIT")
                continue
            for statement in split_sqlite_script(migration.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, now_ms),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied


def _versions_sqlite(conn: sqlite3.Connection) -> set[int]:
    return {row[0] for row in conn.execute("SELECT version FROM schema_version")}


async def _versions_postgres(conn: asyncpg.Connection) -> set[int]:
    return {row[0] for row in await conn.fetch("SELECT version FROM schema_version")}


async def migrate_postgres(conn: asyncpg.Connection) -> list[int]:
    """Apply the pending PostgreSQL migrations on `conn`.

    Returns the versions applied. Raises asyncpg errors (the caller translates)
    or SchemaTooNew.
    """
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _PG_MIGRATION_LOCK)
        await conn.execute(_SCHEMA_VERSION_POSTGRES)
        current = await _versions_postgres(conn)
    known = migrations("postgres")
    _check_not_newer(current, known)
    for migration in known:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _PG_MIGRATION_LOCK)
            if migration.version in await _versions_postgres(conn):
                continue
            await conn.execute(migration.sql)  # no parameters: runs as one script
            await conn.execute(
                "INSERT INTO schema_version (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
        applied.append(migration.version)
    return applied
