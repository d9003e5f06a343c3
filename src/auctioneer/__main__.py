"""`python -m auctioneer` runs the same command line as `auctioneer`."""

from __future__ import annotations

from auctioneer.main import app

__all__: list[str] = []

if __name__ == "__main__":
    app()
