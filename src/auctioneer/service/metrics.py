"""The server's own measurements, in Prometheus' text format (`GET /api/metrics`).

Why: an operator should see where a bid's time goes (the wait for its
auction's writer, the commit, the batch) and how the store batches writes,
without attaching a profiler; the benchmarks read the same figures
(docs/benchmarks.md). Each house has a registry of its own, so several houses
in one process (the tests) never share a series.

What is measured where:
- `ActorPool` (actor.py): how long a write command waits for its auction's
  writer, how long a batch takes, how many commands a batch holds;
- `AuctionService._commit`: one batch's store append as the service awaits
  it (the store's queue, its transaction and the hand-back to the loop);
- `sample_loop_lag` (started by `serve`): how late a short timer wakes, the
  event loop's lag, which every reply and push also waits out;
- `Api.handle`: every command by action and outcome (`ok` or the error
  code), and its latency; `AuctionService.finish_batch`: accepted bids;
- at scrape time: the store's counters (`StoreCounters`), the service's
  retried conflicts and the fan-out's counts (`watch_fanout`);
- set by the ownership code of a scaled-out house: owned buckets and
  auctions, ownership moves, forwarded commands (0 until something sets them).

Served to admins at `GET /api/metrics` and to a scraper holding the
`--metrics-token` at `GET /metrics` (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from auctioneer.service.ports import StoreCounters

__all__ = ["CONTENT_TYPE", "FanOutCounts", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LOOP_LAG_EVERY_S = 0.01  # 100 wake-ups a second: nothing next to a busy loop's work

# Seconds: a commit takes a millisecond or two on a quiet disk, a busy
# batch tens of milliseconds; anything past a second is an incident.
_LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.005,
    0.01,
    0.02,
    0.05,
    0.1,
    0.2,
    0.5,
    1.0,
    5.0,
)
_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 512)


class Metrics:
    """The histograms the service records into, and what a scrape reads."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.command_wait = self._latency(
            "auctioneer_command_wait_seconds",
            "A write command's wait for its auction's writer (behind the batch in commit).",
        )
        self.batch = self._latency(
            "auctioneer_batch_seconds",
            "One batch of an auction's commands: decide, commit, answer.",
        )
        self.commit = self._latency(
            "auctioneer_commit_seconds",
            "One batch's append as the service awaits it (store queue, transaction, hand-back).",
        )
        self.loop_lag = self._latency(
            "auctioneer_event_loop_lag_seconds",
            "How late a 10 ms timer of the event loop wakes: what every reply and push waits out.",
        )
        self.batch_commands = _Histogram(
            "auctioneer_batch_commands", "Commands decided together in one batch.", _SIZE_BUCKETS
        )
        self.registry.register(self.batch_commands)
        # Ownership (service/ownership.py), for whoever exports them: buckets
        # and auctions this process owns now, buckets it took or handed back,
        # commands it forwarded to another process's auction.
        self.owned_buckets: Callable[[], int] = lambda: 0
        self.owned_auctions: Callable[[], int] = lambda: 0
        self.ownership_moves = 0
        self.forwarded = 0
        self.commands = _Commands(_LATENCY_BUCKETS)  # by action and outcome, and their time
        self.registry.register(self.commands)
        self.bids_accepted = Counter(
            "auctioneer_bids_accepted",
            "Bids in the log (placed by hand or by an auto-bid).",
            registry=self.registry,
        )
        self.broker_up = Gauge(
            "auctioneer_broker_up",
            "1 while the broker answers, 0 while it is down (subscribers catch up when back).",
            registry=self.registry,
        )
        self.broker_up.set(1)

    def _latency(self, name: str, text: str) -> _Histogram:
        histogram = _Histogram(name, text, _LATENCY_BUCKETS)
        self.registry.register(histogram)
        return histogram

    async def sample_loop_lag(self, every_s: float = LOOP_LAG_EVERY_S) -> None:
        """Until cancelled: sleep `every_s` and record how much later the loop woke."""
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(every_s)
            self.loop_lag.observe(max(0.0, loop.time() - start - every_s))

    def watch(self, stats: StoreCounters, conflicts_retried: Callable[[], int]) -> None:
        """Read the store's counters and the retried conflicts at each scrape."""
        self.registry.register(_Counters(stats, conflicts_retried))
        self.registry.register(_Ownership(self))

    def watch_fanout(self, counts: Callable[[], FanOutCounts]) -> None:
        """Read the fan-out's counts (events published, delivered, subscribers) at each scrape."""
        self.registry.register(_FanOut(counts))

    def render(self) -> bytes:
        """Every series in the text exposition format."""
        return generate_latest(self.registry)


