"""`auctioneer register | login | logout [--everywhere] | passwd`: accounts and the stored token.

Why registering also logs in: a new user's next step is always to bid, and
the token file (config.TokenStore, mode 0600) is what every later command
reads; asking for the password twice in a row would only annoy.
"""

from __future__ import annotations

from typing import Annotated

import typer

from auctioneer.clients.cli.common import CliError, ServerOpt, connected, run, stdout
from auctioneer.clients.cli.config import DEFAULT_SERVER, Login, TokenStore
from auctioneer.clients.connection import Client
from auctioneer.clients.errors import RequestFailed

__all__ = ["change_password", "login", "logout", "register", "register_account"]

PasswordOpt = Annotated[
    str,
    typer.Option(
        "--password",
        "-p",
        prompt=True,
        hide_input=True,
        envvar="AUCTIONEER_PASSWORD",
        help="Asked for when left out.",
    ),
]


async def _doors(client: Client) -> list[str]:
    """The other addresses of this server (its HTTP and TCP doors), as `ping` names them."""
    try:
        doors = (await client.request("ping")).get("doors") or {}
    except RequestFailed:  # an older server: the login is kept under --server only
        return []
    return [str(url) for url in doors.values() if isinstance(url, str)]


def _welcome(login: Login) -> str:
    paddle = f"paddle #{login.paddle}" if login.paddle is not None else "no paddle"
    return f"{login.username} ({paddle}{', admin' if login.role == 'admin' else ''})"


def register_account(
    username: Annotated[str, typer.Argument(help="3-32 letters, digits, _ . -")],
    password: Annotated[
        str,
        typer.Option(
            "--password",
            "-p",
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="AUCTIONEER_PASSWORD",
            help="At least 8 characters; asked for when left out.",
        ),
    ],
    server: ServerOpt = DEFAULT_SERVER,
    email: Annotated[
        str | None,
        typer.Option("--email", help="Your e-mail address (a link to confirm it is mailed)."),
    ] = None,
) -> None:
    """Create an account and log in with it."""

    async def main() -> None:
        async with connected(server) as client:
            if email is None:
                await client.register(username, password)
            else:
                await client.request("register", username=username, password=password, email=email)
            login = Login.from_reply(await client.login(username, password))
            aliases = await _doors(client)
        TokenStore().save(server, login, aliases=aliases)
        stdout().print(f"Registered and logged in as {_welcome(login)}.")

    run(main())


def login(
    username: Annotated[str, typer.Argument(help="Your user name.")],
    password: PasswordOpt,
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Log in and keep the token in your config folder (mode 0600)."""

    async def main() -> None:
        async with connected(server) as client:
            login = Login.from_reply(await client.login(username, password))
            aliases = await _doors(client)
        TokenStore().save(server, login, aliases=aliases)
        stdout().print(f"Logged in as {_welcome(login)}.")

    run(main())


def logout(
    server: ServerOpt = DEFAULT_SERVER,
    everywhere: Annotated[
        bool,
        typer.Option(
            "--everywhere",
            help="End every session of your account (browsers, bots), not just this.",
        ),
    ] = False,
) -> None:
    """Log out: the token stops working and is deleted."""
    store = TokenStore()
    stored = store.get(server)
    if stored is None:
        run(_raise(CliError("not logged in")))
        return

    async def main() -> None:
        try:
            async with connected(server, login=True) as client:
                if everywhere:
                    await client.logout_everywhere()
                else:
                    await client.logout()
        except RequestFailed as e:
            if e.code != "unauthorized" or everywhere:
                raise
        store.delete(server)
        who = " " + stored.username if stored.username else ""
        stdout().print(f"Logged out{who}{' everywhere' if everywhere else ''}.")

    run(main())


def change_password(
    old_password: Annotated[
        str,
        typer.Option(
            "--old-password",
            prompt="Current password",
            hide_input=True,
            help="Your current password; asked for when left out.",
        ),
    ],
    new_password: Annotated[
        str,
        typer.Option(
            "--new-password",
            prompt="New password",
            hide_input=True,
            confirmation_prompt=True,
            help="At least 8 characters and hard to guess; asked for when left out.",
        ),
    ],
    server: ServerOpt = DEFAULT_SERVER,
) -> None:
    """Change your password; your other sessions end, this login stays."""

    async def main() -> None:
        async with connected(server, login=True) as client:
            await client.change_password(old_password, new_password)
        stdout().print("Password changed; your other sessions were logged out.")

    run(main())


async def _raise(error: Exception) -> None:
    raise error


def register(app: typer.Typer) -> None:
    """Add `register`, `login`, `logout` and `passwd` to `app`."""
    app.command("register")(register_account)
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("passwd")(change_password)
