"""Accounts that can be taken back (issue 20, item 8).

Two `UserService`s over one store play two server processes (or the command
line and a server): a change made by one reaches the other's cache and its
logged-in callers when it follows the changes, which it does every second.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from auctioneer.engine.errors import InvalidCommand
from auctioneer.service.clock import ManualClock
from auctioneer.service.errors import Forbidden, RateLimited, Unauthorized
from auctioneer.service.users import FOLLOW_EVERY_S, Caller, UserService
from auctioneer.store.memory import MemoryStore
from tests.service.stack import START_MS, cheap_hasher

PASSWORD = "correct horse"
NEW_PASSWORD = "battery staple 9"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START_MS)


@pytest.fixture
async def store(clock: ManualClock) -> AsyncIterator[MemoryStore]:
    store = MemoryStore(clock=clock.now_ms)
    await store.open()
    yield store
    await store.close()


def _service(store: MemoryStore, clock: ManualClock) -> UserService:
    return UserService(store, clock, login_failures=3, hasher=cheap_hasher())


@pytest.fixture
async def server(store: MemoryStore, clock: ManualClock) -> AsyncIterator[UserService]:
    users = _service(store, clock)
    yield users
    await users.close()


@pytest.fixture
async def operator(store: MemoryStore, clock: ManualClock) -> AsyncIterator[UserService]:
    """The command line (or another server process) on the same store."""
    users = _service(store, clock)
    yield users
    await users.close()


async def _logged_in(server: UserService, name: str = "ann") -> tuple[Caller, str]:
    caller = Caller(address="10.0.0.1")
    token, _ = await server.login(caller, name, PASSWORD)
    return caller, token


async def test_disabling_kills_the_token_at_once_and_the_sessions_at_the_next_look(
    server: UserService, operator: UserService
) -> None:
    await server.register("ann", PASSWORD)
    caller, token = await _logged_in(server)
    await operator.manage("ann", disabled=True)
    with pytest.raises(Unauthorized):  # a new request with the token: dead now
        await server.auth(Caller(), token)
    assert await server.follow_changes() == 1
    assert caller.user is None and caller.token_hash is None
    with pytest.raises(Forbidden, match="disabled"):
        await server.login(Caller(), "ann", PASSWORD)
    await operator.manage("ann", disabled=False)
    await server.follow_changes()
    _, user = await server.login(Caller(), "ann", PASSWORD)
    assert not user.disabled


async def test_a_demotion_reaches_running_sessions_and_fresh_requests(
    server: UserService, operator: UserService
) -> None:
    await server.register("root", PASSWORD, "admin")
    caller, token = await _logged_in(server, "root")
    assert caller.is_admin
    await operator.manage("root", role="bidder")
    assert await server.follow_changes() == 1
    assert caller.user is not None and not caller.is_admin
    fresh = Caller()
    await server.auth(fresh, token)  # the session goes on, as a bidder
    assert not fresh.is_admin
    assert await server.follow_changes() == 0  # a change is applied once


async def test_revoking_ends_every_session_of_the_user_only(
    server: UserService, operator: UserService
) -> None:
    await server.register("ann", PASSWORD)
    await server.register("bob", PASSWORD)
    first, _ = await _logged_in(server)
    second, token = await _logged_in(server)
    bob, _ = await _logged_in(server, "bob")
    await operator.manage("ann", revoke=True)
    await server.follow_changes()
    assert first.user is None and second.user is None
    assert bob.user is not None
    with pytest.raises(Unauthorized):
        await server.auth(Caller(), token)


async def test_the_operator_sets_a_password_and_the_old_one_stops_working(
    server: UserService, operator: UserService
) -> None:
    await server.register("ann", PASSWORD)
    caller, _ = await _logged_in(server)
    await operator.manage("ann", password=NEW_PASSWORD)
    await server.follow_changes()
    assert caller.user is None
    with pytest.raises(Unauthorized):
        await server.login(Caller(), "ann", PASSWORD)
    await server.login(Caller(), "ann", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"role": "king"}, "role"),
        ({"password": "12345678"}, "too easy"),
        ({"password": "   "}, "blank"),
    ],
)
async def test_the_operator_gets_a_clear_error_for_bad_input(
    server: UserService, operator: UserService, change: dict[str, str], message: str
) -> None:
    await server.register("ann", PASSWORD)
    with pytest.raises(InvalidCommand, match=message):
        await operator.manage("ann", **change)  # type: ignore[arg-type]
    with pytest.raises(InvalidCommand, match="No user"):
        await operator.manage("nobody", disabled=True)


async def test_change_password_keeps_this_session_and_ends_the_others(
    server: UserService, other_server: UserService
) -> None:
    await server.register("ann", PASSWORD)
    here, token = await _logged_in(server)
    elsewhere, _ = await _logged_in(other_server)
    await server.change_password(here, PASSWORD, NEW_PASSWORD)
    assert here.user is not None
    await server.auth(Caller(), token)
    await other_server.follow_changes()
    assert elsewhere.user is None
    with pytest.raises(Unauthorized):
        await server.login(Caller(), "ann", PASSWORD)
    await server.login(Caller(), "ann", NEW_PASSWORD)


async def test_change_password_needs_the_current_one_and_is_throttled_like_login(
    server: UserService,
) -> None:
    await server.register("ann", PASSWORD)
    caller, _ = await _logged_in(server)
    for _ in range(3):
        with pytest.raises(Unauthorized, match="current password"):
            await server.change_password(caller, "guess", NEW_PASSWORD)
    with pytest.raises(RateLimited):
        await server.change_password(caller, PASSWORD, NEW_PASSWORD)
    with pytest.raises(InvalidCommand, match="too easy"):
        await server.change_password(caller, PASSWORD, "password")
    with pytest.raises(Unauthorized):
        await server.change_password(Caller(), PASSWORD, NEW_PASSWORD)


async def test_logout_everywhere_ends_every_session_here_and_elsewhere(
    server: UserService, other_server: UserService
) -> None:
    await server.register("ann", PASSWORD)
    here, token = await _logged_in(server)
    also_here, _ = await _logged_in(server)
    elsewhere, _ = await _logged_in(other_server)
    await server.logout_everywhere(here)
    assert here.user is None and also_here.user is None
    await other_server.follow_changes()
    assert elsewhere.user is None
    with pytest.raises(Unauthorized):
        await server.auth(Caller(), token)
    with pytest.raises(Unauthorized):
        await server.logout_everywhere(here)


async def test_expired_and_revoked_tokens_are_purged(
    server: UserService, store: MemoryStore, clock: ManualClock
) -> None:
    await server.register("ann", PASSWORD)
    caller, _ = await _logged_in(server)
    await _logged_in(server)
    await server.logout(caller)
    assert await server.purge_tokens() == 1  # the revoked one
    clock.advance(8 * 24 * 3600)
    assert await server.purge_tokens() == 1  # the expired one
    assert await server.purge_tokens() == 0


async def test_a_running_server_follows_changes_by_itself_within_seconds(
    store: MemoryStore, clock: ManualClock, operator: UserService
) -> None:
    server = _service(store, clock)
    server.start()
    try:
        await server.register("ann", PASSWORD)
        caller, _ = await _logged_in(server)
        await operator.manage("ann", disabled=True)
        async with asyncio.timeout(5 * FOLLOW_EVERY_S):
            while caller.user is not None:
                await asyncio.sleep(0.05)
    finally:
        await server.close()


@pytest.fixture
async def other_server(store: MemoryStore, clock: ManualClock) -> AsyncIterator[UserService]:
    users = _service(store, clock)
    yield users
    await users.close()
