"""Profile the real server under one scenario's load with py-spy: where its CPU goes.

Why: issue 6 says to profile before optimizing, and to write the hot spots into
docs/benchmarks.md. This attaches py-spy (sampling, from outside, no code
change in the server) to `auctioneer serve` while `bench.loadgen` drives one
scenario, then prints the functions with the most samples, by self time and by
inclusive time, so the numbers in the note can be reproduced.

Usage: `python -m bench.profile SCENARIO [--duration 5] [--rate 200] [--raw PATH]`
(needs `py-spy` in the venv and permission to ptrace the server, as root).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.measure import raise_nofile_limit
from bench.scenarios import by_name
from bench.servers import create_auctions, login_bidders, start_real

__all__ = ["main", "summarize"]


def _thread_times(pid: int) -> dict[str, tuple[float, float]]:
    """User and system CPU seconds per thread of `pid`, by thread name."""
    tick = os.sysconf("SC_CLK_TCK")
    times: dict[str, tuple[float, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            stat = (task / "stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")] + f"/{task.name}"
            fields = stat[stat.rindex(")") + 2 :].split()
            times[name] = (int(fields[11]) / tick, int(fields[12]) / tick)
    return times


def _cpu_split(
    before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]], span: float
) -> str:
    """Where the server's CPU went by thread, user vs kernel (py-spy sees neither split)."""
    lines = [f"server CPU by thread over about {span:.0f} s (user / system, in cores):"]
    for name, (user, system) in sorted(after.items()):
        u0, s0 = before.get(name, (0.0, 0.0))
        if user - u0 + system - s0 > 0.01 * span:
            lines.append(f"  {name}: {(user - u0) / span:.2f} / {(system - s0) / span:.2f}")
    return "\n".join(lines)


def summarize(raw: Path, top: int = 25) -> str:
    """Self and inclusive sample shares per function, from py-spy's raw format."""
    self_samples: Counter[str] = Counter()
    incl_samples: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        self_samples[_short(frames[-1])] += n
        for f in {_short(f) for f in frames}:
            incl_samples[f] += n
    if not total:
        return "no samples"
    out = [f"{total} samples"]
    for title, counter in (("self", self_samples), ("inclusive", incl_samples)):
        out.append(f"\n-- top {top} by {title} time --")
        for frame, n in counter.most_common(top):
            out.append(f"{n / total:6.1%}  {frame}")
    return "\n".join(out)


def _short(frame: str) -> str:
    # "func (path/to/site-packages/pkg/mod.py:123)" -> "func (pkg/mod.py)"
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("scenario")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw output here")
    parser.add_argument("--native", action="store_true", help="include C frames (uvloop, libc)")
    parser.add_argument(
        "--idle",
        action="store_true",
        help="sample every thread whether or not it holds the GIL, waits included, per thread",
    )
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    raise_nofile_limit()
    scenario = by_name(args.scenario)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        server = start_real(Path(tmp))
        try:
            tokens = login_bidders(server, scenario.bidders)
            aids = create_auctions(server, scenario.auctions, "profile")
            uses_ws = "ws" in (scenario.bidder_kind, scenario.watcher_kind)
            port = server.ws_port if uses_ws else server.tcp_port
            config = scenario.loadgen_config(
                "real",
                host=server.tcp_host,
                port=port,
                tokens=tokens,
                auctions=aids,
                server_pid=server.pid,
                duration_s=args.duration + 1.0 if scenario.duration_s else 0.0,
            )
            raw = args.raw or Path(tmp) / "pyspy.txt"
            gen = subprocess.Popen(
                [sys.executable, "-m", "bench.loadgen"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert gen.stdin is not None and gen.stderr is not None and gen.stdout is not None
            gen.stdin.write(json.dumps(config))
            gen.stdin.close()
            for line in gen.stderr:  # wait until connections are up and warm-up is over
                if line.strip() == "window-start":
                    break
            before = _thread_times(server.pid)
            mode = ["--idle", "--threads", "--nonblocking"] if args.idle else ["--gil"]
            spy_cmd = [spy, "record", *mode, "-r", str(args.rate)]
            spy_cmd += ["-d", str(int(args.duration)), "-f", "raw", "-o", str(raw)]
            spy_cmd += ["-p", str(server.pid)] + (["--native"] if args.native else [])
            spied = subprocess.run(
                spy_cmd, capture_output=True, text=True, timeout=args.duration + 60, check=False
            )
            after = _thread_times(server.pid)
            if spied.returncode:
                print(f"py-spy failed: {spied.stderr[-800:]}")
            print(_cpu_split(before, after, args.duration))
            out = gen.stdout.read()  # the one result line, at exit
            gen.wait(120)
            print(out.strip()[:600])
            print(summarize(raw) if raw.exists() else "py-spy produced nothing")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
