"""Shared helpers of the end-to-end suite: accounts, auctions, timing."""

from __future__ import annotations

import secrets
import shutil
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.helpers.server import RunningServer
from tests.helpers.wire_clients import MS, open_client

__all__ = [
    "ADMIN",
    "ADMIN_PASSWORD",
    "KINDS",
    "MS",
    "PASSWORD",
    "SOCKET_KINDS",
    "admin_client",
    "bidder",
    "fresh_db",
    "iso_in",
    "new_auction",
    "parse_time",
    "stop_server",
    "unique",
]

ADMIN = "e2e-admin"
ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "bidder-password-1"
KINDS = ("ws", "tcp", "http")
SOCKET_KINDS = ("ws", "tcp")


def unique(prefix: str = "u") -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def fresh_db(template: Path, folder: Path) -> Path:
    """Copy the template SQLite database (and its WAL, if any) into `folder`."""
    target = folder / "auctioneer.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(template) + suffix)
        if source.exists():
            shutil.copyfile(source, str(target) + suffix)
    return target


async def admin_client(server: RunningServer, kind: str = "ws") -> Any:
    client = await open_client(kind, server)
    await client.login(ADMIN, ADMIN_PASSWORD)
    return client


async def bidder(server: RunningServer, kind: str = "ws", name: str | None = None) -> Any:
    """A newly registered bidder, logged in on a new connection of `kind`."""
    client = await open_client(kind, server)
    username = name or unique("b")
    await client.ok("register", username=username, password=PASSWORD)
    await client.login(username, PASSWORD)
    client.username = username
    return client


async def new_auction(admin: Any, **fields: Any) -> dict[str, Any]:
    """Create an open auction (defaults: starts now, 1 hour, 10.00, +1.00)."""
    spec: dict[str, Any] = {
        "name": unique("lot "),
        "starting_bid": 1000,
        "min_increment": 100,
        "duration_s": 3600,
    }
    spec.update(fields)
    result = await admin.ok("create_auction", **spec)
    return result["auction"]  # type: ignore[no-any-return]


def stop_server(server: RunningServer, sig: int = signal.SIGTERM) -> int:
    """Stop `server`, then close its output pipe once the reader thread hit EOF.

    tests/helpers/server.py leaves the pipe open, which filterwarnings=error
    turns into an unraisable ResourceWarning at the end of the session.
    """
    pumps = [t for t in threading.enumerate() if _pumps_for(t, server)]
    code = server.stop(sig)
    for thread in pumps:
        thread.join(timeout=5)
    if server.proc.stdout is not None:
        server.proc.stdout.close()
    return code


def _pumps_for(thread: threading.Thread, server: RunningServer) -> bool:
    target = getattr(thread, "_target", None)
    cells = getattr(target, "__closure__", None) or ()
    return any(cell.cell_contents is server for cell in cells)


def parse_time(text: str) -> float:
    """An ISO-8601 `...Z` time of the wire as epoch seconds."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def iso_in(seconds: float) -> str:
    """The wire time `seconds` from now."""
    moment = datetime.fromtimestamp(time.time() + seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
