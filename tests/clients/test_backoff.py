"""Reconnect delays grow, cap, and jitter reproducibly."""

from __future__ import annotations

import itertools
import random

import pytest

from auctioneer.clients.backoff import backoff

__all__: list[str] = []


def test_backoff_doubles_from_the_initial_delay_up_to_the_cap() -> None:
    delays = list(itertools.islice(backoff(initial=0.5, factor=2, maximum=3), 6))
    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_backoff_jitter_stays_within_its_fraction_and_is_reproducible_with_a_seed() -> None:
    first = list(
        itertools.islice(backoff(initial=1, factor=1, jitter=0.5, rng=random.Random(7)), 20)
    )
    again = list(
        itertools.islice(backoff(initial=1, factor=1, jitter=0.5, rng=random.Random(7)), 20)
    )
    assert first == again
    assert all(0.5 <= d <= 1 for d in first)
    assert len(set(first)) > 1


@pytest.mark.parametrize(
    "kwargs", [{"initial": -1}, {"factor": 0.5}, {"jitter": 2}, {"maximum": -1}]
)
def test_backoff_refuses_nonsense_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        next(backoff(**kwargs))
