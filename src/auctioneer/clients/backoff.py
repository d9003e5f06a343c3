"""Reconnect delays as a pure generator.

Why pure: the reconnect loop in `connection.py` and the bots' runner only
sleep for whatever this yields, so the schedule can be tested without a clock
or a network (after the ``backoff()`` of websockets' ``client.py``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

__all__ = ["backoff"]


def backoff(
    *,
    initial: float = 0.1,
    factor: float = 2.0,
    maximum: float = 5.0,
    jitter: float = 0.0,
    rng: random.Random | None = None,
) -> Iterator[float]:
    """Yield reconnect delays in seconds: ``initial``, then times ``factor``, capped.

    Args:
        initial: the first delay.
        factor: growth between two attempts (at least 1).
        maximum: no delay exceeds this, jitter included.
        jitter: a fraction in [0, 1]: each delay is multiplied by a random value
            in ``[1 - jitter, 1]`` so that many clients cut off together do not
            come back together. Needs ``rng`` to stay reproducible.
        rng: the random source for jitter; a fresh unseeded one if None.

    Raises:
        ValueError: on a negative delay, a factor below 1 or jitter outside [0, 1].
    """
    if initial < 0 or maximum < 0:
        raise ValueError("delays must not be negative")
    if factor < 1:
        raise ValueError("factor must be at least 1")
    if not 0 <= jitter <= 1:
        raise ValueError("jitter must be within [0, 1]")
    source = rng if rng is not None else random.Random()
    delay = min(initial, maximum)
    while True:
        yield delay * (1 - jitter * source.random()) if jitter else delay
        delay = min(delay * factor, maximum)
