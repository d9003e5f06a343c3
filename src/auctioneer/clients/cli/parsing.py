"""Turning what people type on the command line into protocol values.

Why separate from the commands: these are pure functions (amounts, ranges,
durations, moments) with sharp edges worth unit tests of their own, and the
room, the admin commands and the bots all share them.
"""

from __future__ import annotations

import re
import time
from datetime import datetime

from auctioneer.clients.money import AmountError, parse_amount
from auctioneer.clients.session import format_time

__all__ = [
    "format_countdown",
    "parse_amount_range",
    "parse_duration",
    "parse_float_range",
    "parse_increments",
    "parse_moment",
    "plural",
]

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)", re.ASCII)  # ASCII digits only


def plural(count: int, noun: str) -> str:
    """``1 lot``, ``2 lots``: a count with its noun, as people write it."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def parse_duration(text: str) -> int:
    """``"90"``, ``"90s"``, ``"5m"``, ``"1h30m"`` to whole seconds.

    Raises:
        ValueError: empty, negative, or not of that form.
    """
    raw = text.strip().lower().replace(" ", "")
    if not raw:
        raise ValueError("empty duration")
    pos, total = 0, 0.0
    while pos < len(raw):
        m = _PART.match(raw, pos)
        if not m or m.end() == pos:
            raise ValueError(f"not a duration: {text!r} (try 90, 90s, 5m or 1h30m)")
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    return round(total)


def parse_moment(text: str, *, now: float | None = None) -> str:
    """An ISO time, or ``+5m`` from now, to the wire form (UTC, ms, ``Z``).

    A naive ISO time is taken as UTC, as everything on the wire is.

    Raises:
        ValueError: neither form.
    """
    raw = text.strip()
    if raw.startswith("+"):
        base = time.time() if now is None else now
        return format_time(base + parse_duration(raw[1:]))
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time: {text!r} (try 2026-11-21T18:00:00Z or +10m)") from None
    if moment.tzinfo is None:
        return format_time(datetime.fromisoformat(raw + "+00:00").timestamp())
    return format_time(moment.timestamp())


def parse_amount_range(text: str) -> tuple[int, int]:
    """``"150"`` or ``"50-150.50"`` to minor units ``(low, high)``.

    Raises:
        AmountError: a bad amount, or low above high.
    """
    low_text, sep, high_text = text.partition("-")
    low = parse_amount(low_text)
    high = parse_amount(high_text) if sep else low
    if low > high:
        raise AmountError(f"empty range: {text!r}")
    return low, high


def _price_from(value: object) -> int:
    """A band's starting price: an amount, or zero (the first band starts at 0)."""
    if str(value).strip() in ("0", "0.0", "0.00"):
        return 0
    return parse_amount(value)  # type: ignore[arg-type]


def parse_increments(value: object) -> list[dict[str, int]]:
    """An increment table as people write it, to the wire's ``[{from, increment}]``.

    Takes ``"0:0.05, 1:0.25, 5:0.50"`` (FROM:STEP pairs, amounts as everywhere
    on the command line), a list of such strings or of ``[from, step]`` pairs,
    a list of ``{from, increment}`` mappings (sale files), or a mapping
    ``{from: step}``. The server checks the table's order and size.

    Raises:
        ValueError: a band that is not two amounts.
    """
    if isinstance(value, str):
        items: list[object] = [part for part in value.split(",") if part.strip()]
    elif isinstance(value, dict):
        items = [[start, step] for start, step in value.items()]
    elif isinstance(value, list):
        items = list(value)
    else:
        raise ValueError("increments: give FROM:STEP pairs, e.g. 0:0.05,1:0.25,5:0.50")
    bands = []
    for item in items:
        if isinstance(item, str):
            start, sep, step = item.partition(":")
            if not sep:
                raise ValueError(f"not a band: {item.strip()!r} (try 1:0.25, from 1.00 up by 0.25)")
        elif isinstance(item, dict) and {"from", "increment"} <= item.keys():
            start, step = item["from"], item["increment"]
        elif isinstance(item, list | tuple) and len(item) == 2:
            start, step = item
        else:
            raise ValueError(f"not a band: {item!r} (give from and increment)")
        try:
            bands.append({"from": _price_from(start), "increment": parse_amount(step)})
        except AmountError as e:
            raise ValueError(f"band {start}:{step}: {e}") from None
    if not bands:
        raise ValueError("increments: give at least one FROM:STEP band")
    return bands


def parse_float_range(text: str) -> tuple[float, float]:
    """``"0.5-2"`` or ``"1"`` to seconds ``(low, high)``.

    Raises:
        ValueError: not numbers, negative, or low above high.
    """
    low_text, sep, high_text = text.partition("-")
    try:
        low = float(low_text)
        high = float(high_text) if sep else low
    except ValueError:
        raise ValueError(f"not a range of seconds: {text!r} (try 0.5-2)") from None
    if low < 0 or low > high:
        raise ValueError(f"not a range of seconds: {text!r} (try 0.5-2)")
    return low, high


def format_countdown(seconds: float | None) -> str:
    """Seconds left as ``1:02:03``, ``4:05`` or ``0:09``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    left = max(0, int(seconds + 0.999))  # 0.2 s left still shows 0:01
    hours, rest = divmod(left, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"
