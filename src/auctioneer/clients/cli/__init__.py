"""The client half of the `auctioneer` command line (Typer + Rich).

Why only `register` is public: `auctioneer.main` owns the app and calls
`register(app)`; everything else here is the commands' own machinery.
"""

from __future__ import annotations

from auctioneer.clients.cli.commands import register

__all__ = ["register"]
