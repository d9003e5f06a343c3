"""Durations, moments, ranges and countdowns as typed on the command line."""

from __future__ import annotations

import pytest

from auctioneer.clients.cli.parsing import (
    format_countdown,
    parse_amount_range,
    parse_duration,
    parse_float_range,
    parse_moment,
)
from auctioneer.clients.money import AmountError

__all__: list[str] = []


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("5m", 300), ("1h30m", 5400)]
)
def test_durations_accept_plain_seconds_and_units(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "5x", "-5"])
def test_durations_reject_other_text(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_moments_are_iso_or_relative_and_always_utc_with_milliseconds() -> None:
    assert parse_moment("+10m", now=0) == "1970-01-01T00:10:00.000Z"
    assert parse_moment("2026-11-21T18:00:00Z") == "2026-11-21T18:00:00.000Z"
    assert parse_moment("2026-11-21T18:00:00") == "2026-11-21T18:00:00.000Z"
    assert parse_moment("2026-11-21T19:00:00+01:00") == "2026-11-21T18:00:00.000Z"
    with pytest.raises(ValueError):
        parse_moment("tomorrow")


def test_amount_ranges_are_one_amount_or_low_dash_high() -> None:
    assert parse_amount_range("150") == (15000, 15000)
    assert parse_amount_range("50-150.50") == (5000, 15050)
    with pytest.raises(AmountError):
        parse_amount_range("150-50")


def test_think_ranges_are_seconds() -> None:
    assert parse_float_range("0.5-2") == (0.5, 2.0)
    assert parse_float_range("1") == (1.0, 1.0)
    for bad in ("x", "2-1", "-1"):
        with pytest.raises(ValueError):
            parse_float_range(bad)


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "-"), (0, "0:00"), (0.2, "0:01"), (65, "1:05"), (3723, "1:02:03")]
)
def test_countdowns_round_up_so_the_last_second_shows(seconds: float | None, text: str) -> None:
    assert format_countdown(seconds) == text
