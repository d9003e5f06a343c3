"""Users, passwords and tokens: register, login, auth, logout.

Passwords are hashed with Argon2 (in a worker thread: hashing is meant to be
slow and must not stall the event loop). A token is 32 random bytes, shown to
the user once and stored only as its SHA-256; it expires (7 days by default)
and dies at logout, which also turns every connection that used it anonymous.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auctioneer.service.errors import RateLimited, Unauthorized, UsernameTaken
from auctioneer.service.ports import Clock, EventStore, UserRecord
from auctioneer.service.ratelimit import FailureWindow

__all__ = ["Caller", "UserService", "hash_token"]

DEFAULT_TOKEN_TTL_S = 7 * 24 * 3600
ADDRESS_FAILURE_FACTOR = 10  # an address may fail 10x as often as one username


@dataclass(eq=False)
class Caller:
    """Who is asking: one WebSocket/TCP connection, or one HTTP request."""

    address: str = ""
    user: UserRecord | None = None
    token_hash: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.role == "admin"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class UserService:
    """The user directory: accounts, credentials, and a cache of who is who."""

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        *,
        token_ttl_s: int = DEFAULT_TOKEN_TTL_S,
        login_failures: int = 10,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ttl_ms = token_ttl_s * 1000
        self._hasher = hasher or PasswordHasher()
        self._by_id: dict[int, UserRecord] = {}
        self._sessions: dict[str, weakref.WeakSet[Caller]] = {}
        self._name_failures = FailureWindow(login_failures)
        self._address_failures = FailureWindow(login_failures * ADDRESS_FAILURE_FACTOR)
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))

    async def register(self, username: str, password: str, role: str = "bidder") -> UserRecord:
        """Create an account.

        Raises:
            UsernameTaken: the name exists, in any letter case.
        """
        if await self._store.user_by_name(username) is not None:
            raise UsernameTaken(username)
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        try:
            user = await self._store.create_user(username, password_hash, role)
        except Exception as e:
            if getattr(e, "code", None) == "username_taken":
                raise UsernameTaken(username) from e
            raise
        self._by_id[user.id] = user
        return user

    async def login(self, caller: Caller, username: str, password: str) -> tuple[str, UserRecord]:
        """Check the password, issue a token, and authenticate `caller` with it.

        A correct password always logs in (PROTOCOL.md: successful logins are
        never limited); after too many failures for a username or an address,
        a wrong one is answered `rate_limited` instead of `unauthorized`.

        Raises:
            Unauthorized: wrong username or password.
            RateLimited: wrong again after too many recent failures.
        """
        now = self._clock.now_ms() / 1000
        user = await self._store.user_by_name(username)
        stored = user.password_hash if user else self._dummy_hash
        ok = await asyncio.to_thread(self._verify, stored, password)
        if not ok or user is None:
            wait = max(
                self._name_failures.blocked(username.casefold(), now),
                self._address_failures.blocked(caller.address, now),
            )
            self._name_failures.record(username.casefold(), now)
            self._address_failures.record(caller.address, now)
            if wait > 0:
                raise RateLimited("Too many failed logins; try again later", wait)
            raise Unauthorized("Wrong username or password")
        token = secrets.token_urlsafe(32)
        token_hash = hash_token(token)
        await self._store.add_token(token_hash, user.id, self._clock.now_ms() + self._ttl_ms)
        self._by_id[user.id] = user
        self.attach(caller, user, token_hash)
        return token, user

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def auth(self, caller: Caller, token: str) -> UserRecord:
        """Authenticate `caller` with a token from `login`.

        Raises:
            Unauthorized: unknown, expired or revoked token.
        """
        token_hash = hash_token(token)
        record = await self._store.token(token_hash)
        if record is None or record.revoked or record.expires_at <= self._clock.now_ms():
            raise Unauthorized("Invalid or expired token")
        user = await self.user(record.user_id)
        if user is None:
            raise Unauthorized("Invalid or expired token")
        self.attach(caller, user, token_hash)
        return user

    def attach(self, caller: Caller, user: UserRecord, token_hash: str) -> None:
        if caller.token_hash and caller.token_hash != token_hash:
            self._forget(caller)
        caller.user, caller.token_hash = user, token_hash
        self._sessions.setdefault(token_hash, weakref.WeakSet()).add(caller)

    def _forget(self, caller: Caller) -> None:
        if caller.token_hash and (sessions := self._sessions.get(caller.token_hash)):
            sessions.discard(caller)

    async def logout(self, caller: Caller) -> None:
        """Revoke the caller's token; every connection that used it turns anonymous.

        Raises:
            Unauthorized: the caller is not logged in.
        """
        if caller.user is None or caller.token_hash is None:
            raise Unauthorized()
        token_hash = caller.token_hash
        await self._store.revoke_token(token_hash)
        for other in list(self._sessions.pop(token_hash, ())):
            other.user, other.token_hash = None, None
        caller.user, caller.token_hash = None, None

    def detach(self, caller: Caller) -> None:
        """Forget a closed connection."""
        self._forget(caller)

    async def user(self, user_id: int) -> UserRecord | None:
        user = self._by_id.get(user_id)
        if user is None:
            user = await self._store.user_by_id(user_id)
            if user is not None:
                self._by_id[user_id] = user
        return user

    def cached_names(self, user_ids: Iterable[int]) -> dict[int, str]:
        """Usernames already known, without waiting (for summaries)."""
        return {uid: self._by_id[uid].username for uid in user_ids if uid in self._by_id}

    async def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        """Usernames for admin views, from the cache where possible."""
        wanted = set(user_ids)
        missing = [uid for uid in wanted if uid not in self._by_id]
        if missing:
            self._by_id.update(await self._store.users_by_ids(missing))
        return {uid: self._by_id[uid].username for uid in wanted if uid in self._by_id}
