"""Bounded Argon2 work and the rules for new names and passwords (issue 20, items 1 and 3)."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
from argon2 import PasswordHasher

from auctioneer.engine.errors import InvalidCommand
from auctioneer.service.errors import RateLimited
from auctioneer.service.passwords import (
    NICENESS,
    PasswordHasherPool,
    check_new_password,
    check_new_username,
)
from tests.service.stack import cheap_hasher


@pytest.mark.parametrize("password", ["", "        ", "\t\n  \t\n "])
def test_a_blank_password_is_refused_with_a_clear_message(password: str) -> None:
    with pytest.raises(InvalidCommand, match="cannot be blank") as caught:
        check_new_password(password, "ann")
    assert caught.value.fields["field"] == "password"


@pytest.mark.parametrize(
    "password", ["12345678", "password", "password1", "qwertyuiop", "annann12"]
)
def test_a_very_guessable_password_is_refused_saying_why(password: str) -> None:
    with pytest.raises(InvalidCommand, match="too easy to guess") as caught:
        check_new_password(password, "annann12" if password == "annann12" else "ann")
    assert caught.value.code == "bad_request"


@pytest.mark.parametrize(
    "password",
    ["correct horse", "bidder-password-1", "x7!kq2#Lm", "Lange Passphrase: äöü, Zahlen 42 " * 8],
)
def test_a_reasonable_password_passes(password: str) -> None:
    check_new_password(password, "ann")


@pytest.mark.parametrize("name", ["...", "-_-", "___", ".-."])
def test_a_name_of_punctuation_only_is_refused(name: str) -> None:
    with pytest.raises(InvalidCommand, match="letter or digit") as caught:
        check_new_username(name)
    assert caught.value.fields["field"] == "username"


@pytest.mark.parametrize("name", ["admin", "Adm1n", "a.d.m.i.n", "r00t", "supp0rt", "SYSTEM"])
def test_a_name_that_poses_as_staff_is_refused(name: str) -> None:
    with pytest.raises(InvalidCommand, match="reserved"):
        check_new_username(name)


@pytest.mark.parametrize("name", ["ann", "bob_99", "l1ly", "admiral", "x.y"])
def test_ordinary_names_pass(name: str) -> None:
    check_new_username(name)


async def test_the_pool_hashes_and_verifies_off_the_loop() -> None:
    pool = PasswordHasherPool(cheap_hasher())
    try:
        stored = await pool.hash("correct horse")
        assert await pool.verify(stored, "correct horse")
        assert not await pool.verify(stored, "wrong horse")
        assert not await pool.verify("not-a-hash", "x")
        assert pool.pending == 0
    finally:
        pool.close()


class GatedHasher(PasswordHasher):
    """Cheap Argon2 that waits for a gate: hashes that stay running while we look."""

    def __init__(self, gate: threading.Event) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.gate = gate

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.gate.wait(5)
        return super().hash(password, salt=salt)


async def test_the_pool_refuses_work_beyond_its_bound_at_once() -> None:
    gate = threading.Event()
    pool = PasswordHasherPool(GatedHasher(gate), concurrency=1, queue=2)
    try:
        running = [asyncio.ensure_future(pool.hash(f"pw {i}")) for i in range(3)]
        await asyncio.sleep(0)
        assert pool.pending == 3
        with pytest.raises(RateLimited, match="busy"):
            await pool.hash("one too many")
        gate.set()
        assert len(await asyncio.gather(*running)) == 3
        for _ in range(100):  # the done callbacks come back to the loop
            if pool.pending == 0:
                break
            await asyncio.sleep(0.01)
        assert pool.pending == 0
    finally:
        gate.set()
        pool.close()


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread priority here")
async def test_hashing_threads_step_back_for_the_event_loop() -> None:
    pool = PasswordHasherPool(cheap_hasher())
    try:

        def niceness() -> int:
            return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

        mine = niceness()
        theirs = await asyncio.wrap_future(pool._executor.submit(niceness))
        assert theirs == min(19, mine + NICENESS) or theirs >= mine + 1
    finally:
        pool.close()
