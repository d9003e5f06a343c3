"""Server-side commands of the `auctioneer` CLI: `serve` and `user add`."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add `serve` and `user` to the command line."""

    @app.command()
    def serve() -> None:
        """Run the auction server (arrives with issue 3)."""
        typer.echo("The server arrives with the next capability (issue 3).")
