"""Automated bidders: pure strategies, an asyncio runner, and a Rich progress view.

Why a package: `auctioneer bots` and the benchmarks' load generator share it.
"""

from __future__ import annotations

from auctioneer.clients.bots.runner import BotConfig, BotStats, Tally, new_tally, run_bots
from auctioneer.clients.bots.strategies import (
    STRATEGIES,
    BotView,
    LotView,
    PlaceBid,
    StartAutoBid,
    StrategyParams,
    pick_max,
)

__all__ = [
    "STRATEGIES",
    "BotConfig",
    "BotStats",
    "BotView",
    "LotView",
    "PlaceBid",
    "StartAutoBid",
    "StrategyParams",
    "Tally",
    "new_tally",
    "pick_max",
    "run_bots",
]
