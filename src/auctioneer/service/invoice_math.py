"""The money of an invoice: buyer's premium in bands, tax, totals (pure functions).

No I/O, no clock, no floats: every amount is an int in minor units and every
rate an int in basis points (1 bp = 0.01 %, so 20 % is 2000 bp). The rules,
stated once here and in docs/invoices.md:

- Premium bands apply by slice, as auction houses state them ("25 % of the
  hammer price up to 1,000.00, 20 % of the part above"): band i covers the
  hammer price from its `start` up to the next band's start, and its rate
  applies to that slice only. One band from 0 is a flat percentage.
- The premium is rounded ONCE, after adding the exact slices:
  premium = round_half_up(sum(slice_i * rate_i) / 10,000).
- Each tax is rounded once on its own base: tax on premium =
  round_half_up(premium * rate / 10,000), tax on hammer =
  round_half_up(hammer * rate / 10,000); tax = their sum.
- Rounding is half up (a half minor unit goes to the larger amount); every
  amount here is non-negative, so that is also "half away from zero".
- total = hammer + premium + tax, exactly: the lines always add up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "BASIS",
    "Band",
    "Terms",
    "Totals",
    "invoice_totals",
    "parse_bands",
    "parse_rate",
    "premium_of",
    "round_half_up",
]

BASIS = 10_000  # basis points in 100 %
MAX_RATE_BP = 100 * 100  # no rate above 100 %
_RATE = re.compile(r" *([0-9]{1,3})(?:\.([0-9]{1,2}))? *%? *")


@dataclass(frozen=True, slots=True)
class Band:
    """From `start` (minor units of hammer price) on, `rate_bp` of each unit."""

    start: int
    rate_bp: int


@dataclass(frozen=True, slots=True)
class Terms:
    """A house's buyer's premium and tax rates.

    Raises (on construction):
        ValueError: bands empty, not starting at 0, not increasing, or a rate
            outside 0..100 %.
    """

    bands: tuple[Band, ...] = (Band(0, 0),)
    tax_on_premium_bp: int = 0
    tax_on_hammer_bp: int = 0

    def __post_init__(self) -> None:
        if not self.bands or self.bands[0].start != 0:
            raise ValueError("the first premium band must start at 0")
        for before, after in zip(self.bands, self.bands[1:], strict=False):
            if after.start <= before.start:
                raise ValueError("premium bands must start at increasing hammer prices")
        rates = [b.rate_bp for b in self.bands] + [self.tax_on_premium_bp, self.tax_on_hammer_bp]
        if any(not 0 <= r <= MAX_RATE_BP for r in rates):
            raise ValueError("rates must be between 0 and 100 %")


@dataclass(frozen=True, slots=True)
class Totals:
    """The lines of one invoice, all in minor units."""

    hammer: int
    premium: int
    tax_on_premium: int
    tax_on_hammer: int

    @property
    def tax(self) -> int:
        return self.tax_on_premium + self.tax_on_hammer

    @property
    def total(self) -> int:
        return self.hammer + self.premium + self.tax


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest int, a half going up.

    Raises:
        ValueError: a negative numerator or a denominator below 1.
    """
    if numerator < 0 or denominator < 1:
        raise ValueError("round_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def premium_of(hammer: int, bands: Sequence[Band]) -> int:
    """The buyer's premium on `hammer`, by slices, rounded once (see the module rules)."""
    if hammer < 0:
        raise ValueError("a hammer price is never negative")
    exact = 0  # in minor units x BASIS
    for i, band in enumerate(bands):
        end = bands[i + 1].start if i + 1 < len(bands) else None
        top = hammer if end is None else min(hammer, end)
        if top > band.start:
            exact += (top - band.start) * band.rate_bp
    return round_half_up(exact, BASIS)


def invoice_totals(hammer: int, terms: Terms) -> Totals:
    """Premium, taxes and total for a purchase at `hammer` (minor units).

    Raises:
        ValueError: a negative hammer price.
    """
    premium = premium_of(hammer, terms.bands)
    return Totals(
        hammer=hammer,
        premium=premium,
        tax_on_premium=round_half_up(premium * terms.tax_on_premium_bp, BASIS),
        tax_on_hammer=round_half_up(hammer * terms.tax_on_hammer_bp, BASIS),
    )


def parse_rate(text: str) -> int:
    """A percentage as people write it ("20", "12.5", "7.25%") in basis points.

    Raises:
        ValueError: not a percentage with at most two decimals in 0..100.
    """
    match = _RATE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a percentage with at most two decimals: {text!r}")
    whole, frac = match.group(1), (match.group(2) or "").ljust(2, "0")
    bp = int(whole) * 100 + int(frac)
    if bp > MAX_RATE_BP:
        raise ValueError(f"a rate above 100 %: {text!r}")
    return bp


def parse_bands(text: str) -> tuple[Band, ...]:
    """Premium bands: "20" (flat) or "25,20@100000,12@4500000".

    Each item is RATE or RATE@FROM, FROM being the hammer price in minor units
    where the band starts; the first band starts at 0 (its "@0" may be left
    out). An empty text means no premium.

    Raises:
        ValueError: a malformed item, or bands that do not start at 0 and increase.
    """
    if not text.strip():
        return (Band(0, 0),)
    bands: list[Band] = []
    for i, item in enumerate(text.split(",")):
        rate, at, start = item.partition("@")
        if at:
            if not start.strip().isascii() or not start.strip().isdigit():
                raise ValueError(f"a band must start at whole minor units: {item.strip()!r}")
            begin = int(start)
        elif i == 0:
            begin = 0
        else:
            raise ValueError(f"every band after the first needs @FROM: {item.strip()!r}")
        bands.append(Band(begin, parse_rate(rate)))
    Terms(bands=tuple(bands))  # checks order and rates
    return tuple(bands)
