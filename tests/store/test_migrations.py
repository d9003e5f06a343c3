"""Tests for store/migrations.py: versioned, ordered, whole, the same in both dialects."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from auctioneer.store import migrations as migrations_module
from auctioneer.store.errors import StoreUnavailable
from auctioneer.store.migrations import Migration, migrate_sqlite, migrations, split_sqlite_script
from auctioneer.store.sqlite import SQLiteStore


def _tables(sql: str) -> set[str]:
    return set(re.findall(r"CREATE TABLE (\w+)", sql))


def test_both_dialects_have_the_same_versions_and_tables() -> None:
    lite, pg = migrations("sqlite"), migrations("postgres")
    assert [(m.version, m.name) for m in lite] == [(m.version, m.name) for m in pg]
    assert lite[0].version == 1
    for a, b in zip(lite, pg, strict=True):
        assert _tables(a.sql) == _tables(b.sql)
    assert {
        "events",
        "auctions",
        "sales",
        "counters",
        "users",
        "tokens",
        "notices",
        "purchases",
        "idempotency",
    } <= _tables(lite[0].sql)


def test_an_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="dialect"):
        migrations("mysql")


def test_a_script_splits_into_whole_statements() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE a (x TEXT DEFAULT 'semi;colon');
    CREATE INDEX a_x ON a (x);
    """
    statements = split_sqlite_script(script)
    assert len(statements) == 2
    assert "'semi;colon'" in statements[0]
    with pytest.raises(ValueError, match="incomplete"):
        split_sqlite_script("CREATE TABLE b (x")


async def test_a_new_database_is_at_the_latest_version_and_reopening_applies_nothing(
    tmp_path: Path,
) -> None:
    store = SQLiteStore(tmp_path / "m.db")
    await store.open()
    await store.close()
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    try:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_version")]
        assert versions == [m.version for m in migrations("sqlite")]
        assert migrate_sqlite(conn, now_ms=0) == []
    finally:
        conn.close()


def test_a_later_migration_is_applied_once_and_a_failing_one_leaves_a_whole_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = sqlite3.connect(tmp_path / "up.db", isolation_level=None)
    try:
        assert migrate_sqlite(conn, now_ms=0) == [1]
        first = migrations("sqlite")
        broken = Migration(2, "broken", "CREATE TABLE half (x INTEGER);\nNOT SQL AT ALL;\n")
        monkeypatch.setattr(migrations_module, "migrations", lambda dialect: [*first, broken])
        with pytest.raises(sqlite3.Error):
            migrate_sqlite(conn, now_ms=0)
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 1
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half'").fetchone() is None

        fixed = Migration(2, "extra", "CREATE TABLE extra (x INTEGER);\n")
        monkeypatch.setattr(migrations_module, "migrations", lambda dialect: [*first, fixed])
        assert migrate_sqlite(conn, now_ms=5) == [2]
        assert migrate_sqlite(conn, now_ms=6) == []
        rows = conn.execute("SELECT version, name, applied_at FROM schema_version ORDER BY version")
        assert list(rows) == [(1, "init", 0), (2, "extra", 5)]
    finally:
        conn.close()


async def test_a_database_from_a_newer_build_is_refused(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "new.db")
    await store.open()
    await store.close()
    conn = sqlite3.connect(tmp_path / "new.db", isolation_level=None)
    try:
        conn.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (99, 'x', 0)")
    finally:
        conn.close()
    again = SQLiteStore(tmp_path / "new.db")
    with pytest.raises(StoreUnavailable, match="newer than this build"):
        await again.open()
