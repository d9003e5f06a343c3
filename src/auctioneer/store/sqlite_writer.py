"""SQLite group commit: one writer thread, one write connection, one queue.

The thread takes every job waiting in the queue (up to `max_batch`), runs them
in ONE transaction (`BEGIN IMMEDIATE` ... `COMMIT`), each job inside its own
SAVEPOINT so a failing job (a conflicting commit) is undone alone, and
resolves the callers' futures only after COMMIT returned: with
`synchronous=FULL` a reply sent after that survives a crash (docs/protocol.md rule
9) while one disk flush serves the whole batch.

Jobs submitted with an `item` (the store's appends) that follow each other in
the queue are written together: the writer's `together` function gets all
their items at once, inside one SAVEPOINT, and writes them with one statement
per table instead of several per job. It answers each item on its own (a
conflict refuses that item only); if it raises, its writes are undone and the
jobs run one by one, each in its own SAVEPOINT, as above.

An append submitted with a `projected` future has projections to write too
(the log is the write: docs/architecture.md). They are not written with its
log rows: once those are committed, the thread keeps the item waiting, and
the writer's `project` function writes all that wait in one go, inside the
next transaction, once the oldest has waited `projection_delay_s`, or when
the queue stays empty that long (a transaction of its own), or when a reader
asks for a `barrier` (it needs the projections of every append before it),
or when the writer stops. So a projection costs a fraction of a transaction,
and an auction's row is written once for many of its commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from auctioneer.store.base import StoreStats
from auctioneer.store.errors import ConcurrencyConflict, StoreError, StoreUnavailable

__all__ = ["BACKEND", "GroupCommitWriter", "translate_sqlite_error"]

T = TypeVar("T")

BACKEND = "sqlite"

log = logging.getLogger(__name__)


def translate_sqlite_error(error: sqlite3.Error) -> StoreError:
    """The store error for a sqlite3 error that has no more specific meaning.

    Integrity errors with a meaning (a taken version, request id or username)
    are translated where they are raised; any other sqlite3 error means the
    database cannot be used right now (locked, disk full, corrupt, closed).
    """
    return StoreUnavailable(BACKEND, f"{type(error).__name__}: {error}")


@dataclass(slots=True)
class _Job:
    fn: Callable[[sqlite3.Connection], Any] | None
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    is_append: bool
    item: Any = None  # for `together` (and `project`); None: run `fn` alone
    barrier: bool = False  # no work: answered once every waiting projection is written
    projected: asyncio.Future[Any] | None = None  # the item's projection, written behind


MAX_PENDING = 4096  # projections waiting before they are written whatever their age


# Writes many jobs' items at once; per item (True, result) or (False, error).
Together = Callable[[sqlite3.Connection, list[Any]], list[tuple[bool, Any]]]
# Writes many behind jobs' items at once; a result per item.
Project = Callable[[sqlite3.Connection, list[Any]], list[Any]]


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
        project: writes the items of behind jobs (see the module docstring).
        projection_delay_s: how long a behind job may wait.
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
        project: Project | None = None,
        projection_delay_s: float = 0.05,
    ) -> None:
        self._connect = connect
        self._together = together
        self._project = project
        self._delay = projection_delay_s
        self._pending: list[_Job] = []  # behind jobs waiting (the thread's own)
        self._pending_since = 0.0
        self.outstanding = 0  # behind jobs not yet written (the loop's count)
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
        self,
        fn: Callable[[sqlite3.Connection], T],
        *,
        is_append: bool,
        item: Any = None,
        projected: asyncio.Future[Any] | None = None,
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
            self._queue.put(_Job(fn, loop, future, is_append, item, projected=projected))
        return await future

    async def append(
        self, fn: Callable[[sqlite3.Connection], Any], item: Any
    ) -> asyncio.Future[Any]:
        """Write an append's log rows now (like `submit`); its projection behind.

        Returns once the log rows are committed: a future that gets `project`'s
        result for the item once that is committed too (or the error that kept
        it from being written: the log still has the events, and the next
        start projects them).

        Raises:
            As `submit`; then nothing is written and nothing is projected.
        """
        loop = self._loop or asyncio.get_running_loop()
        projected: asyncio.Future[Any] = loop.create_future()
        self.outstanding += 1
        projected.add_done_callback(self._written)
        try:
            await self.submit(fn, is_append=True, item=item, projected=projected)
        except BaseException:
            if not projected.done():
                projected.cancel()  # no log rows: nothing to project
            raise
        return projected

    def _written(self, projected: asyncio.Future[Any]) -> None:
        self.outstanding -= 1
        if not projected.cancelled():
            projected.exception()  # seen here: a caller may not wait for it

    async def barrier(self) -> None:
        """Return once every projection of the appends before this call is written."""
        if self.outstanding == 0:
            return
        loop = self._loop or asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if not self._accepting:
                raise StoreUnavailable(BACKEND, "the store is not open")
            self._queue.put(_Job(None, loop, future, False, barrier=True))
        await future

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
                if self._pending:
                    wait = self._pending_since + self._delay - time.monotonic()
                    try:
                        job = self._queue.get(timeout=max(0.0, wait))
                    except queue.Empty:  # quiet for a while: write what waits
                        self._run_batch(conn, [])
                        continue
                else:
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
            if self._pending:  # stopping: write what waits before closing
                self._run_batch(conn, [])
        finally:
            conn.close()
            self._fail_leftovers()
            for job in self._pending:
                _settle_projection(job, False, StoreUnavailable(BACKEND, "the store is closed"))

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
        """One transaction: the batch's jobs, then the waiting projections if due.

        An empty batch means the queue was quiet: only the projections.
        """
        barriers = [job for job in batch if job.barrier]
        batch = [job for job in batch if not job.barrier]
        pending = self._pending
        due = bool(pending) and (
            not batch
            or bool(barriers)
            or len(pending) >= MAX_PENDING
            or time.monotonic() - self._pending_since >= self._delay
        )
        if not batch and not due:
            for job in barriers:
                _resolve(job, True, None)
            return
        outcomes: list[tuple[_Job, bool, Any]] = []
        projected: list[tuple[_Job, bool, Any]] = []
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
            if due:
                projected = self._run_projections(conn, pending)
            conn.execute("COMMIT")
        except Exception as e:  # the writer thread must outlive any failure
            self._fail_batch(conn, batch + barriers, e)  # projections wait for the next try
            return
        if due:
            self._pending = []
            for job, ok, value in projected:
                _settle_projection(job, ok, value)
        later = [job for job, ok, _ in outcomes if ok and job.projected is not None]
        if later:  # durable now: their projections wait for the next write
            if not self._pending:
                self._pending_since = time.monotonic()
            self._pending.extend(later)
        self._stats.committed(
            appended=sum(1 for job, ok, _ in outcomes if ok and job.is_append),
            conflicts=sum(1 for _, _, v in outcomes if isinstance(v, ConcurrencyConflict)),
        )
        for job, ok, value in outcomes:
            _resolve(job, ok, value)
        for job in barriers:
            _resolve(job, True, None)

    def _run_projections(
        self, conn: sqlite3.Connection, jobs: list[_Job]
    ) -> list[tuple[_Job, bool, Any]]:
        """Write the waiting projections in their own SAVEPOINT.

        If that fails (a bug, not a lost disk: that fails the transaction),
        they are answered with the error and dropped; the log still has
        their events, and the next start projects them again.
        """
        assert self._project is not None
        conn.execute("SAVEPOINT projections")
        try:
            results = self._project(conn, [job.item for job in jobs])
        except Exception as e:
            conn.execute("ROLLBACK TO projections")
            conn.execute("RELEASE projections")
            error = translate_sqlite_error(e) if isinstance(e, sqlite3.Error) else e
            log.error("projecting %d commits failed: %r", len(jobs), e)
            return [(job, False, error) for job in jobs]
        conn.execute("RELEASE projections")
        return [(job, True, r) for job, r in zip(jobs, results, strict=True)]

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
    assert job.fn is not None
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
    if not ok and job.projected is not None:  # no log rows: nothing to project
        _settle_projection(job, False, value)


def _settle_projection(job: _Job, ok: bool, value: Any) -> None:
    assert job.projected is not None
    with contextlib.suppress(RuntimeError):
        job.loop.call_soon_threadsafe(_settle, job.projected, ok, value)
