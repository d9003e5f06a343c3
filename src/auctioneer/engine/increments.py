"""Increment bands (eBay's bid increment table): the raise a bid needs, by price.

An auction may give `increments`, a table of `(from, increment)` pairs: at a
current price of `from` or more (up to the next band's `from`) the next bid
must be at least `increment` higher. Without a table the fixed
`min_increment` holds everywhere, as before. The minimum bid
(`bidding.minimum_bid`) and proxy bidding (`proxy.resolve`, where the winner
pays the runner-up's maximum plus the increment at that maximum) both ask
`increment_at`, so the two can never disagree.

Decisions the protocol leaves open:

- The band is chosen by the price being raised (the current bid; for a proxy
  answer, the runner-up's maximum), as eBay does.
- A table has 1 to `MAX_BANDS` bands; the first starts at 0; `from` values
  strictly ascend; every `from` and `increment` is an integer number of minor
  units (`from` in 0..10^12, `increment` in 1..10^12). A broken table is
  refused with `bad_request` and `field: "increments"`, naming the band.
- With a table, the stored `min_increment` is the increment at the starting
  bid (what the first raise needs), so older clients that read only
  `min_increment` still show a sensible step.
"""

from __future__ import annotations

from bisect import bisect_right

from auctioneer.engine.commands import AuctionSpec
from auctioneer.engine.errors import InvalidCommand
from auctioneer.engine.money import MAX_AMOUNT

__all__ = ["MAX_BANDS", "Bands", "increment_at", "validate_increments"]

MAX_BANDS = 20

Bands = tuple[tuple[int, int], ...]


def _whole(value: object, lowest: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lowest <= value <= MAX_AMOUNT


def validate_increments(table: object) -> Bands:
    """Check an increment table and return it as a tuple of `(from, increment)`.

    Raises:
        InvalidCommand: not a list of 1-20 pairs, the first not from 0, `from`
            not strictly ascending, or a value that is not whole minor units
            in range; `field` is "increments", `band` the 0-based index.
    """
    if not isinstance(table, tuple | list) or not 1 <= len(table) <= MAX_BANDS:
        raise InvalidCommand(f"increments must list 1 to {MAX_BANDS} bands", field="increments")
    bands: list[tuple[int, int]] = []
    for index, band in enumerate(table):
        if not isinstance(band, tuple | list) or len(band) != 2:
            raise InvalidCommand(
                "each increment band is a price and an increment", field="increments", band=index
            )
        start, step = band
        if not _whole(start, 0) or not _whole(step, 1):
            raise InvalidCommand(
                "an increment band's price and increment must be whole minor units "
                "(increment at least 1)",
                field="increments",
                band=index,
            )
        if index == 0 and start != 0:
            raise InvalidCommand(
                "the first increment band starts at 0", field="increments", band=index
            )
        if bands and start <= bands[-1][0]:
            raise InvalidCommand(
                "increment bands must start at ascending prices", field="increments", band=index
            )
        bands.append((start, step))
    return tuple(bands)


def increment_at(spec: AuctionSpec, price: int) -> int:
    """The raise a bid needs over `price`: its band's increment, else `min_increment`."""
    bands = spec.increments
    if not bands:
        return spec.min_increment
    index = bisect_right(bands, price, key=lambda band: band[0]) - 1
    return bands[max(index, 0)][1]
