"""Fixtures of the reliability suite, and the gate that keeps `slow` tests out
of the normal run.

pyproject's addopts do not deselect `slow`, so a test here marked `slow` is
skipped unless the `-m` expression names `slow` (`make chaos` runs
`pytest -m slow tests/reliability`).
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.server import RunningServer, add_user
from tests.reliability.support import ADMIN, ADMIN_PASSWORD

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with `make chaos` (pytest -m slow)")
    for item in items:
        if item.get_closest_marker("slow") and HERE in Path(str(item.path)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding only the admin (the user CLI costs seconds per call)."""
    path = tmp_path_factory.mktemp("rel-template") / "template.db"
    add_user(f"sqlite:///{path}", ADMIN, ADMIN_PASSWORD, admin=True)
    return path


def copy_db(template: Path, folder: Path) -> Path:
    target = folder / "auctioneer.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(template) + suffix)
        if source.exists():
            shutil.copyfile(source, str(target) + suffix)
    return target


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    """A fresh database file (with the admin) for one test."""
    return copy_db(template_db, tmp_path)


@pytest.fixture
def servers() -> Iterator[list[RunningServer]]:
    """Every server a test starts goes in here and is killed at the end, whatever happens."""
    started: list[RunningServer] = []
    yield started
    for server in started:
        close_server(server)


def close_server(server: RunningServer) -> None:
    """SIGKILL if still running, then close the output pipe once its reader hit EOF."""
    server.kill()
    # tests/helpers/server.py pumps the pipe in a thread named "...(pump)" until EOF;
    # closing under it would raise in that thread, never closing leaks a ResourceWarning.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and any(
        t.name.endswith("(pump)") and t.is_alive() for t in threading.enumerate()
    ):
        time.sleep(0.01)
    if server.proc.stdout is not None:
        with contextlib.suppress(Exception):
            server.proc.stdout.close()
