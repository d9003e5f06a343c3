"""The bots' summary shows the counters, the reasons, and who leads each lot."""

from __future__ import annotations

from collections import Counter

from rich.console import Console

from auctioneer.clients.bots.progress import render_tally
from auctioneer.clients.bots.runner import BotStats, Tally

__all__: list[str] = []


def test_the_summary_names_the_winning_bot_and_counts_rejections_by_reason() -> None:
    a = BotStats(0, "bot-x-000", "#3", {1: 5000}, Counter({1: 4}), 3, Counter({"bid_too_low": 1}))
    b = BotStats(
        1, "bot-x-001", "#4", {1: 2000}, Counter({1: 2}), 1, Counter({"already_leading": 1})
    )
    a.won.add((1, 1))
    tally = Tally([a, b])
    tally.observe(
        {"id": 1, "name": "Vase", "status": "closed", "winner": "#3", "price": 2100, "seq": 9}
    )
    console = Console(width=120, record=True, color_system=None)
    console.print(render_tally(tally))
    text = console.export_text()
    assert "bid_too_low" in text and "already_leading" in text
    assert "bot-x-000" in text and "50.00" in text and "21.00" in text
    assert tally.as_dict()["won"] == 1
    assert tally.as_dict()["rejected"] == {"bid_too_low": 1, "already_leading": 1}
