"""The protocol suite once more, against two processes on PostgreSQL and Redis.

Scale-out must behave exactly like one server (docs/architecture.md "Many
processes"), so the end-to-end tests of the rules, concurrency, formats,
permissions and resume run here unchanged against two `auctioneer serve`
processes sharing one fresh PostgreSQL database and one Redis; every new
client connects to the other process than the one before (`Alternating`), so
a bidder and the admin, or a writer and its watchers, are mostly on different
processes. One pair of processes for the module. Runs when
AUCTIONEER_TEST_POSTGRES_URL and AUCTIONEER_TEST_REDIS_URL are set.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import pytest

from tests.e2e import test_concurrency, test_formats, test_permissions, test_resume, test_rules
from tests.e2e.support import ADMIN, ADMIN_PASSWORD, House, prepare_house, stop_server
from tests.helpers.server import RunningServer, add_user, start_server

POSTGRES = os.environ.get("AUCTIONEER_TEST_POSTGRES_URL")
REDIS = os.environ.get("AUCTIONEER_TEST_REDIS_URL")
MODULES = (test_rules, test_concurrency, test_formats, test_permissions, test_resume)
BIDDERS = max(getattr(m, "BIDDERS", 0) for m in MODULES)
REGULARS = max(getattr(m, "REGULARS", 2) for m in MODULES)

pytestmark = pytest.mark.skipif(
    not (POSTGRES and REDIS),
    reason="postgres/redis: AUCTIONEER_TEST_POSTGRES_URL or AUCTIONEER_TEST_REDIS_URL not set",
)

# Left out: the seam test asserts that its bid war is three bids ahead 50 ms
# after it started, a timing assumption (every write crosses two processes
# here), not the behaviour, which tests/scale checks under a real race; the
# slow-subscriber test takes over a minute of the machine and tests one
# process's outbox, the same code here; the metrics test counts the commits of
# the process it asks, and metrics are per process by design (a scraper reads
# each one), while the auction's owner may be the other process.
LEFT_OUT = {
    "test_bids_racing_a_resubscription_are_delivered_once_each_with_no_gap",
    "test_a_subscriber_that_stops_reading_is_dropped_without_slowing_the_others",
    "test_metrics_are_for_admins_and_count_the_bids_committed",
}

# The tests themselves, under names that say where they come from.
for _module in MODULES:
    _short = _module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and callable(_test) and _name not in LEFT_OUT:
            globals()[f"test_{_short}__{_name.removeprefix('test_')}"] = _test


class Alternating:
    """Looks like one RunningServer; each new client goes to the next process."""

    def __init__(self, servers: list[RunningServer]) -> None:
        self.servers = servers
        self._next: Callable[[], RunningServer] = itertools.cycle(servers).__next__

    def pick(self) -> RunningServer:
        return self._next()

    def __getattr__(self, name: str) -> Any:  # addresses a test reads itself: the first's
        return getattr(self.servers[0], name)


async def _sql(dsn: str, statement: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def server() -> Iterator[Alternating]:
    assert POSTGRES and REDIS
    name = "auctioneer_e2e_pair_" + secrets.token_hex(4)
    asyncio.run(_sql(POSTGRES, f'CREATE DATABASE "{name}"'))
    dsn = POSTGRES.rsplit("/", 1)[0] + "/" + name
    servers: list[RunningServer] = []
    try:
        add_user(dsn, ADMIN, ADMIN_PASSWORD, admin=True)
        with ThreadPoolExecutor(2) as pool:
            servers += pool.map(
                lambda _: start_server(dsn, "--broker", REDIS or "", "--bid-rate", "0"), range(2)
            )
        yield Alternating(servers)
    finally:
        for running in servers:
            stop_server(running)
        asyncio.run(_sql(POSTGRES, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def module_house(server: Alternating) -> House:
    """The admin and this module's bidders, registered through both processes."""
    return prepare_house(server, BIDDERS, REGULARS)  # type: ignore[arg-type]
