"""One real server for the client end-to-end tests, shared by the whole session.

Why one: starting `auctioneer serve` and creating the admin takes seconds, and
the client tests only add auctions and users of their own, so they can share
it and keep the whole client suite well under 90 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.server import RunningServer, add_user, start_server

from .live import ADMIN, ADMIN_PASSWORD, Live, close_output

__all__: list[str] = []


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    db = tmp_path_factory.mktemp("clients-server") / "auctioneer.db"
    server = start_server(db)
    try:
        add_user(server.db_url, ADMIN, ADMIN_PASSWORD, admin=True)
        yield server
    finally:
        server.stop()
        close_output(server)


@pytest.fixture
def live(live_server: RunningServer, tmp_path: Path) -> Live:
    """The server, plus a private config folder for this test's command lines."""
    return Live(live_server, tmp_path / "config")
