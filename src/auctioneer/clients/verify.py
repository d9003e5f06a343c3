"""A bidder's check of an auction's public log: the hash chain and the public rules.

Pure (no I/O): it takes the log as `get_log` answers it and says what does
not hold (docs/protocol.md "The tamper-evident log"). The command line uses
it (`auctioneer audit --server URL ID`); the web page runs the same checks
in JavaScript (web/js/verify.js) with the Web Crypto API. Clients never
import the server's packages, so the few lines of the canonical form live
here too; a test checks that both sides agree.

The public rules, as the log shows them:
- a manual bid is at least the `minimum_bid` stated before it; an automatic
  (proxy) bid never lowers the price and is at least the starting bid
  (it may stop short of a full increment at its owner's maximum, or match
  an equal maximum set earlier);
- the leader never outbids itself, except its proxy rising to its maximum
  when a higher maximum beats it in the same moment (another bidder's bid
  follows at the same time, after at most an extension);
- `auction_extended` only right after a `bid_placed`;
- each unit sold goes to the round's last bidder at the last bid (with the
  reserve met, when there is one), or at the buy-now price to a round with
  no bid; `auction_closed` names that sale's winner and price, or nobody.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GENESIS", "Verdict", "canonical", "link", "verify_log"]

GENESIS = "0" * 64


def canonical(event: dict[str, Any]) -> bytes:
    """The bytes an event is hashed over: without `hash` and `data.log_hash`, keys sorted."""
    body = {k: v for k, v in event.items() if k != "hash"}
    data = body.get("data")
    if isinstance(data, dict) and "log_hash" in data:
        body["data"] = {k: v for k, v in data.items() if k != "log_hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(previous: str, canonical_bytes: bytes) -> str:
    """An event's hash (hex): SHA-256 over the previous hash's hex and its canonical bytes."""
    return hashlib.sha256(previous.encode("ascii") + canonical_bytes).hexdigest()


@dataclass
class Verdict:
    """What the check found: `problems` empty means verified."""

    auction_id: int
    events: int = 0
    head: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            head = (self.head or "-")[:16]
            return f"auction {self.auction_id}: verified, {self.events} events, log_hash {head}"
        return f"auction {self.auction_id}: NOT verified: {self.problems[0]}"


def verify_log(
    log: dict[str, Any], *, log_hash: str | None = None, seen: str | None = None
) -> Verdict:
    """Check a `get_log` result.

    Args:
        log_hash: a head an auction object showed: it must be in the chain (the
            auction may have moved on between the two reads).
        seen: a hash this bidder saw live on the auction; it must be in the chain.
    """
    verdict = Verdict(int(log.get("auction_id") or 0))
    events = log.get("events")
    if not isinstance(events, list):
        verdict.problems.append("the answer has no list of events")
        return verdict
    verdict.events = len(events)
    hashes = _check_chain(events, verdict)
    published = log.get("log_hash")
    if log_hash is not None and log_hash not in hashes:  # it may have moved on since
        verdict.problems.append(f"the auction shows log_hash {log_hash[:16]}, not in its log")
    sealed = [e.get("hash") for e in events if e.get("event") == "auction_closed"]
    head = sealed[0] if sealed else (hashes[-1] if hashes else None)
    verdict.head = head
    if published != head:
        verdict.problems.append(f"the published log_hash {published} is not the chain's {head}")
    if seen is not None and seen not in hashes:
        verdict.problems.append(f"the hash you saw live ({seen[:16]}) is not in this log")
    if not verdict.problems:
        _Rules(verdict).run(events)
    return verdict


def _check_chain(events: list[Any], verdict: Verdict) -> list[str]:
    """Each event's hash links to the one before; the hashes of the good prefix."""
    previous = GENESIS
    good: list[str] = []
    for index, event in enumerate(events, start=1):
        where = _where(event)
        if not isinstance(event, dict) or event.get("seq") != index:
            verdict.problems.append(f"{where}: expected seq {index}")
            break
        if event.get("hash") != link(previous, canonical(event)):
            verdict.problems.append(f"{where}: its hash does not match (changed or missing)")
            break
        previous = event["hash"]
        good.append(previous)
    return good


