"""Instructions per bid of the in-process path, counted by callgrind: a measure load cannot move.

Why: on a shared 2-core machine CPU time per bid moved by 2.5x between runs
of the same code minutes apart, while instruction counts are exact. This
runs `bench.service_bench` under `valgrind --tool=callgrind` twice, with
`--bids LOW` and `--bids HIGH`, and divides the difference of the two
totals by `HIGH - LOW`: start-up, imports, the setup's Argon2 hashing and
the collection at exit are in both runs and cancel out. All threads are
counted, so the SQLite writer's too. About 50 times slower than a plain run.

    .venv/bin/python -m bench.instructions [--depth 4] [--auctions 50]
        [--low 400] [--high 1200]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["main", "total_instructions"]

_SUMMARY = re.compile(rb"^summary:\s+(\d+)", re.MULTILINE)


def total_instructions(callgrind_out: bytes) -> int:
    """The program's total Ir from a callgrind output file's `summary:` line."""
    found = _SUMMARY.search(callgrind_out)
    if found is None:
        raise ValueError("no summary line: callgrind did not finish")
    return int(found.group(1))


def _count(bids: int, depth: int, auctions: int, out: Path) -> int:
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable]
    cmd += ["-m", "bench.service_bench", "--runs", "1", "--bids", str(bids)]
    cmd += ["--depth", str(depth), "--auctions", str(auctions)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=3600)
    return total_instructions(out.read_bytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=4, help="bids in flight per auction")
    parser.add_argument("--auctions", type=int, default=50)
    parser.add_argument("--low", type=int, default=400, help="bids in the shorter run")
    parser.add_argument("--high", type=int, default=1200, help="bids in the longer run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp:
        low = _count(args.low, args.depth, args.auctions, Path(tmp) / "low.out")
        high = _count(args.high, args.depth, args.auctions, Path(tmp) / "high.out")
    per_bid = (high - low) / (args.high - args.low)
    print(
        f"{per_bid:,.0f} instructions per bid (depth {args.depth}, {args.auctions} auctions; "
        f"{args.low} bids: {low:,}, {args.high} bids: {high:,})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
