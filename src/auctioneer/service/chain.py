"""The hash chain of an auction's public log (docs/protocol.md "The tamper-evident log").

Every public event on `auction:ID` carries `hash` = SHA-256 over the previous
event's hash (64 lowercase hex characters; 64 zeros before the first event)
followed by the event's canonical bytes: the event object without `hash` (and
without `data.log_hash`, which `auction_closed` carries and which is its own
hash), keys sorted at every level, no whitespace, UTF-8. The head the auction
object carries (`log_hash`) is the newest event's hash, sealed at the
`auction_closed` event: edits of a closed auction are chained after it but
never move it. The client side has the same few lines (clients/audit.py);
a test checks both agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["GENESIS", "Head", "canonical", "chained", "link", "seal_data", "with_hash"]

GENESIS = bytes(32)  # the "previous hash" of an auction's first public event
SORTED = orjson.OPT_SORT_KEYS


def canonical(envelope: dict[str, Any]) -> bytes:
    """The bytes an event is hashed over: without `hash` and `data.log_hash`, keys sorted."""
    body = {k: v for k, v in envelope.items() if k != "hash"}
    data = body.get("data")
    if isinstance(data, dict) and "log_hash" in data:
        body["data"] = {k: v for k, v in data.items() if k != "log_hash"}
    return orjson.dumps(body, option=SORTED)


def link(previous: bytes, canonical_bytes: bytes) -> bytes:
    """The hash of an event: SHA-256(previous hash as hex + canonical bytes), 32 bytes."""
    return hashlib.sha256(previous.hex().encode("ascii") + canonical_bytes).digest()


def seal_data(event_name: str) -> bool:
    """Whether an event seals the chain (and carries its own hash as `data.log_hash`)."""
    return event_name == "auction_closed"


@dataclass(frozen=True, slots=True)
class Head:
    """Where an auction's chain stands: the newest hash, and the sealed one once closed."""

    last: bytes = GENESIS
    sealed: bytes | None = None

    @property
    def log_hash(self) -> bytes | None:
        """The head the auction object shows (None before the first public event)."""
        if self.sealed is not None:
            return self.sealed
        return None if self.last == GENESIS else self.last

    def then(self, event_name: str, digest: bytes) -> Head:
        """The head after one more event."""
        sealed = self.sealed
        if sealed is None and seal_data(event_name):
            sealed = digest
        return Head(digest, sealed)


def with_hash(envelope: dict[str, Any], digest: bytes | None) -> bytes:
    """The event as subscribers receive it: keys sorted, `hash` added (and, on the
    event that seals the chain, `data.log_hash`). A stored event whose hash is
    missing goes out with `hash: null`, which no check accepts."""
    text = None if digest is None else digest.hex()
    data = envelope.get("data")
    if seal_data(envelope.get("event", "")) and isinstance(data, dict):
        envelope = {**envelope, "data": {**data, "log_hash": text}}
    return _append_hash(orjson.dumps(envelope, option=SORTED), text)


def _append_hash(sorted_bytes: bytes, text: str | None) -> bytes:
    """`hash` as the event object's last key (after the sorted ones)."""
    value = b"null" if text is None else b'"' + text.encode("ascii") + b'"'
    return sorted_bytes[:-1] + b',"hash":' + value + b"}"


def chained(envelope: dict[str, Any], head: Head) -> tuple[bytes, Head]:
    """Hash one new event onto `head`: its frame bytes and the head after it."""
    body = canonical(envelope)
    digest = link(head.last, body)
    name = envelope.get("event", "")
    if seal_data(name):
        return with_hash(envelope, digest), head.then(name, digest)
    # The canonical bytes are already the sorted event: "hash" goes last.
    return _append_hash(body, digest.hex()), head.then(name, digest)
