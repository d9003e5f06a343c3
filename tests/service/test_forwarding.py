"""A forwarded command is the same command on the owner's side, and an
owner's error reaches the client unchanged (service/forwarding.py)."""

from __future__ import annotations

import pytest

from auctioneer.engine import commands as cmd
from auctioneer.engine.errors import BidTooLow, InvalidCommand
from auctioneer.service.actor import Work
from auctioneer.service.errors import RateLimited
from auctioneer.service.forwarding import Relayed, decode_work, encode_work
from auctioneer.wire import codec

COMMANDS = [
    cmd.CreateAuction(
        spec=cmd.AuctionSpec(
            name="Lot",
            starting_bid=1000,
            duration_s=60,
            reserve=5000,
            increments=((0, 100), (10_000, 500)),
            max_extension_s=300,
        ),
        sale_id=3,
        lot=2,
        waits_for_previous=True,
    ),
    cmd.PlaceBid(bidder_id=7, paddle=12, amount=1500),
    cmd.StartAutoBid(bidder_id=7, paddle=12, max_amount=9000),
    cmd.StopAutoBid(bidder_id=7),
    cmd.BuyNow(bidder_id=7, paddle=12),
    cmd.UpdateAuction(public=False, name="New"),
    cmd.EditImages(add=("a", "b"), remove=("c",), order=("b", "a")),
    cmd.CloseAuction(),
    cmd.CancelAuction(),
    cmd.DeleteAuction(),
    cmd.OpenLot(),
    cmd.SetBudget(bidder_id=7, lots_left=1, spend_left=2500),
    cmd.Tick(),
    cmd.Remind(thresholds=(300, 60), watchers=(4, 9)),
]


def test_every_command_of_the_engine_is_covered() -> None:
    kinds = {getattr(cmd, name) for name in cmd.__all__} - {cmd.AuctionSpec, cmd.Command}
    assert {type(c) for c in COMMANDS} == kinds


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: type(c).__name__)
def test_every_command_crosses_the_internal_door_unchanged(command: cmd.Command) -> None:
    work = Work(command, user_id=7, admin=True, request_id="r1", now=123, result="empty")
    # Through the door's own encoding (JSON), as the owner receives it.
    message = codec.decode(codec.encode(encode_work(42, work)))
    auction_id, again = decode_work(message)
    assert auction_id == 42
    assert again.command == command
    assert (again.user_id, again.admin, again.request_id, again.now, again.result) == (
        7,
        True,
        "r1",
        123,
        "empty",
    )


def test_anything_else_is_refused_as_a_bad_request() -> None:
    for message in ({}, {"command": "Shutdown"}, {"command": "PlaceBid", "fields": {"x": 1}}):
        with pytest.raises(InvalidCommand):
            decode_work(message)


@pytest.mark.parametrize("error", [BidTooLow(1100), RateLimited(retry_after_s=2.5)])
def test_the_owners_error_is_relayed_with_its_code_message_and_fields(error: Exception) -> None:
    wire = error.to_wire()  # type: ignore[attr-defined]
    assert Relayed(dict(wire)).to_wire() == wire
