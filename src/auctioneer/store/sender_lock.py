"""Which server process sends the mail: one holder per database, the others stand by.

Several `serve --smtp` processes on one database would each mail every
notice, since each mailer reads the same notices and cursors. So a process
mails only while it holds the database's sender lock (`SenderLock` in
service/ports.py), taken without waiting; the others try again each round and
one of them takes over once the holder is gone.

- PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) on a
  connection of its own. PostgreSQL drops it when that session ends, so a
  holder killed with SIGKILL (its socket closed by the kernel) or cut off from
  the database frees it without any clock or lease to tune. `held()` runs one
  query on that connection each time it is asked, so a holder learns that its
  session is gone before its next mail, and stops. The connection is named
  `auctioneer mailer PID` (`pg_stat_activity.application_name`), so an
  operator can see which process sends.
- SQLite: an exclusive `flock` on a file beside the database
  (`DB.mailer-lock`), which the kernel drops when the process dies. Only
  processes on one machine share an SQLite file, so that is enough.
- memory://: one process is the whole database; always held.

Why not claim rows: the mail outbox is a per-user cursor over the notices, not
a table of rows to lock with `SELECT ... FOR UPDATE SKIP LOCKED`; claiming
users would hold a transaction open across each SMTP conversation, and a
lease column needs every process's clock to agree. One sender per database
also keeps each user's mails in order, and one SMTP connection sends hundreds
of mails a second, far more than notices arrive.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import TYPE_CHECKING

from auctioneer.store.factory import StoreKind, parse_store_url

if TYPE_CHECKING:
    import asyncpg

    from auctioneer.service.ports import SenderLock

__all__ = ["FileSenderLock", "OneProcess", "PostgresSenderLock", "sender_lock"]

# The advisory lock's key: a fixed 64-bit number that no other code of
# Auctioneer takes (advisory locks are per database, so test databases never meet).
MAILER_LOCK_KEY = 0x2F1B_6C42_9A07_53E1


class OneProcess:
    """memory://: nobody else can read this database."""

    async def held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class FileSenderLock:
    """An exclusive `flock` on a file; dropped by the kernel with the process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    async def held(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor drops the lock


class PostgresSenderLock:
    """A session advisory lock on a connection of its own."""

    def __init__(self, dsn: str, *, timeout_s: float = 5.0) -> None:
        self.dsn = dsn
        self.timeout_s = timeout_s
        self._conn: asyncpg.Connection | None = None
        self._held = False

    async def held(self) -> bool:
        import asyncpg

        try:
            if self._conn is None or self._conn.is_closed():
                self._held = False
                self._conn = await asyncpg.connect(
                    self.dsn,
                    timeout=self.timeout_s,
                    command_timeout=self.timeout_s,
                    server_settings={"application_name": f"auctioneer mailer {os.getpid()}"},
                )
            if self._held:
                await self._conn.fetchval("SELECT 1")  # the session, and so the lock, lives
            else:
                self._held = bool(
                    await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", MAILER_LOCK_KEY)
                )
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await self._drop()
            return False
        return self._held

    async def release(self) -> None:
        await self._drop()  # ending the session releases its advisory locks

    async def _drop(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(timeout=self.timeout_s)


def sender_lock(db_url: str) -> SenderLock:
    """The sender lock for the database at `db_url` (see the module docstring)."""
    location = parse_store_url(db_url)
    if location.kind is StoreKind.POSTGRES:
        return PostgresSenderLock(location.target)
    if location.kind is StoreKind.SQLITE:
        return FileSenderLock(location.target + ".mailer-lock")
    return OneProcess()
