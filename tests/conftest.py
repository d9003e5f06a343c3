"""Session-wide set-up: compiled modules are kept between the processes tests start.

Where the environment says PYTHONDONTWRITEBYTECODE, every `auctioneer serve`
and every CLI call a test starts compiled the package's sources again (about
a third of a server's start-up CPU). Compiled files go instead to a cache
folder outside the tree (PYTHONPYCACHEPREFIX), for this process and every
child, so the tree stays clean and each source is compiled once.
"""

from __future__ import annotations

import os
import sys
import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return  # the default: __pycache__ folders beside the sources
    prefix = os.path.join(tempfile.gettempdir(), f"auctioneer-pycache-{os.getuid()}")
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
    sys.pycache_prefix = prefix
    sys.dont_write_bytecode = False
