"""Bots against a real server: each lot goes to the highest maximum that bid."""

from __future__ import annotations

from auctioneer.clients.bots.runner import BotConfig, run_bots
from tests.clients.live import Live, unique

__all__: list[str] = []


async def test_twenty_bots_on_three_lots_sell_each_to_the_highest_maximum_that_bid(
    live: Live,
) -> None:
    ids = []
    for _ in range(3):
        made = await live.as_admin(
            "create_auction",
            name=unique("Bot lot "),
            starting_bid=1000,
            min_increment=250,
            countdown_s=3,
        )
        ids.append(made["auction"]["id"])
    config = BotConfig(
        server=live.url,
        count=20,
        probability=0.7,
        max_price=(1000, 4000),
        think=(0.05, 0.25),
        strategy="random",
        auctions=tuple(ids),
        duration=45,
        seed=20261121,
    )
    tally = await run_bots(config)
    print(tally.as_dict())  # shown when the test fails
    assert [b.error for b in tally.bots if b.error] == []
    assert tally.rejected["internal"] == 0
    assert tally.accepted > 0
    for aid in ids:
        final = (await live.as_admin("get_auction", auction_id=aid))["auction"]
        assert final["status"] == "closed", final
        bidders = [b for b in tally.bots if b.sent[aid]]
        top = max(b.maxima[aid] for b in bidders)
        winner = tally.bot_by_paddle(final["winner"])
        assert winner is not None, final
        assert winner.maxima[aid] == top
        assert final["price"] <= top
        assert (aid, 1) in winner.won
    assert tally.won == 3


async def test_proxy_bots_leave_the_bidding_to_the_server(live: Live) -> None:
    made = await live.as_admin(
        "create_auction",
        name=unique("Proxy lot "),
        starting_bid=1000,
        min_increment=100,
        countdown_s=3,
    )
    aid = made["auction"]["id"]
    config = BotConfig(
        server=live.url, count=3, max_price=(2000, 6000), think=(0.05, 0.1), strategy="proxy",
        auctions=(aid,), duration=30, seed=3,
    )  # fmt: skip
    tally = await run_bots(config)
    final = (await live.as_admin("get_auction", auction_id=aid))["auction"]
    winner = tally.bot_by_paddle(final["winner"])
    assert winner is not None and winner.maxima[aid] == max(b.maxima[aid] for b in tally.bots)
    assert sum(sum(b.sent.values()) for b in tally.bots) == 3  # one auto-bid each
