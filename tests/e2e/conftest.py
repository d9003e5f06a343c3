"""Fixtures of the end-to-end suite: real servers on 127.0.0.1, real SQLite files.

One server per test module (module-scoped, its own database file) keeps the
suite fast; tests that need other limits start their own. The admin account
is made once with `auctioneer user add` in a template database that every
module's database starts as a copy of (the CLI costs seconds per call).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.support import ADMIN, ADMIN_PASSWORD, House, fresh_db, prepare_house, stop_server
from tests.helpers.server import RunningServer, add_user, start_server


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    add_user(f"sqlite:///{path}", ADMIN, ADMIN_PASSWORD, admin=True)
    return path


@pytest.fixture(scope="module")
def server(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with the bid rate limit off, for the whole module."""
    db = fresh_db(template_db, tmp_path_factory.mktemp("db"))
    running = start_server(db, "--bid-rate", "0")
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def module_house(server: RunningServer, request: pytest.FixtureRequest) -> House:
    """The module's server, the admin logged in, `BIDDERS` fresh and `REGULARS` shared bidders."""
    module = request.module
    return prepare_house(server, getattr(module, "BIDDERS", 0), getattr(module, "REGULARS", 2))


@pytest.fixture
def db_copy(template_db: Path, tmp_path: Path) -> Path:
    """A fresh database (with the admin) for a test that starts its own server."""
    return fresh_db(template_db, tmp_path)


@pytest.fixture
async def house(module_house: House) -> AsyncIterator[House]:
    """The module's house; every connection a test opened through it is closed after it."""
    yield module_house
    await module_house.close_all()
