"""Where a bid's time goes inside the real server, from its own metrics.

Why: the table says how fast; this says where the time of a write goes, per
pass, without a profiler and without slowing the server: the difference of
the server's `GET /api/metrics` histograms before and after the pass
(service/metrics.py), with medians estimated inside their buckets as
Prometheus' `histogram_quantile` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.servers import ADMIN, PASSWORD, ServerProc

__all__ = ["STAGES", "Snapshot", "parse", "scrape", "stage_figures"]

# result key -> (histogram, what it is, scale)
STAGES: dict[str, tuple[str, str, float]] = {
    "wait_p50_ms": ("auctioneer_command_wait_seconds", "wait for its auction's writer, p50", 1e3),
    "commit_p50_ms": ("auctioneer_commit_seconds", "commit as awaited, p50", 1e3),
    "batch_p50_ms": ("auctioneer_batch_seconds", "whole batch, p50", 1e3),
    "batch_size_mean": ("auctioneer_batch_commands", "commands per batch, mean", 1.0),
    "loop_lag_mean_ms": (
        "auctioneer_event_loop_lag_seconds",
        "event loop lag (a 10 ms timer's lateness), mean",
        1e3,
    ),
}
_TIMEOUT_S = 10.0


@dataclass
class Snapshot:
    """Per histogram: cumulative bucket counts [(upper bound, count), ...] and (sum, count)."""

    buckets: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    totals: dict[str, tuple[float, float]] = field(default_factory=dict)


def _token(server: ServerProc, http: httpx.Client) -> str:
    token = server.admin_token
    if token is None:
        reply = http.post("/api/login", json={"username": ADMIN, "password": PASSWORD})
        reply.raise_for_status()
        token = str(reply.json()["token"])
        server.admin_token = token
    return token


def scrape(server: ServerProc) -> Snapshot | None:
    """The server's histograms now, or None (no HTTP door, or it did not answer)."""
    if server.http_url is None:
        return None
    try:
        with httpx.Client(base_url=server.http_url, timeout=_TIMEOUT_S) as http:
            headers = {"Authorization": f"Bearer {_token(server, http)}"}
            reply = http.get("/api/metrics", headers=headers)
            reply.raise_for_status()
    except (httpx.HTTPError, KeyError, ValueError):
        return None
    return parse(reply.text)


def parse(text: str) -> Snapshot:
    """The histograms of a Prometheus text exposition."""
    snapshot = Snapshot()
    for family in text_string_to_metric_families(text):
        if family.type != "histogram":
            continue
        points = [
            (float(s.labels["le"]), s.value) for s in family.samples if s.name.endswith("_bucket")
        ]
        snapshot.buckets[family.name] = sorted(points)
        sums = {s.name.rsplit("_", 1)[1]: s.value for s in family.samples}
        snapshot.totals[family.name] = (sums.get("sum", 0.0), sums.get("count", 0.0))
    return snapshot


def _median(points: list[tuple[float, float]]) -> float | None:
    """The 0.5 quantile of cumulative buckets, linear inside the bucket that holds it."""
    total = points[-1][1] if points else 0.0
    if total <= 0:
        return None
    rank = total / 2
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in points:
        if count >= rank:
            if bound == float("inf"):
                return lower_bound
            inside = count - lower_count
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / inside
        lower_bound, lower_count = bound, count
    return None


def stage_figures(before: Snapshot | None, after: Snapshot | None) -> dict[str, Any]:
    """The pass's medians (or means) per stage: what `after` adds to `before`."""
    if before is None or after is None:
        return {}
    out: dict[str, Any] = {}
    for key, (name, _, scale) in STAGES.items():
        if key.endswith("_mean"):
            (sum1, count1), (sum0, count0) = after.totals[name], before.totals[name]
            if count1 > count0:
                out[key] = round((sum1 - sum0) / (count1 - count0) * scale, 2)
            continue
        now, then = after.buckets.get(name, []), dict(before.buckets.get(name, []))
        delta = [(bound, count - then.get(bound, 0.0)) for bound, count in now]
        median = _median(delta)
        if median is not None:
            out[key] = round(median * scale, 2)
    return out
