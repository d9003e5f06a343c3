"""Every failure becomes one line on standard error and a documented exit code."""

from __future__ import annotations

import pytest
import typer

from auctioneer.clients.cli.common import CliError, run
from auctioneer.clients.errors import ConnectFailed, RequestFailed
from auctioneer.clients.money import AmountError

__all__: list[str] = []


async def raising(error: Exception) -> None:
    raise error


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (RequestFailed("bid_too_low", "Bid must be at least 1.00", {}, "place_bid"), 1,
         "error: bid_too_low: Bid must be at least 1.00"),
        (RequestFailed("unauthorized", "", {}, "auth"), 1,
         "error: unauthorized: your login is no longer valid; run `auctioneer login` again"),
        (AmountError("not an amount: 'x'"), 2, "error: invalid amount: not an amount: 'x'"),
        (CliError("not logged in"), 1, "error: not logged in"),
        (ConnectFailed("http://h:1", "refused"), 3,
         "error: cannot reach the server at http://h:1: refused"),
    ],
)  # fmt: skip
def test_failures_map_to_one_line_and_an_exit_code(
    error: Exception, code: int, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as info:
        run(raising(error))
    assert info.value.exit_code == code
    assert capsys.readouterr().err == line + "\n"


def test_a_successful_command_returns_its_value() -> None:
    async def answer() -> int:
        return 42

    assert run(answer()) == 42
