"""Start the servers under test and set them up over the wire.

Why a subprocess per scenario: the issue asks for a real server on free ports
with a fresh database each time, measured from outside like any client sees
it, with its own CPU and memory readable from /proc. The bench stands alone
(it copies the idea of tests/helpers/server.py rather than importing it).

Setup (users, tokens, auctions) goes through the protocol itself, over TCP,
so it works unchanged against the floor server, which accepts it all blindly.
Passwords are hashed with Argon2 on the real server, so bidders log in once per
server and the load generator reuses their tokens with `auth`.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.conn import Conn, connect

__all__ = [
    "ADMIN",
    "PASSWORD",
    "ServerProc",
    "create_auctions",
    "login_bidders",
    "spawn",
    "start_floor",
    "start_real",
]

STARTUP_TIMEOUT_S = 60.0
ADMIN = "benchadmin"
PASSWORD = "bench-password-1"


@dataclass
class ServerProc:
    """A running server: its process, its doors, and its output so far."""

    name: str
    proc: subprocess.Popen[str]
    tcp_host: str
    tcp_port: int
    http_url: str | None = None
    output: list[str] = field(default_factory=list)
    admin_token: str | None = None  # bench/stages.py logs in once
    # More processes of the same house (bench/cluster.py): the load is spread
    # over all of them; setup and metrics go through this first one.
    peers: list[ServerProc] = field(default_factory=list)
    after_stop: list[Callable[[], None]] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def ws_port(self) -> int:
        assert self.http_url is not None
        return int(self.http_url.rsplit(":", 1)[1].split("/")[0])

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code (the first's)."""
        for peer in self.peers:
            peer.stop(timeout)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for cleanup in self.after_stop:
            cleanup()
        self.after_stop.clear()
        return self.proc.returncode


def spawn(name: str, cmd: list[str], want_http: bool) -> ServerProc:
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            # Every load-generator client comes from 127.0.0.1 (docs/security.md).
            "AUCTIONEER_REGISTRATIONS": "0",
            "AUCTIONEER_MAX_CONNECTIONS_PER_ADDRESS": "0",
        },
    )
    assert proc.stdout is not None
    lines: list[str] = []
    http_url: str | None = None
    tcp: tuple[str, int] | None = None
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline and (tcp is None or (want_http and http_url is None)):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if m := re.match(r"^http: (http://\S+)$", line.strip()):
            http_url = m.group(1).rstrip("/")
        elif m := re.match(r"^tcp: (\S+):(\d+)$", line.strip()):
            tcp = (m.group(1), int(m.group(2)))
    if tcp is None or (want_http and http_url is None):
        proc.kill()
        proc.wait(10)
        rest = proc.stdout.read() if proc.stdout else ""
        raise RuntimeError(f"{name} did not start:\n" + "".join(lines) + rest[-4000:])
    server = ServerProc(name, proc, tcp[0], tcp[1], http_url, lines)

    def pump() -> None:  # keep reading so a full pipe never blocks the server
        assert proc.stdout is not None
        for out_line in proc.stdout:
            if len(server.output) < 2000:
                server.output.append(out_line)

    threading.Thread(target=pump, daemon=True).start()
    return server


def start_floor(workdir: Path) -> ServerProc:
    """The floor server (bench/floor_server.py) on a free port with a fresh database."""
    db = workdir / "floor.db"
    cmd = [sys.executable, "-m", "bench.floor_server", "--port", "0", "--db", str(db)]
    return spawn("floor", cmd, want_http=False)


def start_real(workdir: Path | None, *extra: str, db_url: str = "") -> ServerProc:
    """`auctioneer serve` on free ports, bid limits off: a fresh SQLite database in
    `workdir` with the bench admin, or `db_url` as it is (bench/cluster.py)."""
    cli = [sys.executable, "-m", "auctioneer"]
    if not db_url:
        assert workdir is not None
        db_url = f"sqlite:///{workdir / 'auctioneer.db'}"
        subprocess.run(
            [*cli, "user", "add", ADMIN, "--password", PASSWORD, "--admin", "--db", db_url],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
    cmd = [
        *cli,
        "serve",
        "--host",
        "127.0.0.1",
        "--http-port",
        "0",
        "--tcp-port",
        "0",
        "--db",
        db_url,
        "--bid-rate",
        "0",
        "--bid-burst",
        "0",
        *extra,
    ]
    return spawn("auctioneer", cmd, want_http=True)


def _ok(reply: dict[str, Any], what: str) -> dict[str, Any]:
    if not reply.get("ok"):
        raise RuntimeError(f"{what}: {reply.get('error')}")
    result: dict[str, Any] = reply["result"]
    return result


async def _login_bidders(server: ServerProc, n: int, prefix: str) -> list[str]:
    # Argon2 runs one hash at a time in the server: more at once only queue
    # there, past the request timeout on a busy machine.
    sem = asyncio.Semaphore(2)

    async def one(i: int) -> str:
        async with sem:
            c: Conn = await connect("tcp", server.tcp_host, server.tcp_port)
            try:
                name = f"{prefix}{i}"
                await c.request("register", username=name, password=PASSWORD)
                res = _ok(await c.request("login", username=name, password=PASSWORD), "login")
                return str(res["token"])
            finally:
                c.close()

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def login_bidders(server: ServerProc, n: int, prefix: str = "bidder") -> list[str]:
    """Register and log in `n` bidders; return their tokens."""
    return asyncio.run(_login_bidders(server, n, prefix))


async def _create_auctions(server: ServerProc, n: int, tag: str) -> list[int]:
    c = await connect("tcp", server.tcp_host, server.tcp_port)
    try:
        _ok(await c.request("login", username=ADMIN, password=PASSWORD), "admin login")
        futures = [
            c.request(
                "create_auction",
                name=f"bench {tag} lot {i}",
                starting_bid=100,
                min_increment=1,
                duration_s=3600,
            )
            for i in range(n)
        ]
        replies = await asyncio.gather(*futures)
        return [int(_ok(r, "create_auction")["auction"]["id"]) for r in replies]
    finally:
        c.close()


def create_auctions(server: ServerProc, n: int, tag: str) -> list[int]:
    """Create `n` open auctions (starting bid 100, increment 1, one hour) as admin."""
    return asyncio.run(_create_auctions(server, n, tag))
