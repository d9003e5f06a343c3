"""Buckets spread evenly over the processes, and a dead process's buckets
move at once (service/ownership.py), against a shared in-memory lease table
that behaves like PostgreSQL's advisory locks: held per session, gone with it."""

from __future__ import annotations

import asyncio

from auctioneer.service.ownership import BUCKETS, Ownership
from auctioneer.service.ports import Member


class LockTable:
    """The database's side: who holds which bucket, which sessions are open."""

    def __init__(self) -> None:
        self.holders: dict[int, str] = {}
        self.members: dict[str, str] = {}  # open sessions: member id -> address


class Session:
    """One process's lease session on the shared table."""

    solo = False

    def __init__(self, table: LockTable) -> None:
        self.table = table
        self.me = ""
        self.alive = True

    async def join(self, member_id: str, address: str) -> str:
        self.me = member_id
        self.table.members[member_id] = address
        return "secret"

    async def heartbeat(self) -> None:
        assert self.alive

    async def members(self) -> list[Member]:
        return [Member(m, a) for m, a in self.table.members.items()]

    async def owners(self) -> dict[int, str]:
        return dict(self.table.holders)

    async def try_acquire(self, bucket: int) -> bool:
        holder = self.table.holders.setdefault(bucket, self.me)
        return holder == self.me

    async def release(self, bucket: int) -> None:
        if self.table.holders.get(bucket) == self.me:
            del self.table.holders[bucket]

    async def leave(self) -> None:
        self.die()

    def die(self) -> None:
        """The session ends: every lock and the membership go with it."""
        self.alive = False
        self.table.members.pop(self.me, None)
        for bucket in [b for b, m in self.table.holders.items() if m == self.me]:
            del self.table.holders[bucket]


async def _ticks(owners: list[Ownership], count: int = 6) -> None:
    for _ in range(count):
        for owner in owners:
            await owner._tick()  # one tick each, in turn (no timers: deterministic)


async def test_buckets_spread_evenly_and_a_dead_owners_move_at_once() -> None:
    table = LockTable()
    sessions = [Session(table) for _ in range(3)]
    owners = [Ownership(s) for s in sessions]
    gained: list[set[int]] = [set(), set(), set()]
    for index, owner in enumerate(owners):
        owner.on_gain = lambda buckets, i=index: _note(gained[i], buckets)
    await _ticks(owners[:1])
    assert len(owners[0].mine) == BUCKETS
    await _ticks(owners[:2])
    assert sorted(len(o.mine) for o in owners[:2]) == [32, 32]
    await _ticks(owners)
    assert sorted(len(o.mine) for o in owners) == [20, 22, 22]  # shares of 22 (64 / 3 up)
    assert set().union(*(o.mine for o in owners)) == set(range(BUCKETS))
    # Each bucket has one owner, and each process believes exactly what the table says.
    for owner in owners:
        assert owner.mine == {b for b, m in table.holders.items() if m == owner.member_id}
    sessions[2].die()
    moved_from = set(owners[2].mine)
    await _ticks(owners[:2], count=1)  # one tick: the survivors take them
    assert sorted(len(o.mine) for o in owners[:2]) == [32, 32]
    assert moved_from <= owners[0].mine | owners[1].mine
    # Forwarding finds the owner of any auction (as read at its next tick).
    await _ticks(owners[:1], count=1)
    owners[0]._addresses = {o.member_id: f"p{i}" for i, o in enumerate(owners)}
    other = next(iter(owners[1].mine))
    assert owners[0].owner_address(other) == "p1"
    assert owners[0].owner_address(next(iter(owners[0].mine))) is None  # its own


async def _note(seen: set[int], buckets: set[int]) -> None:
    seen |= buckets
    await asyncio.sleep(0)
