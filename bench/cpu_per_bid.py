"""Server CPU per accepted bid through the real doors, per thread: less load-bound than bids/s.

Why: on a shared machine the rate of one run says little, while the CPU the
server spent per accepted bid (user and system, per thread, from
/proc/PID/task) moves less; context switches per bid show how often the
threads hand the GIL or the CPU over. Starts `auctioneer serve`, drives one
scenario of `bench.scenarios` with `bench.loadgen` and reads the server's
threads before and after the load window.

    .venv/bin/python -m bench.cpu_per_bid spread [--duration 6]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.measure import raise_nofile_limit
from bench.scenarios import by_name
from bench.servers import create_auctions, login_bidders, start_real

__all__ = ["main", "thread_counters"]

Counters = dict[str, list[float]]  # thread -> [user s, system s, voluntary, involuntary switches]


def thread_counters(pid: int) -> Counters:
    """CPU seconds and context switches of each thread of `pid`, by thread name."""
    tick = os.sysconf("SC_CLK_TCK")
    out: Counters = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
            status = dict(line.split(":", 1) for line in (task / "status").read_text().splitlines())
        except OSError:
            continue  # a thread that ended meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        name = "main" if task.name == str(pid) else f"{name}/{task.name}"
        fields = stat[stat.rindex(")") + 2 :].split()
        out[name] = [
            int(fields[11]) / tick,
            int(fields[12]) / tick,
            float(status["voluntary_ctxt_switches"]),
            float(status["nonvoluntary_ctxt_switches"]),
        ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--duration", type=float, default=6.0)
    args = parser.parse_args(argv)
    raise_nofile_limit()
    scenario = by_name(args.scenario)
    with tempfile.TemporaryDirectory(prefix="bench-cpu-") as tmp:
        server = start_real(Path(tmp))
        try:
            tokens = login_bidders(server, scenario.bidders)
            aids = create_auctions(server, scenario.auctions, "cpu")
            uses_ws = "ws" in (scenario.bidder_kind, scenario.watcher_kind)
            config = scenario.loadgen_config(
                "real",
                host=server.tcp_host,
                port=server.ws_port if uses_ws else server.tcp_port,
                tokens=tokens,
                auctions=aids,
                server_pid=server.pid,
                duration_s=args.duration,
            )
            gen = subprocess.Popen(
                [sys.executable, "-m", "bench.loadgen"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert gen.stdin is not None and gen.stdout is not None and gen.stderr is not None
            gen.stdin.write(json.dumps(config))
            gen.stdin.close()
            for line in gen.stderr:  # connections up, warm-up over
                if line.strip() == "window-start":
                    break
            before = thread_counters(server.pid)
            result = json.loads(gen.stdout.read().strip().splitlines()[-1])
            gen.wait(120)
            after = thread_counters(server.pid)
        finally:
            server.stop()
    accepted = max(1, int(result["accepted"]))
    print(f"{args.scenario}: {accepted} accepted ({result['bids_per_s']:.0f}/s)")
    total = [0.0] * 4
    for name in sorted(after):
        delta = [a - b for a, b in zip(after[name], before.get(name, [0.0] * 4), strict=True)]
        total = [t + d for t, d in zip(total, delta, strict=True)]
        if delta[0] + delta[1] > 0.01:
            print(f"  {name:24} {_per_bid(delta, accepted)}")
    print(f"  {'all threads':24} {_per_bid(total, accepted)}")
    return 0


def _per_bid(d: list[float], bids: int) -> str:
    return (
        f"{(d[0] + d[1]) / bids * 1e6:6.1f} µs of CPU per bid (user {d[0] / bids * 1e6:.1f}, "
        f"system {d[1] / bids * 1e6:.1f}); switches per bid {d[2] / bids:.2f} voluntary, "
        f"{d[3] / bids:.2f} involuntary"
    )


if __name__ == "__main__":
    sys.exit(main())
