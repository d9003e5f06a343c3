"""Fixtures for the service tests: a real in-process stack over a manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from auctioneer.service.users import Caller
from tests.service.stack import Stack


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    stack = await Stack.build()
    yield stack
    await stack.close()


@dataclass
class People:
    admin: Caller
    ann: Caller
    bob: Caller
    anon: Caller


@pytest.fixture
async def people(stack: Stack) -> People:
    """An admin (paddle 1), two bidders (ann paddle 2, bob paddle 3) and an anonymous caller."""
    return People(
        admin=await stack.person("root", admin=True),
        ann=await stack.person("ann"),
        bob=await stack.person("bob"),
        anon=Caller(address="10.9.9.9"),
    )
