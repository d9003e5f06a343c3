"""The last hash of each auction's log this user saw live, kept between runs.

`auctioneer audit --server URL ID` checks that the log the server shows
later still holds it: a log rewritten after you watched or bid no longer
does. Kept per server in ``seen.json`` in the config folder
(``{server: {auction id: [seq, hash]}}``); the newest seq wins.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import orjson

from auctioneer.clients.book import auction_id_of_topic
from auctioneer.clients.cli.config import config_dir, server_key
from auctioneer.clients.session import Event

__all__ = ["SeenHashes"]


class SeenHashes:
    """Hashes seen in this run (events, auction objects), saved at its end."""

    def __init__(self, server: str, directory: Path | None = None) -> None:
        self.server = server_key(server)
        self.path = (directory or config_dir()) / "seen.json"
        self.fresh: dict[int, tuple[int, str]] = {}

    def on_event(self, event: Event) -> None:
        auction_id = auction_id_of_topic(event.topic)
        if auction_id is not None and event.hash and event.seq is not None:
            self.note(auction_id, event.seq, event.hash)

    def note_auction(self, auction: dict[str, Any]) -> None:
        """An auction object's head (`log_hash`, at its `seq`), unless an event of
        it was seen (a kept object's seq moves with events, its log_hash does not)."""
        aid, seq, head = auction.get("id"), auction.get("seq"), auction.get("log_hash")
        known = isinstance(aid, int) and aid in self.fresh
        if isinstance(aid, int) and isinstance(seq, int) and isinstance(head, str) and not known:
            self.note(aid, seq, head)

    def note(self, auction_id: int, seq: int, digest: str) -> None:
        known = self.fresh.get(auction_id)
        if known is None or seq >= known[0]:
            self.fresh[auction_id] = (seq, digest)

    def _read(self) -> dict[str, Any]:
        try:
            data = orjson.loads(self.path.read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def last(self, auction_id: int) -> str | None:
        """The newest hash seen of the auction's log, in this run or before."""
        if auction_id in self.fresh:
            return self.fresh[auction_id][1]
        entry = self._read().get(self.server, {}).get(str(auction_id))
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], str):
            return entry[1]
        return None

    def save(self) -> None:
        """Merge this run's hashes into the file (the newest seq per auction wins)."""
        if not self.fresh:
            return
        data = self._read()
        mine = data.setdefault(self.server, {})
        for auction_id, (seq, digest) in self.fresh.items():
            old = mine.get(str(auction_id))
            if not (isinstance(old, list) and old and isinstance(old[0], int) and old[0] > seq):
                mine[str(auction_id)] = [seq, digest]
        with contextlib.suppress(OSError):  # a read-only home must not fail a bid
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_bytes(orjson.dumps(data))
            os.replace(tmp, self.path)
