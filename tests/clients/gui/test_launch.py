"""`auctioneer gui` without a display: one clear line and a non-zero exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

__all__: list[str] = []


def test_gui_without_a_display_prints_one_line_and_exits_non_zero() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run(
        [sys.executable, "-m", "auctioneer", "gui", "bidder", "--server", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 3
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert proc.stderr.startswith("error: no display")
    assert "Traceback" not in proc.stderr + proc.stdout


def test_gui_names_the_two_apps() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "auctioneer", "gui", "auditor"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "admin" in proc.stderr and "bidder" in proc.stderr


def test_gui_with_an_unreachable_display_says_so_in_one_line() -> None:
    env = {**os.environ, "DISPLAY": ":9999"}  # no X server there
    proc = subprocess.run(
        [sys.executable, "-m", "auctioneer", "gui", "admin", "--server", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert proc.returncode == 3
    assert (
        proc.stderr.strip() == 'error: cannot open a window: couldn\'t connect to display ":9999"'
    )
