"""bench.wal_pages reads a real WAL: frames per transaction, named by b-tree."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.wal_pages import page_owners, per_transaction, wal_frames


def test_frames_are_counted_per_transaction_and_named_by_their_btree(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, tag TEXT)")
        conn.execute("CREATE INDEX t_tag ON t (tag)")
        conn.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY)")
        start = (tmp_path / "w.db-wal").stat().st_size
        for i in range(3):  # each: one page of t and one of its index
            conn.execute("INSERT INTO t (tag) VALUES (?)", (f"tag{i}",))
        conn.execute("INSERT INTO plain DEFAULT VALUES")  # one page of plain only
        frames = wal_frames(tmp_path / "w.db-wal", start)
        transactions, pages = per_transaction(frames, page_owners(db))
    finally:
        conn.close()
    assert transactions == 4 and frames[-1].commit
    assert pages == {"t": 3, "t_tag": 3, "plain": 1}  # nothing else changed
