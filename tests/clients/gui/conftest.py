"""A real X server (Xvfb) for the desktop apps' tests, and helpers to drive Tk.

Why a real Xvfb: the apps are tested as they run, real Tk widgets on a real
display against a real server, driven through the Tk API.
`scripts/ensure-xvfb` (run by `make test`) installs Debian's xvfb. When Xvfb
cannot start, the tests skip with the reason on a developer's machine, and
fail under CI (``CI=true``): a GUI suite that skipped silently would prove
nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

__all__ = ["pump", "pump_until"]

XVFB_START_S = 10.0


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"the GUI tests need Xvfb under CI: {reason}")
    pytest.skip(f"no Xvfb: {reason}")


@pytest.fixture(scope="session")
def xvfb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start ``Xvfb`` on a free display (``-displayfd``), 1280x800, and set ``$DISPLAY``."""
    binary = shutil.which("Xvfb")
    if binary is None:
        _unavailable("Xvfb is not installed (scripts/ensure-xvfb installs it)")
        raise AssertionError("unreachable")
    read_fd, write_fd = os.pipe()
    log = (tmp_path_factory.mktemp("xvfb") / "xvfb.log").open("wb")
    proc = subprocess.Popen(
        [binary, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    os.close(write_fd)
    number = b""
    deadline = time.monotonic() + XVFB_START_S
    os.set_blocking(read_fd, False)
    while time.monotonic() < deadline and not number.endswith(b"\n"):
        try:
            number += os.read(read_fd, 16)
        except BlockingIOError:
            if proc.poll() is not None:
                break
            time.sleep(0.02)
    os.close(read_fd)
    if not number.strip().isdigit():
        proc.kill()
        proc.wait()
        log.close()
        _unavailable(f"Xvfb did not start (exit {proc.returncode})")
    display = f":{number.strip().decode()}"
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def pump(root: object, seconds: float) -> None:
    """Run the Tk event loop for `seconds` (timers, the bridge's poll, redraws)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        root.update()  # type: ignore[attr-defined]
        time.sleep(0.005)


def pump_until(
    root: object, condition: Callable[[], object], *, timeout: float = 5.0, what: str = ""
) -> float:
    """Run the Tk event loop until `condition()` is true; returns the seconds it took.

    Raises:
        AssertionError: not within `timeout` seconds (naming `what`).
    """
    start = time.monotonic()
    while True:
        root.update()  # type: ignore[attr-defined]
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout:g} s: {what or condition}")
        time.sleep(0.005)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"
