"""Benchmarks of issue 6: the load generator, the floor server and `make bench`.

Why a package outside `src/`: the harness measures Auctioneer from the outside,
as a client would, and must not import the product (it starts it as a
subprocess). Entry point: `python -m bench.run`.
"""

from __future__ import annotations

__all__: list[str] = []
