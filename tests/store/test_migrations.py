"""Tests for store/migrations.py: versioned, ordered, whole, the same in both dialects."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from auctioneer.store import migrations as migrations_module
from auctioneer.store.errors import ConcurrencyConflict, StoreUnavailable
from auctioneer.store.migrations import Migration, migrate_sqlite, migrations, split_sqlite_script
from auctioneer.store.sqlite import SQLiteStore
from tests.store.samples import commit, created


def _tables(sql: str) -> set[str]:
    return set(re.findall(r"CREATE TABLE (\w+)", sql))


def test_both_dialects_have_the_same_versions_and_tables() -> None:
    lite, pg = migrations("sqlite"), migrations("postgres")
    assert [(m.version, m.name) for m in lite] == [(m.version, m.name) for m in pg]
    assert lite[0].version == 1
    # The same tables once every migration ran (a version may rebuild a table
    # in one dialect only, as SQLite's 2 does for `idempotency`).
    lite_tables: set[str] = set()
    pg_tables: set[str] = set()
    for a, b in zip(lite, pg, strict=True):
        lite_tables |= _tables(a.sql)
        pg_tables |= _tables(b.sql)
    assert lite_tables == pg_tables
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
        first = migrations("sqlite")[:1]
        monkeypatch.setattr(migrations_module, "migrations", lambda dialect: first)
        assert migrate_sqlite(conn, now_ms=0) == [1]
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


async def test_version_2_keeps_the_stored_replies_and_their_uniqueness(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        first = migrations("sqlite")[:1]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(migrations_module, "migrations", lambda dialect: first)
            assert migrate_sqlite(conn, now_ms=0) == [1]
        conn.execute(
            "INSERT INTO idempotency (user_id, request_id, reply, at) VALUES (7, 'r1', ?, 5)",
            (b'{"auction":{}}',),
        )
    finally:
        conn.close()
    store = SQLiteStore(path)
    await store.open()
    try:
        assert await store.stored_reply(7, "r1") == b'{"auction":{}}'
        assert await store.request_ids(0) == [(7, "r1")]
        await store.save_reply(7, "r1", b"{}")  # the first reply stays
        assert await store.stored_reply(7, "r1") == b'{"auction":{}}'
        taken = commit(1, 0, [created(1)], idempotency=[(7, "r1", b"{}")])
        with pytest.raises(ConcurrencyConflict) as caught:
            await store.append(taken)
        assert caught.value.reason == "request_id"
        assert await store.load_events(1) == []
    finally:
        await store.close()


def test_versions_may_leave_gaps_and_a_lower_one_landed_later_still_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = sqlite3.connect(tmp_path / "gaps.db", isolation_level=None)
    try:
        first = migrations("sqlite")[:1]
        ten = Migration(10, "ten", "CREATE TABLE ten (x INTEGER);\n")
        monkeypatch.setattr(migrations_module, "migrations", lambda dialect: [*first, ten])
        assert migrate_sqlite(conn, now_ms=0) == [1, 10]
        four = Migration(4, "four", "CREATE TABLE four (x INTEGER);\n")
        monkeypatch.setattr(migrations_module, "migrations", lambda dialect: [*first, four, ten])
        assert migrate_sqlite(conn, now_ms=1) == [4]
        assert migrate_sqlite(conn, now_ms=2) == []
        # A build that lacks a version the database has is an older build.
        monkeypatch.setattr(migrations_module, "migrations", lambda dialect: [*first, ten])
        with pytest.raises(migrations_module.SchemaTooNew):
            migrate_sqlite(conn, now_ms=3)
    finally:
        conn.close()


def test_the_shipped_migrations_start_at_1_and_increase() -> None:
    for dialect in ("sqlite", "postgres"):
        versions = [m.version for m in migrations(dialect)]
        assert versions[0] == 1
        assert versions == sorted(set(versions))
        assert 10 in versions  # invoices and mail (0010)
