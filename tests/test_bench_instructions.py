"""bench.instructions reads the total a real callgrind run wrote."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from bench.instructions import total_instructions


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_the_total_is_read_from_a_real_callgrind_file(tmp_path: Path) -> None:
    out = tmp_path / "true.out"
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "/bin/true"]
    run = subprocess.run(cmd, capture_output=True, check=True, timeout=120)
    total = total_instructions(out.read_bytes())
    assert total > 10_000  # the dynamic loader alone runs more than that
    assert f"{total:,}".encode() in run.stderr  # callgrind's own "I   refs:" line agrees


def test_a_file_without_a_summary_is_refused() -> None:
    with pytest.raises(ValueError, match="did not finish"):
        total_instructions(b"events: Ir\n")
