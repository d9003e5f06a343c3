"""Helpers for the end-to-end client tests: run commands, make auctions and users.

Why in-process for most commands: Typer's CliRunner runs the real command
functions (parsing, connecting, printing, exit codes) without the second of
interpreter start-up a subprocess costs; `room` and one smoke test still run
as real subprocesses, because a pipe on standard input is what they test.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from auctioneer.clients.connection import Client
from tests.helpers.server import RunningServer

__all__ = ["ADMIN", "ADMIN_PASSWORD", "PASSWORD", "Live", "close_output", "unique"]

ADMIN = "clients-admin"
ADMIN_PASSWORD = "admin-password-1"
PASSWORD = "bidder-password-1"


def close_output(server: RunningServer) -> None:
    """Close a stopped server's output pipe once the helper's drain thread has read it all.

    Left open, it is found by the garbage collector at exit, and with
    `filterwarnings = error` that ResourceWarning fails the run.
    """
    for thread in threading.enumerate():
        if thread.name.endswith("(pump)"):
            thread.join(5)
    if server.proc.stdout is not None:
        server.proc.stdout.close()


def unique(prefix: str = "u") -> str:
    return f"{prefix}{secrets.token_hex(4)}"


@dataclass
class Live:
    """A running server and one config folder (one terminal user's logins)."""

    server: RunningServer
    config: Path

    @property
    def url(self) -> str:
        return self.server.http_url

    def env(self) -> dict[str, str | None]:
        """The environment of this user's commands (None: unset)."""
        return {
            "AUCTIONEER_SERVER": self.url,
            "XDG_CONFIG_HOME": str(self.config),
            "AUCTIONEER_CONFIG_DIR": None,
            "AUCTIONEER_TOKEN": None,
            "AUCTIONEER_PASSWORD": None,
            "COLUMNS": "160",
            "NO_COLOR": "1",
        }

    def cli(self, *args: str, input: str | None = None) -> Result:
        from auctioneer.main import app

        return CliRunner().invoke(
            app, list(args), env=self.env(), input=input, catch_exceptions=False
        )

    def run_cli(
        self, *args: str, input: str = "", timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        """The real `python -m auctioneer ...` in a subprocess."""
        return subprocess.run(
            [sys.executable, "-m", "auctioneer", *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.process_env(),
        )

    def process_env(self) -> dict[str, str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for key, value in self.env().items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def bidder(self) -> str:
        """Register a fresh bidder through the CLI (it is then logged in here)."""
        name = unique("ann")
        result = self.cli("register", name, "--password", PASSWORD)
        assert result.exit_code == 0, result.output
        return name

    def admin_login(self) -> None:
        result = self.cli("login", ADMIN, "--password", ADMIN_PASSWORD)
        assert result.exit_code == 0, result.output

    async def as_admin(self, action: str, **fields: Any) -> dict[str, Any]:
        async with Client(self.url) as client:
            await client.login(ADMIN, ADMIN_PASSWORD)
            return dict(await client.request(action, **fields))

    def admin(self, action: str, **fields: Any) -> dict[str, Any]:
        """One admin request from synchronous test code."""
        return dict(asyncio.run(self.as_admin(action, **fields)))

    def auction(self, **fields: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"name": unique("lot "), "starting_bid": 1000, "duration_s": 600}
        return dict(self.admin("create_auction", **{**base, **fields})["auction"])
