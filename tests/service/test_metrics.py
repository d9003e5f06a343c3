"""service/metrics.py: the loop-lag sampler sees a loop held up, and only then."""

from __future__ import annotations

import asyncio
import time

from auctioneer.service.metrics import Metrics


def _lags(metrics: Metrics) -> tuple[float, float]:
    """(count, sum) of the loop-lag histogram as recorded so far."""
    samples = {s.name: s.value for s in metrics.loop_lag.collect()[0].samples}
    return (
        samples["auctioneer_event_loop_lag_seconds_count"],
        samples["auctioneer_event_loop_lag_seconds_sum"],
    )


async def test_the_loop_lag_is_how_late_the_timer_woke() -> None:
    metrics = Metrics()
    sampler = asyncio.create_task(metrics.sample_loop_lag(every_s=0.005))
    await asyncio.sleep(0.06)  # a free loop: the timer wakes about on time
    count, total = _lags(metrics)
    assert count >= 5 and total / count < 0.004
    time.sleep(0.05)  # the loop held for 50 ms, as by a long callback
    await asyncio.sleep(0.02)
    sampler.cancel()
    count_after, total_after = _lags(metrics)
    assert count_after > count
    assert total_after - total >= 0.04  # the held tick woke about 45 ms late


def test_a_histogram_scrape_counts_each_value_in_every_bucket_at_or_above_it() -> None:
    metrics = Metrics()
    for seconds in (0.0005, 0.0006, 0.003, 9.0):  # on a bound, inside, past the last
        metrics.commit.observe(seconds)
    lines = metrics.render().decode().splitlines()
    series = dict(line.rsplit(" ", 1) for line in lines if line.startswith("auctioneer_commit"))
    prefix = "auctioneer_commit_seconds_bucket"
    assert float(series[prefix + '{le="0.0005"}']) == 1  # `le` is "at most"
    assert float(series[prefix + '{le="0.001"}']) == 2
    assert float(series[prefix + '{le="0.005"}']) == 3
    assert float(series[prefix + '{le="5.0"}']) == 3
    assert float(series[prefix + '{le="+Inf"}']) == 4
    assert float(series["auctioneer_commit_seconds_count"]) == 4
    assert abs(float(series["auctioneer_commit_seconds_sum"]) - 9.0041) < 1e-9
