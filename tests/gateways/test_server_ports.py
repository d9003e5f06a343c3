"""`auctioneer serve` on a port that is taken: one line, exit 1, nothing created."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.helpers.server import _cli

__all__: list[str] = []


@pytest.mark.parametrize("door", ["--http-port", "--tcp-port"])
def test_serve_on_a_port_in_use_says_so_in_one_line_and_creates_nothing(
    tmp_path: Path, door: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ports = {"--http-port": "0", "--tcp-port": "0", door: str(port)}
        db = tmp_path / "auctioneer.db"
        done = subprocess.run(
            [
                *_cli(),
                "serve",
                "--host",
                "127.0.0.1",
                "--db",
                f"sqlite:///{db}",
                *(item for pair in ports.items() for item in pair),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr == f"error: port {port} is in use (another auctioneer?)\n"
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no database file left behind
