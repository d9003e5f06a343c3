"""`auctioneer audit --db URL [--auction ID]`: the operator's audit of a database.

Reads every auction's log, stored hashes, row and purchases through the
store (a stopped or a running database: it only reads, besides the
migrations any store runs on open) and runs `service.audit` on each. One
summary line on stdout; each disagreement named on it too. A Rich progress
bar on stderr for long runs.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from auctioneer.engine.events import Event
from auctioneer.service.audit import Finding, audit_auction
from auctioneer.service.ports import EventStore, PurchaseRecord
from auctioneer.store.factory import open_store

__all__ = ["AuditReport", "audit_store", "run_audit"]


@dataclass
class AuditReport:
    auctions: int = 0
    events: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    def summary(self) -> str:
        verdict = "all verified" if not self.findings else f"{len(self.findings)} disagree"
        rate = self.events / self.seconds if self.seconds > 0 else 0.0
        return (
            f"audit: {self.auctions} auctions, {self.events} events in {self.seconds:.1f} s "
            f"({rate:,.0f} events/s): {verdict}"
        )


async def audit_store(
    store: EventStore, auction_id: int | None = None, *, progress: bool = False
) -> AuditReport:
    """Audit every auction of an open store (or one)."""
    started = time.perf_counter()
    rows = {
        row["id"]: row
        for row in await store.auction_rows(include_private=True, include_deleted=True)
    }
    ids = sorted(rows) if auction_id is None else [auction_id]
    unchained = set(await store.unchained())
    bought: dict[int, list[PurchaseRecord]] = defaultdict(list)
    for purchase in await store.purchases(None):
        bought[purchase.auction_id].append(purchase)
    report = AuditReport()
    columns = (
        TextColumn("auditing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("auctions, {task.fields[events]:,} events"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, disable=not progress, transient=True) as bar:
        task = bar.add_task("audit", total=len(ids), events=0)
        # The next auction is read (in the store's reader threads) while this
        # one is checked: reading is about half of the work.
        ahead = _read(store, ids[0]) if ids else None
        for index, one in enumerate(ids):
            assert ahead is not None
            events, hashes = await ahead
            ahead = _read(store, ids[index + 1]) if index + 1 < len(ids) else None
            finding = audit_auction(
                one,
                events,
                hashes,
                rows.get(one),
                bought.get(one, []),
                chained=one not in unchained,
            )
            if finding is not None:
                report.findings.append(finding)
            report.auctions += 1
            report.events += len(events)
            bar.update(task, advance=1, events=report.events)
    report.seconds = time.perf_counter() - started
    return report


def _read(
    store: EventStore, auction_id: int
) -> asyncio.Future[tuple[list[Event], dict[int, bytes | None]]]:
    """Start reading one auction's log and stored hashes."""

    async def both() -> tuple[list[Event], dict[int, bytes | None]]:
        events, hashes = await asyncio.gather(
            store.load_events(auction_id), store.log_hashes(auction_id)
        )
        return events, hashes

    return asyncio.ensure_future(both())


async def run_audit(db: str, auction_id: int | None, *, progress: bool) -> AuditReport:
    """Open the database at `db`, audit it, close it."""
    store = open_store(db)
    await store.open()
    try:
        return await audit_store(store, auction_id, progress=progress)
    finally:
        await store.close()


def audit_db_command(db: str, auction_id: int | None) -> int:
    """Run the audit, print its findings and summary; the exit code (0 or 1; 2: bad URL)."""
    import sys

    try:
        report = asyncio.run(run_audit(db, auction_id, progress=sys.stderr.isatty()))
    except ValueError as e:  # a database URL we cannot use
        print(f"audit: {e}", file=sys.stderr)
        return 2
    for finding in report.findings:
        print(finding)
    print(report.summary())
    return 1 if report.findings else 0
