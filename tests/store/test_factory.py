"""Tests for store/factory.py: database URLs to backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from auctioneer.store.factory import StoreKind, StoreLocation, open_store, parse_store_url
from auctioneer.store.memory import MemoryStore
from auctioneer.store.postgres import PostgresStore
from auctioneer.store.sqlite import SQLiteStore


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("memory://", StoreLocation(StoreKind.MEMORY, "")),
        ("memory:", StoreLocation(StoreKind.MEMORY, "")),
        ("sqlite:///auctioneer.db", StoreLocation(StoreKind.SQLITE, "auctioneer.db")),
        ("sqlite:///data/a.db", StoreLocation(StoreKind.SQLITE, "data/a.db")),
        ("sqlite:////srv/auctions.db", StoreLocation(StoreKind.SQLITE, "/srv/auctions.db")),
        ("SQLITE:///x.db", StoreLocation(StoreKind.SQLITE, "x.db")),
        ("auctioneer.db", StoreLocation(StoreKind.SQLITE, "auctioneer.db")),
        ("./var/a.db", StoreLocation(StoreKind.SQLITE, "./var/a.db")),
        ("/srv/auctions.db", StoreLocation(StoreKind.SQLITE, "/srv/auctions.db")),
        (
            "postgresql://ann@db.example:5432/auctions",
            StoreLocation(StoreKind.POSTGRES, "postgresql://ann@db.example:5432/auctions"),
        ),
        (
            "postgres://ann:pw@127.0.0.1/a",
            StoreLocation(StoreKind.POSTGRES, "postgresql://ann:pw@127.0.0.1/a"),
        ),
        (
            "postgresql+asyncpg://ann@h/a",
            StoreLocation(StoreKind.POSTGRES, "postgresql://ann@h/a"),
        ),
    ],
)
def test_a_url_names_its_backend_and_target(url: str, expected: StoreLocation) -> None:
    assert parse_store_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "sqlite://",
        "sqlite:///",
        "sqlite://relative.db",
        "sqlite:///:memory:",
        "redis://h/0",
        "memory://x",
    ],
)
def test_a_bad_url_is_refused_and_named(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_store_url(url)
    assert repr(url) in str(caught.value) or "empty" in str(caught.value)


def test_open_store_builds_the_backend_without_opening_it(tmp_path: Path) -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    sqlite = open_store(f"sqlite:///{tmp_path}/a.db")
    assert isinstance(sqlite, SQLiteStore) and sqlite.path == tmp_path / "a.db"
    assert not (tmp_path / "a.db").exists()
    plain = open_store(str(tmp_path / "b.db"))
    assert isinstance(plain, SQLiteStore) and plain.path == tmp_path / "b.db"
    pg = open_store("postgresql://ann@127.0.0.1:1/none")
    assert isinstance(pg, PostgresStore) and pg.dsn == "postgresql://ann@127.0.0.1:1/none"


async def test_a_relative_sqlite_url_is_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///auctioneer.db")
    await store.open()
    await store.close()
    assert (tmp_path / "auctioneer.db").exists()
