"""Users: register, login, auth and logout over the memory store, with real Argon2."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import pytest

from auctioneer.service.clock import ManualClock
from auctioneer.service.errors import RateLimited, Unauthorized, UsernameTaken
from auctioneer.service.users import Caller, UserService, hash_token
from auctioneer.store.errors import StoreUnavailable
from auctioneer.store.memory import MemoryStore
from tests.service.stack import START_MS, cheap_hasher

PASSWORD = "correct horse"
DAY_S = 86_400


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START_MS)


@pytest.fixture
async def store(clock: ManualClock) -> AsyncIterator[MemoryStore]:
    store = MemoryStore(clock=clock.now_ms)
    await store.open()
    yield store
    await store.close()


@pytest.fixture
async def users(store: MemoryStore, clock: ManualClock) -> AsyncIterator[UserService]:
    users = UserService(store, clock, token_ttl_s=DAY_S, login_failures=3, hasher=cheap_hasher())
    yield users
    await users.close()


async def test_register_creates_a_bidder_with_the_next_paddle(users: UserService) -> None:
    ann = await users.register("ann", PASSWORD)
    bob = await users.register("bob", PASSWORD, "admin")
    assert (ann.username, ann.role, ann.paddle) == ("ann", "bidder", 1)
    assert (bob.role, bob.paddle) == ("admin", 2)
    assert ann.created_at == START_MS


async def test_register_stores_an_argon2_hash_never_the_password(
    users: UserService, store: MemoryStore
) -> None:
    await users.register("ann", PASSWORD)
    stored = await store.user_by_name("ann")
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash


async def test_a_taken_name_in_any_letter_case_is_refused(users: UserService) -> None:
    await users.register("ann", PASSWORD)
    with pytest.raises(UsernameTaken) as caught:
        await users.register("ANN", PASSWORD)
    assert caught.value.code == "username_taken"


async def test_two_registrations_racing_for_one_name_give_one_account(
    users: UserService,
) -> None:
    results = await asyncio.gather(
        users.register("ann", PASSWORD), users.register("Ann", PASSWORD), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["UserRecord", "UsernameTaken"]


async def test_a_store_failure_during_register_is_not_hidden(
    users: UserService, store: MemoryStore
) -> None:
    task = asyncio.create_task(users.register("ann", PASSWORD))
    await asyncio.sleep(0)  # now hashing in a worker thread
    await store.close()
    with pytest.raises(StoreUnavailable):
        await task


async def test_login_issues_a_token_and_authenticates_the_caller(
    users: UserService, store: MemoryStore, clock: ManualClock
) -> None:
    ann = await users.register("ann", PASSWORD)
    caller = Caller(address="10.0.0.1")
    token, user = await users.login(caller, "ann", PASSWORD)
    assert user == ann
    assert caller.user == ann
    assert caller.token_hash == hash_token(token)
    assert len(token) >= 40
    record = await store.token(hash_token(token))
    assert record is not None
    assert (record.user_id, record.revoked) == (ann.id, False)
    assert record.expires_at == clock.now_ms() + DAY_S * 1000
    assert await store.token(token) is None  # only the hash is stored


async def test_login_ignores_the_letter_case_of_the_name(users: UserService) -> None:
    await users.register("Ann", PASSWORD)
    _, user = await users.login(Caller(), "aNN", PASSWORD)
    assert user.username == "Ann"


async def test_each_login_gets_a_new_token(users: UserService) -> None:
    await users.register("ann", PASSWORD)
    first, _ = await users.login(Caller(), "ann", PASSWORD)
    second, _ = await users.login(Caller(), "ann", PASSWORD)
    assert first != second


@pytest.mark.parametrize(("name", "password"), [("ann", "wrong password"), ("nobody", PASSWORD)])
async def test_a_wrong_name_or_password_is_unauthorized_with_one_message(
    users: UserService, name: str, password: str
) -> None:
    await users.register("ann", PASSWORD)
    caller = Caller()
    with pytest.raises(Unauthorized) as caught:
        await users.login(caller, name, password)
    assert str(caught.value) == "Wrong username or password"
    assert caller.user is None


async def test_a_broken_stored_hash_never_logs_in(users: UserService, store: MemoryStore) -> None:
    user = await store.create_user("ann", "not-a-hash", "bidder")
    assert user.id == 1
    with pytest.raises(Unauthorized):
        await users.login(Caller(), "ann", "not-a-hash")


async def test_too_many_failures_for_a_name_from_one_address_are_rate_limited(
    users: UserService, clock: ManualClock
) -> None:
    await users.register("ann", PASSWORD)
    for _ in range(3):
        with pytest.raises(Unauthorized):
            await users.login(Caller(address="1.1.1.1"), "ann", "wrong password")
    with pytest.raises(RateLimited) as caught:
        await users.login(Caller(address="1.1.1.1"), "ANN", "wrong password")
    assert caught.value.code == "rate_limited"
    assert caught.value.fields["retry_after_s"] == pytest.approx(60.0)
    # Another address is not affected (docs/protocol.md "Default limits").
    with pytest.raises(Unauthorized):
        await users.login(Caller(address="2.2.2.2"), "ann", "wrong password")
    clock.advance(60)
    with pytest.raises(Unauthorized):
        await users.login(Caller(address="1.1.1.1"), "ann", "wrong password")


async def test_past_the_limit_even_the_right_password_is_refused_unchecked(
    users: UserService, clock: ManualClock
) -> None:
    await users.register("ann", PASSWORD)
    for _ in range(3):
        with pytest.raises(Unauthorized):
            await users.login(Caller(address="1.1.1.1"), "ann", "wrong password")
    hashes_before = users.passwords.pending
    caller = Caller(address="1.1.1.1")
    with pytest.raises(RateLimited):
        await users.login(caller, "ann", PASSWORD)
    assert caller.user is None and users.passwords.pending == hashes_before
    # The right password from elsewhere, or after the minute, logs in.
    _, user = await users.login(Caller(address="2.2.2.2"), "ann", PASSWORD)
    assert user.username == "ann"
    clock.advance(60)
    _, user = await users.login(Caller(address="1.1.1.1"), "ann", PASSWORD)
    assert user.username == "ann"


async def test_successful_logins_are_not_counted(users: UserService) -> None:
    await users.register("ann", PASSWORD)
    for _ in range(10):
        await users.login(Caller(address="1.1.1.1"), "ann", PASSWORD)
    for _ in range(3):
        with pytest.raises(Unauthorized):
            await users.login(Caller(address="1.1.1.1"), "ann", "wrong password")


async def test_concurrent_guesses_cannot_slip_past_the_limit(users: UserService) -> None:
    await users.register("ann", PASSWORD)
    results = await asyncio.gather(
        *(users.login(Caller(address="1.1.1.1"), "ann", f"guess {i}") for i in range(20)),
        return_exceptions=True,
    )
    kinds = [type(r).__name__ for r in results]
    assert kinds.count("Unauthorized") == 3  # only as many checked as the limit allows
    assert kinds.count("RateLimited") == 17


async def test_one_address_failing_many_names_is_rate_limited(users: UserService) -> None:
    # login_failures=3 per name, so an address may fail 30 times.
    for i in range(30):
        with pytest.raises(Unauthorized):
            await users.login(Caller(address="6.6.6.6"), f"user{i}", "wrong password")
    with pytest.raises(RateLimited):
        await users.login(Caller(address="6.6.6.6"), "fresh", "wrong password")
    with pytest.raises(Unauthorized):
        await users.login(Caller(address="7.7.7.7"), "fresh", "wrong password")


async def test_auth_with_a_token_authenticates_another_caller(users: UserService) -> None:
    ann = await users.register("ann", PASSWORD)
    token, _ = await users.login(Caller(), "ann", PASSWORD)
    other = Caller()
    assert await users.auth(other, token) == ann
    assert other.user == ann


@pytest.mark.parametrize("token", ["", "made-up", "x" * 512])
async def test_auth_with_an_unknown_token_is_unauthorized(users: UserService, token: str) -> None:
    caller = Caller()
    with pytest.raises(Unauthorized, match="Invalid or expired token"):
        await users.auth(caller, token)
    assert caller.user is None


async def test_a_token_expires_after_its_ttl(users: UserService, clock: ManualClock) -> None:
    await users.register("ann", PASSWORD)
    token, _ = await users.login(Caller(), "ann", PASSWORD)
    clock.advance(DAY_S - 1)
    await users.auth(Caller(), token)
    clock.advance(1)
    with pytest.raises(Unauthorized):
        await users.auth(Caller(), token)


async def test_a_token_of_a_missing_user_is_unauthorized(
    users: UserService, store: MemoryStore, clock: ManualClock
) -> None:
    await store.add_token(hash_token("orphan"), 999, clock.now_ms() + 1000)
    with pytest.raises(Unauthorized):
        await users.auth(Caller(), "orphan")


async def test_logout_revokes_the_token_and_turns_every_connection_anonymous(
    users: UserService,
) -> None:
    await users.register("ann", PASSWORD)
    first = Caller()
    token, _ = await users.login(first, "ann", PASSWORD)
    second, bystander = Caller(), Caller()
    await users.auth(second, token)
    await users.login(bystander, "ann", PASSWORD)  # another token of the same user
    await users.logout(second)
    assert (first.user, first.token_hash) == (None, None)
    assert (second.user, second.token_hash) == (None, None)
    assert bystander.user is not None
    with pytest.raises(Unauthorized):
        await users.auth(Caller(), token)


async def test_logout_when_anonymous_is_unauthorized(users: UserService) -> None:
    with pytest.raises(Unauthorized):
        await users.logout(Caller())


async def test_a_caller_that_switches_token_is_not_logged_out_with_the_old_one(
    users: UserService,
) -> None:
    await users.register("ann", PASSWORD)
    await users.register("bob", PASSWORD)
    switcher = Caller()
    old_token, _ = await users.login(switcher, "ann", PASSWORD)
    bob_token, bob = await users.login(Caller(), "bob", PASSWORD)
    await users.auth(switcher, bob_token)
    holder = Caller()
    await users.auth(holder, old_token)
    await users.logout(holder)
    assert switcher.user == bob


async def test_re_auth_with_the_same_token_keeps_the_caller_logged_in(
    users: UserService,
) -> None:
    await users.register("ann", PASSWORD)
    caller = Caller()
    token, ann = await users.login(caller, "ann", PASSWORD)
    assert await users.auth(caller, token) == ann
    assert caller.user == ann


async def test_a_detached_caller_is_forgotten(users: UserService) -> None:
    await users.register("ann", PASSWORD)
    closed = Caller()
    token, ann = await users.login(closed, "ann", PASSWORD)
    users.detach(closed)
    holder = Caller()
    await users.auth(holder, token)
    await users.logout(holder)
    assert closed.user == ann  # no longer tracked: its connection is gone
    users.detach(Caller())  # an anonymous caller: nothing to forget


async def test_is_admin_depends_on_the_role(users: UserService) -> None:
    await users.register("root", PASSWORD, "admin")
    await users.register("ann", PASSWORD)
    admin, bidder = Caller(), Caller()
    await users.login(admin, "root", PASSWORD)
    await users.login(bidder, "ann", PASSWORD)
    assert admin.is_admin
    assert not bidder.is_admin
    assert not Caller().is_admin


async def test_user_lookups_use_the_cache_then_the_store(
    users: UserService, store: MemoryStore, clock: ManualClock
) -> None:
    ann = await users.register("ann", PASSWORD)
    outsider = await store.create_user("zed", "x", "bidder")  # not seen by the service yet
    assert await users.user(ann.id) == ann
    assert users.cached_names([ann.id, outsider.id]) == {ann.id: "ann"}
    assert await users.user(outsider.id) == outsider
    assert users.cached_names([outsider.id]) == {outsider.id: "zed"}
    assert await users.user(404) is None


async def test_names_fetch_missing_users_and_skip_unknown_ids(
    users: UserService, store: MemoryStore
) -> None:
    ann = await users.register("ann", PASSWORD)
    zed = await store.create_user("zed", "x", "bidder")
    assert await users.names([ann.id, zed.id, 404]) == {ann.id: "ann", zed.id: "zed"}
    assert await users.names([]) == {}


def test_hash_token_is_sha256_hex() -> None:
    assert hash_token("abc") == hashlib.sha256(b"abc").hexdigest()
    assert len(hash_token("\ud800")) == 64  # a lone surrogate still hashes


async def test_spelling_variants_of_a_name_share_its_failure_limit(users: UserService) -> None:
    long_s_sam = "\u017fam"  # LATIN SMALL LETTER LONG S: casefolds to "sam"
    await users.register("sam", PASSWORD)
    _, user = await users.login(Caller(), long_s_sam, PASSWORD)
    assert user.username == "sam"  # the store takes it as the same name
    for _ in range(3):
        with pytest.raises(Unauthorized):
            await users.login(Caller(), "sam", "wrong password")
    with pytest.raises(RateLimited):
        await users.login(Caller(), long_s_sam, "wrong password")
