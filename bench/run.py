"""`make bench`: run every scenario against the floor and the real server, report medians.

Why this shape (issue 6): each scenario starts its server as a subprocess on
free ports with a fresh database (in a temporary folder), sets it up over the
protocol, then runs the load generator as another process (`bench.loadgen`)
`--runs` times on fresh auctions, so three processes never share an event loop
or a GIL. The floor server runs in the same `make bench` run, so every figure
of the real server is also shown as a ratio to the floor measured minutes
apart on the same (possibly busy) machine. The whole run is bounded: a few
seconds of load per pass, a timeout on every subprocess.

Usage: `python -m bench.run [--runs 3] [--duration 3] [--only NAME ...]
[--servers floor real] [--no-write]`; PostgreSQL and several processes:
`[--db postgresql://...] [--broker redis://...] [--processes 1 2 3]
[--section pg]` (bench/cluster.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.cluster import Backends
from bench.cluster import start as start_server
from bench.measure import raise_nofile_limit
from bench.report import (
    Row,
    check_targets,
    machine_description,
    median_result,
    print_table,
    write_markdown,
)
from bench.scenarios import SCENARIOS, Scenario, by_name
from bench.servers import ServerProc, create_auctions, login_bidders
from bench.stages import scrape, stage_figures

__all__ = ["main", "run_scenario"]

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
RAW = ROOT / "bench" / "last_run.json"
LOADGEN_TIMEOUT_S = 180.0


def _loadgen(config: dict[str, Any]) -> dict[str, Any]:
    """Run one load-generator process and return its JSON result."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.loadgen"],
            input=json.dumps(config),
            capture_output=True,
            text=True,
            timeout=LOADGEN_TIMEOUT_S,
            cwd=ROOT,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return {"fatal": f"load generator timed out after {LOADGEN_TIMEOUT_S:.0f} s"}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"fatal": f"load generator exit {proc.returncode}: {proc.stderr[-500:]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _door(scenario: Scenario, server: ServerProc, name: str) -> tuple[str, int]:
    uses_ws = name.startswith("real") and "ws" in (scenario.bidder_kind, scenario.watcher_kind)
    if uses_ws:
        assert scenario.bidder_kind == scenario.watcher_kind, "one door per pass"
        return server.tcp_host, server.ws_port
    return server.tcp_host, server.tcp_port


def _one_pass(
    scenario: Scenario, name: str, server: ServerProc, tokens: list[str], i: int, duration: float
) -> dict[str, Any]:
    aids = create_auctions(server, scenario.auctions, f"{scenario.name}-{i}")
    host, port = _door(scenario, server, name)
    config = scenario.loadgen_config(
        name,
        host=host,
        port=port,
        tokens=tokens,
        auctions=aids,
        server_pid=server.pid,
        duration_s=duration if scenario.duration_s else 0.0,
    )
    if server.peers:  # several processes: clients dealt over every door, CPU of all
        house = [server, *server.peers]
        config["endpoints"] = [list(_door(scenario, s, name)) for s in house]
        config["server_pids"] = [s.pid for s in house]
    before = scrape(server) if name.startswith("real") else None
    result = _loadgen(config)
    if before is not None:
        result.update(stage_figures(before, scrape(server)))
    if server.proc.poll() is not None:
        result.setdefault("fatal", f"server exited with {server.proc.returncode}")
    return result


def run_scenario(
    scenario: Scenario,
    names: Sequence[str],
    runs: int,
    duration: float,
    backends: Backends | None = None,
) -> list[Row]:
    """All passes of one scenario, alternating between the servers run by run.

    Floor and real passes alternate (floor first on even runs, real first on
    odd ones), so a burst of other work on the shared machine hits both sides
    of a ratio rather than one.
    """
    rows = {name: Row(scenario, name) for name in names}
    servers: dict[str, ServerProc] = {}
    tokens: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix=f"bench-{scenario.name}-") as tmp:
        try:
            for i in range(runs):
                order = names if i % 2 == 0 else names[::-1]
                for name in order:
                    row = rows[name]
                    if row.error:
                        continue
                    try:
                        server = servers.get(name)
                        if server is None or scenario.fresh_server_per_run:
                            if server is not None:
                                server.stop()
                            workdir = Path(tmp) / f"{name}{i}"
                            workdir.mkdir()
                            server = servers[name] = start_server(
                                name, workdir, backends or Backends()
                            )
                            tokens[name] = login_bidders(server, scenario.bidders)
                        t = time.monotonic()
                        result = _one_pass(scenario, name, server, tokens[name], i, duration)
                    except Exception as exc:  # a server that does not start is a row, not a crash
                        row.error = f"{type(exc).__name__}: {exc}"[:300]
                        print(f"  {scenario.name} on {name}: {row.error}", flush=True)
                        continue
                    row.runs.append(result)
                    _progress(scenario, name, i, result, time.monotonic() - t)
                    if "fatal" in result and server.proc.poll() is not None:
                        row.error = result["fatal"]
        finally:
            for name, server in servers.items():
                code = server.stop()
                if code not in (0, None) and name.startswith("real"):
                    print(f"  (auctioneer exit code {code} after {scenario.name})", flush=True)
    return [rows[name] for name in names]


