"""bench/stages.py: the per-pass medians read from two scrapes of /api/metrics."""

from __future__ import annotations

from bench.stages import Snapshot, parse, stage_figures
from prometheus_client import CollectorRegistry, Histogram, generate_latest


def _snapshot(registry: CollectorRegistry) -> Snapshot:
    return parse(generate_latest(registry).decode())


def test_a_pass_is_measured_by_what_it_added_not_by_what_came_before() -> None:
    registry = CollectorRegistry()
    wait = Histogram("auctioneer_command_wait_seconds", "", buckets=(0.01, 0.02), registry=registry)
    size = Histogram("auctioneer_batch_commands", "", buckets=(1, 2, 4), registry=registry)
    for _ in range(100):  # the warm-up: fast waits, single commands
        wait.observe(0.001)
        size.observe(1)
    before = _snapshot(registry)
    for _ in range(10):  # the pass: every wait between 10 and 20 ms, batches of 3
        wait.observe(0.015)
        size.observe(3)
    figures = stage_figures(before, _snapshot(registry))
    assert figures["wait_p50_ms"] == 15.0  # halfway into the (10, 20] ms bucket
    assert figures["batch_size_mean"] == 3.0
    assert "commit_p50_ms" not in figures  # nothing recorded: no figure rather than 0
    assert stage_figures(None, before) == {}
