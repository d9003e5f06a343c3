"""Wire times: ISO-8601 UTC with milliseconds and a Z, to and from epoch ms."""

from __future__ import annotations

import pytest

from auctioneer.wire.timefmt import format_time, parse_time


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (12, "1970-01-01T00:00:00.012Z"),
        (1_000, "1970-01-01T00:00:01.000Z"),
        (1_763_719_200_123, "2025-11-21T10:00:00.123Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
    ],
)
def test_format_time_writes_milliseconds_and_a_z(ms: int, text: str) -> None:
    assert format_time(ms) == text


def test_format_time_keeps_none() -> None:
    assert format_time(None) is None


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2025-11-21T10:00:00.123Z", 1_763_719_200_123),
        ("2025-11-21T10:00:00.123z", 1_763_719_200_123),
        ("2025-11-21T10:00:00Z", 1_763_719_200_000),
        ("2025-11-21T10:00:00.123+00:00", 1_763_719_200_123),
        ("2025-11-21T12:00:00.123+02:00", 1_763_719_200_123),
        ("2025-11-21T05:00:00.123-05:00", 1_763_719_200_123),
        ("  2025-11-21T10:00:00.123Z\n", 1_763_719_200_123),
        ("2025-11-21T10:00:00.123999Z", 1_763_719_200_123),
        ("1970-01-01T00:00:00.000Z", 0),
        ("1969-12-31T23:59:59.999Z", -1),
    ],
)
def test_parse_time_reads_iso_8601_with_any_offset(text: str, ms: int) -> None:
    assert parse_time(text) == ms


def test_a_time_without_an_offset_is_utc() -> None:
    assert parse_time("2025-11-21T10:00:00.123") == 1_763_719_200_123


@pytest.mark.parametrize("ms", [0, 1, 999, 1_790_000_000_000, 1_790_000_012_345, 2**41])
def test_format_and_parse_round_trip(ms: int) -> None:
    text = format_time(ms)
    assert text is not None
    assert parse_time(text) == ms


@pytest.mark.parametrize("text", ["", "tomorrow", "2025-13-01T00:00:00Z", "10:00", "2025/11/21"])
def test_parse_time_refuses_what_is_not_a_date_time(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)
