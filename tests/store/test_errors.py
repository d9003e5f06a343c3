"""Tests for store/errors.py and the driver-error translations of each adapter.

Every pair (driver error -> store error) is listed here, as in eventsourcing's
`test_converts_errors_raised_in_transactions`.
"""

from __future__ import annotations

import sqlite3

import asyncpg
import pytest

from auctioneer.store.base import plan_commit
from auctioneer.store.errors import (
    ConcurrencyConflict,
    StoreError,
    StoreUnavailable,
    UsernameTaken,
)
from auctioneer.store.postgres import translate_postgres_error
from auctioneer.store.sqlite import translate_sqlite_error
from tests.store.samples import commit, created


def test_the_tree_and_its_codes() -> None:
    assert issubclass(ConcurrencyConflict, StoreError)
    assert issubclass(StoreUnavailable, StoreError)
    assert issubclass(UsernameTaken, StoreError)
    assert StoreError.code == "internal"
    assert ConcurrencyConflict(1, 2).code == "conflict"
    assert StoreUnavailable("sqlite", "x").code == "internal"
    assert UsernameTaken("ann").code == "username_taken"


def test_messages_are_built_from_the_fields() -> None:
    assert str(ConcurrencyConflict(4, 2)) == "auction 4: version 3 was written by someone else"
    assert "request id" in str(ConcurrencyConflict(4, 2, reason="request_id"))
    assert "retry" in str(ConcurrencyConflict(4, 2, reason="contention"))
    assert str(StoreUnavailable("sqlite", "disk full")) == "sqlite store unavailable: disk full"
    assert str(UsernameTaken("ann")) == "username 'ann' is taken"
    conflict = ConcurrencyConflict(4, 2, reason="request_id")
    assert (conflict.auction_id, conflict.expected_version, conflict.reason) == (4, 2, "request_id")


# Every sqlite3 error without a more specific meaning: the database is unusable now.
SQLITE_PAIRS: list[tuple[sqlite3.Error, type[StoreError]]] = [
    (sqlite3.OperationalError("database is locked"), StoreUnavailable),
    (sqlite3.OperationalError("disk I/O error"), StoreUnavailable),
    (sqlite3.OperationalError("attempt to write a readonly database"), StoreUnavailable),
    (sqlite3.DatabaseError("file is not a database"), StoreUnavailable),
    (sqlite3.ProgrammingError("Cannot operate on a closed database."), StoreUnavailable),
    (sqlite3.InterfaceError("bad parameter"), StoreUnavailable),
    (sqlite3.IntegrityError("UNIQUE constraint failed: tokens.token_hash"), StoreUnavailable),
]
# Translated where raised (see test_sqlite.py and the contract suite):
#   IntegrityError on events (auction_id, version)       -> ConcurrencyConflict
#   IntegrityError on idempotency (user_id, request_id)  -> ConcurrencyConflict(reason="request_id")
#   IntegrityError on users.username                     -> UsernameTaken


@pytest.mark.parametrize(("error", "expected"), SQLITE_PAIRS)
def test_sqlite_errors_translate(error: sqlite3.Error, expected: type[StoreError]) -> None:
    translated = translate_sqlite_error(error)
    assert type(translated) is expected
    assert str(error) in str(translated)


_PLAN = plan_commit(commit(5, 0, [created(5)]))

POSTGRES_PAIRS: list[tuple[BaseException, bool, type[StoreError], str | None]] = [
    # (driver error, raised during an append?, store error, conflict reason)
    (asyncpg.DeadlockDetectedError("deadlock detected"), True, ConcurrencyConflict, "contention"),
    (asyncpg.SerializationError("could not serialize"), True, ConcurrencyConflict, "contention"),
    (asyncpg.DeadlockDetectedError("deadlock detected"), False, StoreUnavailable, None),
    (asyncpg.PostgresConnectionError("connection lost"), True, StoreUnavailable, None),
    (asyncpg.ConnectionDoesNotExistError("closed in the middle"), False, StoreUnavailable, None),
    (
        asyncpg.CannotConnectNowError("the database system is starting up"),
        False,
        StoreUnavailable,
        None,
    ),
    (asyncpg.TooManyConnectionsError("too many clients"), False, StoreUnavailable, None),
    (asyncpg.InvalidCatalogNameError('database "x" does not exist'), False, StoreUnavailable, None),
    (asyncpg.InterfaceError("connection is closed"), True, StoreUnavailable, None),
    (asyncpg.PostgresError("anything else"), True, StoreUnavailable, None),
    (ConnectionRefusedError(111, "Connection refused"), False, StoreUnavailable, None),
    (TimeoutError(), False, StoreUnavailable, None),
]
# Translated where raised (see test_postgres.py and the contract suite):
#   UniqueViolationError on events (auction_id, version) -> ConcurrencyConflict
#   UniqueViolationError on idempotency (user_id, request_id)
#                                   -> ConcurrencyConflict(reason="request_id")
#   UniqueViolationError on users (lower(username))      -> UsernameTaken


@pytest.mark.parametrize(("error", "in_append", "expected", "reason"), POSTGRES_PAIRS)
def test_postgres_errors_translate(
    error: BaseException, in_append: bool, expected: type[StoreError], reason: str | None
) -> None:
    translated = translate_postgres_error(error, _PLAN if in_append else None)
    assert type(translated) is expected
    if reason is not None:
        assert isinstance(translated, ConcurrencyConflict)
        assert (translated.auction_id, translated.reason) == (5, reason)
