"""Amounts as people type them (``125.50``) and as the wire carries them (``12550``).

Why a module of its own: docs/protocol.md keeps money in integer minor units, while
every human-facing client (the command line, the room, the bots' summaries)
reads and prints major units with two decimals. Doing that conversion with
``Decimal`` in one place means no client ever rounds a float.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["MAX_AMOUNT", "AmountError", "format_amount", "parse_amount"]

#: The largest amount the wire accepts (docs/protocol.md "Money, time, identity").
MAX_AMOUNT = 10**12

_MINOR_PER_MAJOR = 100
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


class AmountError(ValueError):
    """A typed amount is not a valid price (``12a``, ``-3``, ``1.234``)."""


def parse_amount(text: str | int | float | Decimal) -> int:
    """Turn ``"125.50"`` (major units) into ``12550`` (minor units).

    Accepts an optional thousands separator (``1,250.00``) and surrounding
    spaces. Numbers from a YAML or JSON file are read through their text form,
    so ``10.1`` means ten and ten cents, never 10.0999...

    Raises:
        AmountError: not ASCII digits with an optional point (``1e2``, other scripts' digits),
            negative, zero, more than two decimals, or above ``MAX_AMOUNT``
            minor units.
    """
    if isinstance(text, bool):
        raise AmountError(f"not an amount: {text!r}")
    raw = str(text).strip().replace(",", "").replace("_", "")
    negative = raw.startswith("-")
    digits = raw[1:] if negative or raw.startswith("+") else raw
    # ASCII digits and one point only: Decimal would also read "1e2", "Infinity"
    # and other scripts' digits, which are not how anyone writes a price here.
    if not _NUMBER.fullmatch(digits):
        raise AmountError(f"not an amount: {text!r} (write it like 125.50)")
    if negative:
        raise AmountError(f"a negative amount: {text!r} (amounts are positive, like 125.50)")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        raise AmountError(f"not an amount: {text!r}") from None
    if not value.is_finite():
        raise AmountError(f"not an amount: {text!r}")
    minor = value * _MINOR_PER_MAJOR
    if minor != minor.to_integral_value():
        raise AmountError(f"at most two decimals: {text!r}")
    result = int(minor)
    if result <= 0:
        raise AmountError(f"must be positive: {text!r}")
    if result > MAX_AMOUNT:
        raise AmountError(f"too large: {text!r}")
    return result


def format_amount(minor: int | None, *, empty: str = "-") -> str:
    """Turn ``12550`` into ``"125.50"`` (and ``None`` into ``empty``)."""
    if minor is None:
        return empty
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(int(minor)), _MINOR_PER_MAJOR)
    return f"{sign}{whole:,}.{cents:02d}"
