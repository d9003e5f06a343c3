"""Start a real Auctioneer server in a subprocess for end-to-end tests.

Why a subprocess: the black-box tests of docs/protocol.md talk to a server the way
any client does, over real sockets on 127.0.0.1, and the crash tests need a
process they can SIGKILL.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RunningServer", "add_user", "start_server"]

STARTUP_TIMEOUT_S = 30.0


@dataclass
class RunningServer:
    """A server subprocess and the addresses it printed on start-up."""

    proc: subprocess.Popen[str]
    db_url: str
    http_url: str
    tcp_host: str
    tcp_port: int
    output: list[str] = field(default_factory=list)
    pump: threading.Thread | None = None

    @property
    def ws_url(self) -> str:
        return self.http_url.replace("http://", "ws://", 1) + "/ws"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send `sig` and wait for the exit code (SIGKILL after `timeout`)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._close_output()
        return self.proc.returncode

    def _close_output(self) -> None:
        """Let the reader thread reach EOF, then close the pipe (no ResourceWarning)."""
        if self.pump is not None:
            self.pump.join(timeout=5)
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self.proc.stdout.close()

    def kill(self) -> None:
        """SIGKILL: the crash the durability rule (docs/protocol.md rule 9) must survive."""
        self.stop(signal.SIGKILL)


def _cli() -> list[str]:
    return [sys.executable, "-m", "auctioneer"]


# One address for every test client: per-address limits off (docs/security.md).
LOOPBACK_CLIENTS = {"AUCTIONEER_REGISTRATIONS": "0", "AUCTIONEER_MAX_CONNECTIONS_PER_ADDRESS": "0"}


def start_server(
    db_path: Path | str, *extra: str, env: dict[str, str] | None = None
) -> RunningServer:
    """Run `auctioneer serve` on free ports with the database at `db_path`.

    `db_path` may be a file path (SQLite) or a full database URL. Every test
    client comes from 127.0.0.1, so the per-address registration limit and
    connection cap are off unless a test sets them (`env` or options win).
    """
    db_url = str(db_path) if "://" in str(db_path) else f"sqlite:///{db_path}"
    cmd = [
        *_cli(),
        "serve",
        "--host",
        "127.0.0.1",
        "--http-port",
        "0",
        "--tcp-port",
        "0",
        "--db",
        db_url,
        *extra,
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **LOOPBACK_CLIENTS, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    assert proc.stdout is not None
    lines: list[str] = []
    http_url = tcp = None
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline and (http_url is None or tcp is None):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if m := re.match(r"^http: (http://\S+)$", line.strip()):
            http_url = m.group(1)
        elif m := re.match(r"^tcp: (\S+):(\d+)$", line.strip()):
            tcp = (m.group(1), int(m.group(2)))
    if http_url is None or tcp is None:
        proc.kill()
        rest = proc.stdout.read() if proc.stdout else ""
        raise RuntimeError("server did not start:\n" + "".join(lines) + rest)
    server = RunningServer(proc, db_url, http_url, tcp[0], tcp[1], lines)
    _drain_in_background(server)
    return server


def _drain_in_background(server: RunningServer) -> None:
    """Keep reading the server's output so a full pipe never blocks it."""

    def pump() -> None:
        assert server.proc.stdout is not None
        try:
            for line in server.proc.stdout:
                server.output.append(line)
        except ValueError:  # closed by stop()
            pass

    server.pump = threading.Thread(target=pump, daemon=True, name="server-output (pump)")
    server.pump.start()


def add_user(db_url: str, name: str, password: str, *, admin: bool = False) -> None:
    """Create a user through the shell command of docs/protocol.md."""
    cmd = [*_cli(), "user", "add", name, "--password", password, "--db", db_url]
    if admin:
        cmd.append("--admin")
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60)
