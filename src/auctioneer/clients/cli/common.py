"""What every client command shares: options, connecting, and failing in one line.

Why: issue 4 asks that errors print one clear line and exit non-zero, for
every command alike. Commands raise (the client library's errors, or
`CliError`) and `run()` turns that into the line and the exit code:

    0  done
    1  the server refused (its wire code and message are printed)
    2  bad input on the command line (an amount, a file, a range)
    3  the server cannot be reached, or the connection was lost
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any, NoReturn, TypeVar

import orjson
import typer
from rich.console import Console

from auctioneer.clients.cli.config import DEFAULT_SERVER, ENV_SERVER, Login, TokenStore
from auctioneer.clients.cli.seen import SeenHashes
from auctioneer.clients.connection import Client
from auctioneer.clients.errors import ClientError, ConnectionLost, RequestFailed
from auctioneer.clients.money import AmountError

__all__ = [
    "IdArg",
    "EXIT_INPUT",
    "EXIT_REFUSED",
    "EXIT_UNREACHABLE",
    "CliError",
    "JsonOpt",
    "ServerOpt",
    "connected",
    "fail",
    "print_json",
    "run",
    "stdout",
]

EXIT_REFUSED = 1
EXIT_INPUT = 2
EXIT_UNREACHABLE = 3

ServerOpt = Annotated[
    str,
    typer.Option(
        "--server",
        envvar=ENV_SERVER,
        help="Server URL: http://HOST:PORT (WebSocket) or tcp://HOST:PORT.",
        show_default=True,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
IdArg = Annotated[int, typer.Argument(help="Auction id.", min=1)]

T = TypeVar("T")


class CliError(Exception):
    """A failure worth one line; `exit_code` as in the module docstring."""

    def __init__(self, message: str, exit_code: int = EXIT_REFUSED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def stdout() -> Console:
    """A console on standard output; plain (no colour codes) when it is not a terminal."""
    return Console(highlight=False, soft_wrap=False)


def fail(message: str, exit_code: int = EXIT_REFUSED) -> NoReturn:
    """Print ``error: message`` on standard error and exit."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    raise typer.Exit(exit_code)


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine and map its failure to one line and an exit code."""
    try:
        return asyncio.run(main)
    except CliError as e:
        fail(str(e), e.exit_code)
    except RequestFailed as e:
        fail(_explain(e), EXIT_REFUSED)
    except AmountError as e:
        fail(f"invalid amount: {e}", EXIT_INPUT)
    except ClientError as e:
        fail(str(e), EXIT_UNREACHABLE)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def _explain(e: RequestFailed) -> str:
    if e.code == "unauthorized" and e.action in ("auth", ""):
        return "unauthorized: your login is no longer valid; run `auctioneer login` again"
    if e.code == "unauthorized":
        return f"unauthorized: {e.message or 'log in first'} (run `auctioneer login`)"
    return str(e)


def print_json(value: object) -> None:
    sys.stdout.write(
        orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n"
    )
    sys.stdout.flush()


@asynccontextmanager
async def connected(
    server: str, *, login: bool = False, url: str | None = None, **client_options: Any
) -> AsyncIterator[Client]:
    """A connected client for one command, authenticated with the stored token.

    Args:
        server: the ``--server`` value; it also picks the stored login.
        login: the command needs a login: fail early, with a hint, without one.
        url: connect here instead of `server` (the room's TCP door).

    Raises:
        CliError: `login` is required and there is no stored login.
        RequestFailed: the stored token was refused (it is then forgotten).
    """
    store = TokenStore()
    stored: Login | None = store.get(server)
    if login and stored is None:
        raise CliError("not logged in: run `auctioneer login USERNAME` first")
    client_options.setdefault("reconnect", False)
    client = Client(url or server or DEFAULT_SERVER, **client_options)
    seen = SeenHashes(server or DEFAULT_SERVER)  # for `auctioneer audit --server`
    client.on_event(seen.on_event)
    await client.connect()
    try:
        if stored is not None:
            try:
                await client.auth(stored.token)
            except RequestFailed as e:
                if e.code == "unauthorized":
                    store.delete(server)
                if login:
                    raise
        yield client
    except ConnectionLost as e:
        raise CliError(f"connection lost: {e}", EXIT_UNREACHABLE) from e
    finally:
        await client.close()
        for auction in list(client.session.book.auctions.values()):
            seen.note_auction(auction)
        seen.save()
