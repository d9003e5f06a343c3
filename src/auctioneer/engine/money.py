"""Money is an int of minor units (cents) everywhere; this module is the only
place that turns text into money (the way back, `format_amount`, is in
units.py, which errors.py uses too).

Why not float: 0.1 + 0.2 != 0.3, and a seed program let NaN and Infinity break
auctions for good. The wire carries integers; people type "125.50".
"""

from __future__ import annotations

import re

from auctioneer.engine.errors import InvalidAmount
from auctioneer.engine.units import MINOR_PER_MAJOR, format_amount

__all__ = ["MAX_AMOUNT", "check_amount", "parse_amount"]

MAX_AMOUNT = 10**12
_DECIMAL = re.compile(r"^\s*(\d{1,10})(?:\.(\d{1,2}))?\s*$")


def check_amount(value: object, *, field: str = "amount") -> int:
    """Return `value` if it is an int of minor units in 0..MAX_AMOUNT.

    Raises:
        InvalidAmount: for bools, floats (NaN and Infinity too), strings,
            negatives and values above MAX_AMOUNT.
    """
    if isinstance(value, float) and value.is_integer() and abs(value) > MAX_AMOUNT:
        value = int(value)  # a huge integer that JSON parsing turned into a float
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(
            f"{field} must be an integer number of minor units (e.g. 12550 for 125.50)",
            field=field,
        )
    if value < 0:
        raise InvalidAmount(f"{field} must not be negative", field=field)
    if value > MAX_AMOUNT:
        raise InvalidAmount(
            f"{field} is too large: the most is {format_amount(MAX_AMOUNT)}", field=field
        )
    return value


def parse_amount(text: str) -> int:
    """Parse what a person types, "125.50" or "125", into minor units (12550).

    Raises:
        InvalidAmount: for anything but digits with at most two decimals.
    """
    match = _DECIMAL.match(text)
    if match is None:
        raise InvalidAmount(f"not an amount: {text!r} (write it like 125.50)")
    whole, frac = match.group(1), (match.group(2) or "").ljust(2, "0")
    return check_amount(int(whole) * MINOR_PER_MAJOR + int(frac))
