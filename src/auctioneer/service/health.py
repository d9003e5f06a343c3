"""Whether this process can do its job: the answers behind `/healthz` and `/readyz`.

Live means the process answers at all. Ready means its store and its broker
answer too; a load balancer sends no new clients to a process that is not.
A broker that said it is down (pubsub/redis.py) is down at once, without a
ping that would wait out the timeout. Each probe is bounded by `TIMEOUT_S`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from auctioneer.service.ports import EventStore

__all__ = ["Health", "Pingable"]

TIMEOUT_S = 2.0

log = logging.getLogger(__name__)


class Pingable(Protocol):
    async def ping(self) -> None: ...


class BrokerState(Protocol):
    @property
    def broker_up(self) -> bool: ...

    @property
    def broker(self) -> Pingable: ...


class Health:
    """Probes the parts a process depends on."""

    def __init__(self, store: EventStore, hub: BrokerState | None = None) -> None:
        self._store = store
        self._hub = hub

    async def down(self) -> list[str]:
        """The names of the parts that do not answer ("store", "broker"); empty when ready."""
        parts: list[tuple[str, Pingable]] = [("store", self._store)]
        hub = self._hub
        down = []
        if hub is not None:
            if hub.broker_up:
                parts.append(("broker", hub.broker))
            else:
                down.append("broker")
        answers = await asyncio.gather(*(_answers(p) for _, p in parts))
        down.extend(name for (name, _), ok in zip(parts, answers, strict=True) if not ok)
        return sorted(down, key=lambda name: ("store", "broker").index(name))


async def _answers(part: Pingable) -> bool:
    try:
        await asyncio.wait_for(part.ping(), TIMEOUT_S)
    except Exception as e:  # any failure means "not ready"; say which in the log
        log.debug("readiness probe failed: %r", e)
        return False
    return True