def _where(event: Any) -> str:
    if not isinstance(event, dict):
        return "an event that is not an object"
    return f"seq {event.get('seq')} ({event.get('event')})"


def _next_bid(events: list[dict[str, Any]], index: int) -> dict[str, Any] | None:
    """The next bid at the same moment as events[index] (an extension may come between)."""
    at = events[index].get("at")
    for event in events[index + 1 :]:
        if event.get("at") != at:
            return None
        if event.get("event") == "bid_placed":
            return event
    return None


class _Rules:
    """The public rules, walked over the log in order (see the module docstring)."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.has_reserve = False
        self.buy_now: int | None = None
        self.starting_bid = 0
        self.minimum: int | None = None
        self._new_round()
        self.sale: tuple[Any, Any] | None = None  # (winner, price) of the last unit sold

    def _new_round(self) -> None:
        self.leader: Any = None
        self.amount: int | None = None
        self.reserve_met = False

    def fail(self, event: dict[str, Any], problem: str) -> None:
        self.verdict.problems.append(f"{_where(event)}: {problem}")

    def run(self, events: list[dict[str, Any]]) -> None:
        for index, event in enumerate(events):
            data = event.get("data") or {}
            kind = event.get("event")
            before = self.minimum
            if "minimum_bid" in data:
                self.minimum = data["minimum_bid"]
            if kind == "auction_created":
                self.has_reserve = bool(data.get("has_reserve"))
                self.buy_now = data.get("buy_now")
                self.starting_bid = int(data.get("starting_bid") or 0)
            elif kind == "bid_placed":
                self.bid(event, data, before, _next_bid(events, index))
            elif kind == "auction_extended":
                if index == 0 or events[index - 1].get("event") != "bid_placed":
                    self.fail(event, "an extension without a bid just before it")
            elif kind == "reserve_met":
                self.reserve_met = True
            elif kind == "unit_sold":
                self.sold(event, data)
            elif kind == "auction_closed":
                self.closed(event, data)
            if self.verdict.problems:
                return

    def bid(
        self,
        event: dict[str, Any],
        data: dict[str, Any],
        minimum: int | None,
        following: dict[str, Any] | None,
    ) -> None:
        amount, bidder = data.get("amount"), data.get("bidder")
        if not isinstance(amount, int):
            self.fail(event, "a bid without an amount")
            return
        if data.get("auto"):
            if (self.amount is not None and amount < self.amount) or amount < self.starting_bid:
                self.fail(event, f"an automatic bid of {amount} lowers the price")
        elif minimum is None or amount < minimum:
            self.fail(event, f"a bid of {amount} below the minimum {minimum}")
        if bidder is not None and bidder == self.leader:
            beaten = following is not None and (following.get("data") or {}).get("bidder") != bidder
            if not (data.get("auto") and beaten):
                self.fail(event, f"the leader {bidder} outbid itself")
        self.leader, self.amount = bidder, amount

    def sold(self, event: dict[str, Any], data: dict[str, Any]) -> None:
        winner, price = data.get("winner"), data.get("price")
        if data.get("buy_now"):
            if self.amount is not None or price != self.buy_now:
                self.fail(event, f"bought now at {price}: not the buy-now price of a round unbid")
        elif (winner, price) != (self.leader, self.amount):
            self.fail(event, f"sold to {winner} at {price}, the last bid was {self.amount}")
        elif self.has_reserve and not self.reserve_met:
            self.fail(event, "sold below the reserve")
        self.sale = (winner, price)
        self._new_round()

    def closed(self, event: dict[str, Any], data: dict[str, Any]) -> None:
        winner, price = data.get("winner"), data.get("price")
        if winner is None and price is None:
            unsold = data.get("reason") in ("ended", "admin") and self.amount is not None
            if unsold and (not self.has_reserve or self.reserve_met):
                self.fail(event, f"closed with nobody winning the last bid {self.amount}")
            return
        if self.sale != (winner, price):
            self.fail(event, f"closed naming {winner} at {price}, not the unit just sold")
