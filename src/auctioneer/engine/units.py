"""Minor units for people: the one formatting rule, a leaf both money.py
(parsing, checking) and errors.py (messages such as "at least 105.00") use,
so neither imports the other.
"""

from __future__ import annotations

__all__ = ["MINOR_PER_MAJOR", "format_amount"]

MINOR_PER_MAJOR = 100


def format_amount(minor: int) -> str:
    """Format minor units for people: 12550 -> "125.50"."""
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), MINOR_PER_MAJOR)
    return f"{sign}{whole}.{frac:02d}"
