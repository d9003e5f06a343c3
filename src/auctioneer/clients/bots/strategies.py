"""Bidding strategies: pure functions from what a bot sees to what it does.

Why pure: a strategy decides, the runner
does the I/O. Randomness comes in as a `roll` the runner draws, so every
decision is a plain function of its input and is tested without a server:

- ``random``: the seed's bidder. Each turn, with a set probability, bid the
  lowest valid amount, as long as it is within the bot's maximum for that
  lot; stop once the price has passed it. Never bid against itself.
- ``sniper``: wait, then bid only in the last seconds before the end.
- ``proxy``: hand the maximum to the server once, as an auto-bid, and let
  the server bid for it (docs/protocol.md rule 3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "STRATEGIES",
    "Action",
    "BotView",
    "LotView",
    "PlaceBid",
    "StartAutoBid",
    "Strategy",
    "StrategyParams",
    "pick_max",
    "proxy",
    "random_bidder",
    "sniper",
]


@dataclass(frozen=True, slots=True)
class LotView:
    """A lot as the bot sees it now."""

    auction_id: int
    status: str
    starting_bid: int
    min_increment: int
    current_bid: int | None
    leader: str | None
    round: int = 1
    seconds_left: float | None = None  # None: no deadline yet (countdown not started)
    # The server's `minimum_bid` (None: not stated, e.g. not open): bots never
    # recompute the bidding rule, they bid what the server says is the minimum.
    minimum_bid: int | None = None


@dataclass(frozen=True, slots=True)
class BotView:
    """Everything a strategy may look at for one lot on one turn."""

    lot: LotView
    me: str  # my paddle, "#7"
    my_max: int
    roll: float  # uniform in [0, 1), drawn by the runner for this turn
    auto_max: int | None = None  # the auto-bid maximum already set on this round


@dataclass(frozen=True, slots=True)
class StrategyParams:
    probability: float = 0.7
    snipe_window_s: float = 3.0


@dataclass(frozen=True, slots=True)
class PlaceBid:
    auction_id: int
    amount: int


@dataclass(frozen=True, slots=True)
class StartAutoBid:
    auction_id: int
    max_amount: int


Action = PlaceBid | StartAutoBid
Strategy = Callable[[BotView, StrategyParams], Action | None]


def _bid_now(view: BotView) -> int | None:
    """The server's minimum when I may bid it now (open, not leading, within my max)."""
    lot = view.lot
    minimum = lot.minimum_bid
    if lot.status != "open" or lot.leader == view.me or minimum is None or minimum > view.my_max:
        return None
    return minimum


def random_bidder(view: BotView, params: StrategyParams) -> Action | None:
    """The seed's bot: with `probability`, bid the minimum while it is within my max."""
    amount = _bid_now(view)
    if amount is None or view.roll >= params.probability:
        return None
    return PlaceBid(view.lot.auction_id, amount)


def sniper(view: BotView, params: StrategyParams) -> Action | None:
    """Bid the minimum only within the last `snipe_window_s` seconds."""
    left = view.lot.seconds_left
    amount = _bid_now(view)
    if left is None or left > params.snipe_window_s or amount is None:
        return None
    return PlaceBid(view.lot.auction_id, amount)


def proxy(view: BotView, params: StrategyParams) -> Action | None:
    """Set an auto-bid at my max once per round; the server does the rest."""
    lot = view.lot
    if lot.status != "open" or (view.auto_max is not None and view.auto_max >= view.my_max):
        return None
    if lot.leader != view.me and (lot.minimum_bid is None or lot.minimum_bid > view.my_max):
        return None
    return StartAutoBid(lot.auction_id, view.my_max)


STRATEGIES: dict[str, Strategy] = {"random": random_bidder, "sniper": sniper, "proxy": proxy}


def pick_max(low: int, high: int, *, starting_bid: int, min_increment: int, roll: float) -> int:
    """A bot's maximum for one lot, uniform in [low, high], on the lot's bid grid.

    Rounding down to ``starting_bid + k * min_increment`` keeps maxima that
    differ at all at least one increment apart, so with minimum bids the
    highest maximum can always outbid the next one.
    """
    raw = low + int((high - low + 1) * roll) if high > low else low
    raw = min(raw, high)
    if raw < starting_bid or min_increment <= 0:
        return raw
    return starting_bid + (raw - starting_bid) // min_increment * min_increment
