"""`auctioneer audit --server URL ID`: any bidder's check of one auction's public log.

Reads the auction (`get_auction`: the `log_hash` it shows must be in the log
read right after it) and the log (`get_log`), and runs `clients.verify` on
them, also against the last hash this user saw of the auction (`seen.py`).
Prints one line (and each problem); exits 0 when verified, 1 when not.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from auctioneer.clients.cli.common import connected, run
from auctioneer.clients.cli.seen import SeenHashes
from auctioneer.clients.verify import Verdict, verify_log

__all__ = ["verify_command"]


def verify_command(server: str, auction_id: int) -> int:
    """Verify auction `auction_id` on `server`; the exit code."""
    seen = SeenHashes(server).last(auction_id)
    verdicts: list[Verdict] = []

    async def main() -> None:
        async with connected(server) as client:
            found = await client.request("get_auction", auction_id=auction_id)
            log: dict[str, Any] = await client.request("get_log", auction_id=auction_id)
            auction = found.get("auction") or {}
            verdicts.append(verify_log(log, log_hash=auction.get("log_hash"), seen=seen))

    run(main())
    verdict = verdicts[0]
    console = Console(highlight=False)
    for problem in verdict.problems:
        console.print(f"[red]{problem}[/red]")
    console.print(verdict.summary())
    return 0 if verdict.ok else 1
