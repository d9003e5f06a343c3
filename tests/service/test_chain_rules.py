"""Hypothesis: every log the engine writes passes the bidder's public-rule check.

Random command sequences (the engine's own property strategies) are rendered
and hashed exactly as the write path does, then checked by `clients.verify`:
a rule the checker states that the engine does not keep shows up here.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from auctioneer import engine
from auctioneer.clients.verify import verify_log
from auctioneer.service.chain import Head
from auctioneer.service.publisher import Publisher
from auctioneer.wire import codec
from tests.engine.harness import AuctionHarness
from tests.engine.test_properties import SETTINGS, STEPS, run_step, specs


@settings(SETTINGS, max_examples=50)  # the engine's own property test runs 200 of these
@given(spec=specs(), steps=STEPS)
def test_every_log_the_engine_writes_verifies(
    spec: dict[str, Any], steps: list[tuple[str, int, int]]
) -> None:
    h = AuctionHarness()
    h.create(**spec)
    for step in steps:
        run_step(h, step)
    frames, heads = Publisher.render(
        engine.fold_steps(engine.new_auction(h.auction_id), h.log), Head()
    )
    log = {
        "auction_id": h.auction_id,
        "log_hash": None if heads[-1].log_hash is None else heads[-1].log_hash.hex(),
        "events": [codec.decode(f.data) for f in frames],
    }
    verdict = verify_log(log)
    assert verdict.problems == [], "\n".join(_brief(e) for e in log["events"])


def _brief(event: dict[str, Any]) -> str:
    data = event["data"]
    fields = ("bidder", "amount", "auto", "round", "winner", "price", "reason", "minimum_bid")
    shown = {k: data[k] for k in fields if k in data}
    return f"{event['seq']} {event['event']} {event['at'][11:23]} {shown}"
