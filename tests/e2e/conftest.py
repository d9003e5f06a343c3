"""Fixtures of the end-to-end suite: real servers on 127.0.0.1, real SQLite files.

One server per test module (module-scoped, its own database file) keeps the
suite fast; tests that need other limits start their own. Accounts cost an
Argon2 hash and check each (about a second on a busy 2-core machine), so they
are made once per session in a template database, with the admin (through
`auctioneer user add`) and `TEMPLATE_ACCOUNTS` bidders logged in; every
module's database starts as a copy of it, tokens included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.support import (
    ADMIN,
    ADMIN_PASSWORD,
    Account,
    House,
    fresh_db,
    prepare_house,
    stop_server,
)
from tests.helpers.server import RunningServer, add_user, start_server

TEMPLATE_ACCOUNTS = 8


@dataclass(frozen=True)
class Template:
    db: Path
    admin: Account
    accounts: list[Account]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    path = tmp_path_factory.mktemp("template") / "template.db"
    add_user(f"sqlite:///{path}", ADMIN, ADMIN_PASSWORD, admin=True)
    server = start_server(path)
    try:
        made = prepare_house(server, 0, TEMPLATE_ACCOUNTS)
    finally:
        assert stop_server(server) == 0
    return Template(path, made.admin, made.regulars)


@pytest.fixture(scope="module")
def server(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with the bid rate limit off, for the whole module."""
    db = fresh_db(template.db, tmp_path_factory.mktemp("db"))
    running = start_server(db, "--bid-rate", "0")
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def module_house(
    server: RunningServer, template: Template, request: pytest.FixtureRequest
) -> House:
    """The module's server, the admin, `BIDDERS` fresh and `REGULARS` shared bidders."""
    return house_of(server, template, request.module)


def house_of(server: RunningServer, template: Template, module: object) -> House:
    bidders, regulars = getattr(module, "BIDDERS", 0), getattr(module, "REGULARS", 2)
    accounts = list(template.accounts)
    assert bidders + regulars <= len(accounts), "raise TEMPLATE_ACCOUNTS"
    return House(
        server,
        template.admin,
        pool=accounts[:bidders],
        regulars=accounts[bidders : bidders + regulars],
    )


@pytest.fixture
async def house(module_house: House) -> AsyncIterator[House]:
    """The module's house; every connection a test opened through it is closed after it."""
    yield module_house
    await module_house.close_all()


@pytest.fixture
def db_copy(template: Template, tmp_path: Path) -> Path:
    """A fresh copy of the template database for a test that starts its own server."""
    return fresh_db(template.db, tmp_path)