def _progress(scenario: Scenario, name: str, i: int, r: dict[str, Any], took: float) -> None:
    if "fatal" in r:
        print(f"  {scenario.name:10} {name:5} run {i + 1}: FATAL {r['fatal'][:200]}", flush=True)
        return
    bits = [f"{k}={r[k]}" for k in _SHOWN if r.get(k) is not None]
    print(f"  {scenario.name:10} {name:5} run {i + 1} ({took:.1f}s): " + " ".join(bits), flush=True)


_SHOWN = (
    "bids_per_s",
    "rejected_per_s",
    "reply_p99_ms",
    "deliver_p99_ms",
    "last_p99_ms",
    "seq_errors",
    "client_cpu",
    "server_cpu",
    "other_cpu",
    "stolen_cpu",
    "rss_after_mb",
    "rss_per_conn_kb",
    "wait_p50_ms",
    "commit_p50_ms",
    "batch_p50_ms",
    "batch_size_mean",
)


def _finish(rows: list[Row]) -> None:
    for row in rows:
        row.median = median_result(row.runs)
    floors = {(r.scenario.name, r.server): r for r in rows if r.server.startswith("floor")}
    for row in rows:
        floor = "floor-pg" if "-pg" in row.server else "floor"
        check_targets(row, floors.get((row.scenario.floor_of or "", floor)))


def _rerender(path: Path, no_write: bool, section: str = "") -> int:
    saved = json.loads(path.read_text())
    machine: dict[str, str] = saved["machine"]
    rows = []
    for raw in saved["rows"]:
        row = Row(by_name(raw["scenario"]), raw["server"], runs=raw["runs"], error=raw["error"])
        rows.append(row)
    _finish(rows)
    print_table(rows, machine)
    if not no_write:
        runs = max((len(r.runs) for r in rows), default=0)
        write_markdown(DOC, rows, machine, runs, section)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Auctioneer benchmarks (issue 6).")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of load per pass")
    parser.add_argument("--only", nargs="*", help="scenario names")
    parser.add_argument("--servers", nargs="*", help="only these (floor real floor-pg real-pg ...)")
    parser.add_argument("--db", default="", help="also on PostgreSQL (a fresh database each)")
    parser.add_argument("--broker", default="", help="redis://...: PostgreSQL processes share it")
    parser.add_argument("--processes", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--section", default="", help="write a named section (e.g. pg)")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/")
    parser.add_argument(
        "--from-json", type=Path, help="re-render the report from a saved last_run.json"
    )
    parser.add_argument("--raw", type=Path, help=f"write per-run figures here (default {RAW})")
    args = parser.parse_args(argv)
    if args.from_json:
        return _rerender(args.from_json, args.no_write, args.section)
    raise_nofile_limit()  # inherited by the servers we start
    machine = machine_description()
    chosen = [s for s in SCENARIOS if not args.only or s.name in args.only]
    rows: list[Row] = []
    started = time.monotonic()
    backends = Backends(args.db, args.broker, tuple(args.processes))
    for scenario in chosen:
        base = [n for n in ("floor", "real") if n in scenario.servers]
        names = [n for n in backends.names(scenario.name, base) if n in (args.servers or [n])]
        if names:
            print(f"{scenario.title} [{' + '.join(names)}]", flush=True)
            rows.extend(run_scenario(scenario, names, args.runs, args.duration, backends))
    _finish(rows)
    machine["bench wall time"] = f"{time.monotonic() - started:.0f} s"
    print_table(rows, machine)
    raw = [
        {"scenario": r.scenario.name, "server": r.server, "error": r.error, "runs": r.runs}
        for r in rows
    ]
    if args.raw or not args.no_write:
        raw_path: Path = args.raw or RAW
        raw_path.write_text(json.dumps({"machine": machine, "rows": raw}, indent=1) + "\n")
    if not args.no_write:
        write_markdown(DOC, rows, machine, args.runs, args.section)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
