"""Wire times: ISO-8601 UTC with milliseconds and a `Z` (docs/protocol.md).

The engine counts epoch milliseconds; only the wire speaks ISO strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

__all__ = ["format_time", "parse_time"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def format_time(ms: int | None) -> str | None:
    """12 -> "1970-01-01T00:00:00.012Z"; None stays None."""
    if ms is None:
        return None
    return _format(ms)


@lru_cache(maxsize=8192)
def _format(ms: int) -> str:
    """Cached: the same few times (ends_at, created_at) are formatted for every bid."""
    seconds, millis = divmod(ms, 1000)
    return f"{_stamp(seconds)}.{millis:03d}Z"


@lru_cache(maxsize=1024)
def _stamp(seconds: int) -> str:
    """Cached by the second: each bid's own `at` is a new millisecond but rarely a
    new second, and `strftime` was most of the cost of formatting it."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_time(text: str) -> int:
    """Parse an ISO-8601 time into epoch ms. A time without an offset is UTC.

    Raises:
        ValueError: if `text` is not an ISO-8601 date-time.
    """
    value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