class _Histogram(Collector):
    """A histogram observed from the event loop's thread only.

    prometheus_client's own takes a lock and walks its buckets in Python on
    every observation: 4 µs each, measured, and a bid made two or three.
    Here it is a bisect and two additions; the scrape (on the same thread)
    renders the same `_bucket`, `_sum` and `_count` series.
    """

    def __init__(self, name: str, text: str, buckets: Sequence[float]) -> None:
        self._name, self._text = name, text
        self._bounds = tuple(buckets)
        self._les = [*(repr(float(b)) for b in self._bounds), "+Inf"]  # "0.0005", "1.0"
        self._counts = [0] * (len(self._bounds) + 1)
        self._sum = 0.0

    def observe(self, amount: float) -> None:
        self._counts[bisect_left(self._bounds, amount)] += 1
        self._sum += amount

    def collect(self) -> list[Metric]:
        cumulative: list[tuple[str, float]] = []
        total = 0
        for le, count in zip(self._les, self._counts, strict=True):
            total += count
            cumulative.append((le, total))
        family = HistogramMetricFamily(self._name, self._text)
        family.add_metric([], cumulative, sum_value=self._sum)
        return [family]


class _Commands(Collector):
    """Commands by action and outcome, and each action's latency histogram.

    Plain counts on the event loop's thread, like `_Histogram`: a labelled
    prometheus_client metric takes a lock and a label lookup per observation,
    and every command makes two.
    """

    def __init__(self, buckets: Sequence[float]) -> None:
        self._bounds = tuple(buckets)
        self._les = [*(repr(float(b)) for b in self._bounds), "+Inf"]
        self._outcomes: dict[tuple[str, str], int] = {}
        self._times: dict[str, tuple[list[int], list[float]]] = {}  # action -> counts, [sum]

    def record(self, action: str, outcome: str, seconds: float) -> None:
        key = (action, outcome)
        self._outcomes[key] = self._outcomes.get(key, 0) + 1
        times = self._times.get(action)
        if times is None:
            times = self._times[action] = ([0] * (len(self._bounds) + 1), [0.0])
        times[0][bisect_left(self._bounds, seconds)] += 1
        times[1][0] += seconds

    def collect(self) -> list[Metric]:
        commands = CounterMetricFamily(
            "auctioneer_commands",
            "Commands answered, by action and outcome (ok or the error code).",
            labels=["action", "outcome"],
        )
        for (action, outcome), count in sorted(self._outcomes.items()):
            commands.add_metric([action, outcome], count)
        latency = HistogramMetricFamily(
            "auctioneer_command_seconds",
            "One command from the door's call to its reply, by action.",
            labels=["action"],
        )
        for action, (counts, total) in sorted(self._times.items()):
            cumulative, running = [], 0
            for le, count in zip(self._les, counts, strict=True):
                running += count
                cumulative.append((le, float(running)))
            latency.add_metric([action], cumulative, sum_value=total[0])
        return [commands, latency]


@dataclass(frozen=True, slots=True)
class FanOutCounts:
    """What the hub counted: frames it sent to the broker, frames it handed to
    local subscribers, and the subscriptions it holds now."""

    published: int
    delivered: int
    subscribers: int


class _FanOut(Collector):
    def __init__(self, counts: Callable[[], FanOutCounts]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        c = self._counts()
        yield CounterMetricFamily(
            "auctioneer_events_published", "Frames this process published.", value=c.published
        )
        yield CounterMetricFamily(
            "auctioneer_events_delivered",
            "Frames handed to this process's subscribers (one per subscriber).",
            value=c.delivered,
        )
        yield GaugeMetricFamily(
            "auctioneer_subscribers", "Subscriptions held by this process.", value=c.subscribers
        )


class _Counters(Collector):
    """Counters kept elsewhere, read when scraped (no second copy to keep in step)."""

    def __init__(self, stats: StoreCounters, conflicts_retried: Callable[[], int]) -> None:
        self._stats = stats
        self._conflicts_retried = conflicts_retried

    def collect(self) -> Iterator[Metric]:
        s = self._stats
        for name, text, value in (
            ("auctioneer_store_transactions", "Committed write transactions.", s.transactions),
            (
                "auctioneer_store_append_transactions",
                "Committed transactions that appended events.",
                s.append_transactions,
            ),
            ("auctioneer_store_appends", "Commits appended (one per batch).", s.appends),
            ("auctioneer_store_conflicts", "Appends refused: version taken.", s.conflicts),
            (
                "auctioneer_conflicts_retried",
                "Batches decided again after losing a race to another process.",
                self._conflicts_retried(),
            ),
        ):
            yield CounterMetricFamily(name, text, value=value)


class _Ownership(Collector):
    """The ownership figures, read when scraped."""

    def __init__(self, metrics: Metrics) -> None:
        self._m = metrics

    def collect(self) -> Iterator[Metric]:
        m = self._m
        yield GaugeMetricFamily(
            "auctioneer_owned_buckets", "Buckets of auctions this process owns.", m.owned_buckets()
        )
        yield GaugeMetricFamily(
            "auctioneer_owned_auctions",
            "Auctions this process owns and holds in memory.",
            m.owned_auctions(),
        )
        yield CounterMetricFamily(
            "auctioneer_ownership_moves",
            "Buckets this process took or handed back.",
            value=m.ownership_moves,
        )
        yield CounterMetricFamily(
            "auctioneer_forwarded_commands",
            "Commands forwarded to the process owning their auction.",
            value=m.forwarded,
        )
