"""SQLite group commit: one writer thread, one write connection, one queue.

The thread takes every job waiting in the queue (up to `max_batch`), runs them
in ONE transaction (`BEGIN IMMEDIATE` ... `COMMIT`), each job inside its own
SAVEPOINT so a failing job (a conflicting commit) is undone alone, and
resolves the callers' futures only after COMMIT returned: with
`synchronous=FULL` a reply sent after that survives a crash (PROTOCOL.md rule
9) while one disk flush serves the whole batch.

Jobs submitted with an `item` (the store's appends) that follow each other in
the queue are written together: the writer's `together` function gets all
their items at once, inside one SAVEPOINT, and writes them with one statement
per table instead of several per job. It answers each item on its own (a
conflict refuses that item only); if it raises, its writes are undone and the
jobs run one by one, each in its own SAVEPOINT, as above.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from auctioneer.store.base import StoreStats
from auctioneer.store.errors import ConcurrencyConflict, StoreError, StoreUnavailable

__all__ = ["BACKEND", "GroupCommitWriter", "translate_sqlite_error"]

T = TypeVar("T")

BACKEND = "sqlite"


def translate_sqlite_error(error: sqlite3.Error) -> StoreError:
    """The store error for a sqlite3 error that has no more specific meaning.

    Integrity errors with a meaning (a taken version, request id or username)
    are translated where they are raised; any other sqlite3 error means the
    database cannot be used right now (locked, disk full, corrupt, closed).
    """
    return StoreUnavailable(BACKEND, f"{type(error).__name__}: {error}")


@dataclass(slots=True)
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    is_append: bool
    item: Any = None  # for `together`; None: run `fn` alone


# Writes many jobs' items at once; per item (True, result) or (False, error).
Together = Callable[[sqlite3.Connection, list[Any]], list[tuple[bool, Any]]]


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return  # the caller was cancelled; the write itself stands
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class GroupCommitWriter:
    """The writer thread of an SQLiteStore.

    Args:
        connect: opens the write connection (in autocommit mode).
        prepare: runs once on it before any job (pragmas, migrations); an
            error there fails `start`.
        describe: names the database in error messages.
        max_batch: most jobs per transaction.
        stats: counters to update after each COMMIT.
        together: writes the items of consecutive jobs that have one (see
            the module docstring); without it every job runs alone.
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        prepare: Callable[[sqlite3.Connection], None],
        *,
        describe: str,
        max_batch: int,
        stats: StoreStats,
        together: Together | None = None,
    ) -> None:
        self._connect = connect
        self._together = together
        self._prepare = prepare
        self._describe = describe
        self._max_batch = max(1, max_batch)
        self._stats = stats
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._accepting = False
        self._thread: threading.Thread | None = None

    async def start(self) -> None:
        """Open and prepare the connection, then take jobs.

        Raises:
            StoreUnavailable: the database cannot be opened or prepared.
        """
        loop = self._loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()
        self._queue = queue.SimpleQueue()
        thread = threading.Thread(
            target=self._main, args=(loop, ready), name="sqlite-writer", daemon=True
        )
        self._thread = thread
        thread.start()
        try:
            await ready
        except BaseException:
            self._queue.put(None)  # stops the thread if it got as far as its loop
            await asyncio.to_thread(thread.join)
            self._thread = None
            raise
        with self._lock:
            self._accepting = True

    async def stop(self) -> None:
        """Refuse new jobs, finish the queued ones, close the connection."""
        thread = self._thread
        if thread is None:
            return
        with self._lock:
            self._accepting = False
            self._queue.put(None)
        await asyncio.to_thread(thread.join)
        self._thread = None

    async def submit(
        self, fn: Callable[[sqlite3.Connection], T], *, is_append: bool, item: Any = None
    ) -> T:
        """Run `fn` on the write connection in the next batch; its result after COMMIT.

        With an `item`, the job may instead be written together with its
        neighbours by `together` (same result, same errors).

        Raises:
            StoreUnavailable: not started, or the batch's transaction failed.
            Whatever `fn` raised (its writes undone), sqlite3 errors translated.
        """
        # The loop from start(): each get_running_loop() is a getpid() call on 3.11.
        loop = self._loop or asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            if not self._accepting:
                raise StoreUnavailable(BACKEND, "the store is not open")
            self._queue.put(_Job(fn, loop, future, is_append, item))
        return await future

    # -- the thread ---------------------------------------------------------------

    def _main(self, loop: asyncio.AbstractEventLoop, ready: asyncio.Future[None]) -> None:
        try:
            conn = self._connect()
            try:
                self._prepare(conn)
            except BaseException:
                conn.close()
                raise
        except (sqlite3.Error, OSError, ValueError) as e:
            error = StoreUnavailable(BACKEND, f"cannot open {self._describe}: {e}")
            error.__cause__ = e
            loop.call_soon_threadsafe(_settle, ready, False, error)
            return
        loop.call_soon_threadsafe(_settle, ready, True, None)
        try:
            stop = False
            while not stop:
                job = self._queue.get()
                if job is None:
                    break
                batch = [job]
                while len(batch) < self._max_batch:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                        break
                    batch.append(more)
                self._run_batch(conn, batch)
        finally:
            conn.close()
            self._fail_leftovers()

    def _fail_leftovers(self) -> None:
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                _resolve(job, False, StoreUnavailable(BACKEND, "the store is closed"))

    def _fail_batch(self, conn: sqlite3.Connection, batch: list[_Job], e: Exception) -> None:
        with contextlib.suppress(sqlite3.Error):
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        for job in batch:
            if isinstance(e, sqlite3.Error):
                error: StoreError = translate_sqlite_error(e)
            else:
                error = StoreUnavailable(BACKEND, f"{type(e).__name__}: {e}")
            error.__cause__ = e
            _resolve(job, False, error)

    def _run_batch(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        outcomes: list[tuple[_Job, bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            start = 0
            while start < len(batch):
                end = start + 1
                if self._together is not None and batch[start].item is not None:
                    while end < len(batch) and batch[end].item is not None:
                        end += 1
                if end - start > 1:
                    outcomes.extend(self._run_together(conn, batch[start:end]))
                else:
                    outcomes.append(_run_alone(conn, batch[start]))
                start = end
            conn.execute("COMMIT")
        except Exception as e:  # the writer thread must outlive any failure
            self._fail_batch(conn, batch, e)
            return
        self._stats.committed(
            appended=sum(1 for job, ok, _ in outcomes if ok and job.is_append),
            conflicts=sum(1 for _, _, v in outcomes if isinstance(v, ConcurrencyConflict)),
        )
        for job, ok, value in outcomes:
            _resolve(job, ok, value)

    def _run_together(
        self, conn: sqlite3.Connection, jobs: list[_Job]
    ) -> list[tuple[_Job, bool, Any]]:
        """Write the jobs' items in one go; if that fails, each job alone."""
        assert self._together is not None
        conn.execute("SAVEPOINT together")
        try:
            answers = self._together(conn, [job.item for job in jobs])
        except Exception:  # a conflict it could not place, or worse: one by one
            conn.execute("ROLLBACK TO together")
            conn.execute("RELEASE together")
            return [_run_alone(conn, job) for job in jobs]
        conn.execute("RELEASE together")
        return [(job, ok, value) for job, (ok, value) in zip(jobs, answers, strict=True)]


def _run_alone(conn: sqlite3.Connection, job: _Job) -> tuple[_Job, bool, Any]:
    """Run one job in its own SAVEPOINT: if it fails, its writes alone are undone."""
    conn.execute("SAVEPOINT job")
    try:
        value = job.fn(conn)
    except Exception as e:
        conn.execute("ROLLBACK TO job")
        conn.execute("RELEASE job")
        if isinstance(e, sqlite3.Error):
            error: Exception = translate_sqlite_error(e)
            error.__cause__ = e
        else:
            error = e
        return (job, False, error)
    conn.execute("RELEASE job")
    return (job, True, value)


def _resolve(job: _Job, ok: bool, value: Any) -> None:
    # A RuntimeError means the caller's loop is gone: nobody is waiting.
    with contextlib.suppress(RuntimeError):
        job.loop.call_soon_threadsafe(_settle, job.future, ok, value)
