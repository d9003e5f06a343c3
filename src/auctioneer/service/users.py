"""Users, passwords and tokens: register, login, auth, logout, and taking accounts back.

Passwords are hashed with Argon2 off the event loop, a bounded number at once
(service/passwords.py). A token is 32 random bytes, shown to the user once
and stored only as its SHA-256; it expires (7 days by default) and dies at
logout, which also turns every connection that used it anonymous.

Guessing (docs/protocol.md "Default limits"): 10 failed logins per username and
client address per minute; after that, logins for that username from that
address are refused with `rate_limited` before any password is checked (the
right one too) until the minute has passed. Attempts still being checked
count as failures-to-be, so a burst of concurrent guesses cannot slip past
the limit. `register` is limited per address.

Accounts can be taken back (issue 20): an operator disables, re-enables,
demotes or promotes a user, sets a password or revokes every session, from
the command line or another server process. The store stamps each change;
every server process polls for changed users (`follow_changes`, every
second) and applies them to its cache and to the connections logged in as
that user, so a change reaches every process within seconds. Disabling also
revokes every token, so it stops working at once wherever it is presented.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher

from auctioneer.engine.errors import InvalidCommand
from auctioneer.service.errors import Forbidden, RateLimited, Unauthorized, UsernameTaken
from auctioneer.service.passwords import (
    PasswordHasherPool,
    check_new_password,
    check_new_username,
)
from auctioneer.service.ports import Accounts, Clock, UserRecord
from auctioneer.service.throttle import WindowFactory, local_windows

__all__ = ["Caller", "UserService", "hash_token"]

log = logging.getLogger(__name__)

DEFAULT_TOKEN_TTL_S = 7 * 24 * 3600
ADDRESS_FAILURE_FACTOR = 10  # an address may fail 10x as often as one username
LOGIN_WINDOW_S = 60.0
FOLLOW_EVERY_S = 1.0  # how often each process looks for users changed elsewhere
FOLLOW_OVERLAP_MS = 30_000  # look back this far each time: late commits, clock skew
PURGE_EVERY_S = 3600.0  # how often expired and revoked tokens are deleted
PURGE_CHUNK = 5000
ROLES = ("admin", "bidder")


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
        store: Accounts,
        clock: Clock,
        *,
        token_ttl_s: int = DEFAULT_TOKEN_TTL_S,
        login_failures: int = 10,
        registrations: int = 30,
        hasher: PasswordHasher | None = None,
        password_hashes: int = 1,
        windows: WindowFactory = local_windows,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ttl_ms = token_ttl_s * 1000
        self.passwords = PasswordHasherPool(hasher, concurrency=password_hashes)
        self._by_id: dict[int, UserRecord] = {}
        self._sessions: dict[str, weakref.WeakSet[Caller]] = {}
        self._name_failures = windows("login", login_failures, LOGIN_WINDOW_S)
        self._address_failures = windows(
            "login-address", login_failures * ADDRESS_FAILURE_FACTOR, LOGIN_WINDOW_S
        )
        self._registrations = windows("register", registrations, 60.0)
        self._checking: dict[str, int] = {}  # login attempts being verified, per key
        # What a login for an unknown name is checked against, so it costs what a
        # known one does. Made at the first such login, not here: a hash is a
        # quarter of a CPU second, and every start (and `user add`) paid it.
        self._dummy_hash: str | None = None
        self._applied: dict[int, int] = {}  # user id -> changed_at already applied
        self._followed_to = 0
        self._following: asyncio.Task[None] | None = None

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.passwords.hash(secrets.token_hex(16))
        return self._dummy_hash

    # -- life cycle ----------------------------------------------------------------
    def start(self) -> None:
        """Follow account changes made elsewhere, and purge dead tokens, until `close`."""
        if self._following is None:
            self._followed_to = self._clock.now_ms()
            self._following = asyncio.get_running_loop().create_task(self._follow())

    async def close(self) -> None:
        if self._following is not None:
            self._following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._following
            self._following = None
        self.passwords.close()

    # -- registering -------------------------------------------------------------
    async def register(
        self, username: str, password: str, role: str = "bidder", *, address: str | None = None
    ) -> UserRecord:
        """Create an account. `address` (a client's) applies the checks and the
        limit for self-service registration; the operator and the demo pass none.

        Raises:
            InvalidCommand: a name or password the rules refuse.
            RateLimited: too many registrations from this address.
            UsernameTaken: the name exists, in any letter case.
        """
        if address is not None:
            wait = await self._registrations.take(address, self._now())
            if wait > 0:
                raise RateLimited("Too many registrations from this address; try later", wait)
            check_new_username(username)
        check_new_password(password, username)
        if await self._store.user_by_name(username) is not None:
            raise UsernameTaken(username)
        password_hash = await self.passwords.hash(password)
        try:
            user = await self._store.create_user(username, password_hash, role)
        except Exception as e:
            if getattr(e, "code", None) == "username_taken":
                raise UsernameTaken(username) from e
            raise
        self._by_id[user.id] = user
        return user

    # -- logging in ------------------------------------------------------------------
    async def login(self, caller: Caller, username: str, password: str) -> tuple[str, UserRecord]:
        """Check the password, issue a token, and authenticate `caller` with it.

        Raises:
            RateLimited: too many recent failures for this username from this
                address (the password was not checked), or the server is busy
                checking passwords.
            Unauthorized: wrong username or password.
            Forbidden: the account is disabled.
        """
        user = await self._check_password(caller, username, password)
        if user is None:
            raise Unauthorized("Wrong username or password")
        if user.disabled:
            raise Forbidden("This account is disabled")
        token = secrets.token_urlsafe(32)
        token_hash = hash_token(token)
        await self._store.add_token(token_hash, user.id, self._clock.now_ms() + self._ttl_ms)
        self._by_id[user.id] = user
        self.attach(caller, user, token_hash)
        return token, user

    async def _check_password(
        self, caller: Caller, username: str, password: str
    ) -> UserRecord | None:
        """The user if `password` is theirs, else None (a failure, counted).

        The limit is looked at first: past it, no password is checked at all.
        """
        now = self._now()
        key = f"{username.casefold()}\x00{caller.address}"
        checking = self._checking.get(key, 0)
        wait = max(
            await self._name_failures.wait(key, now, pending=checking),
            await self._address_failures.wait(caller.address, now),
        )
        if wait > 0:
            raise RateLimited("Too many failed logins; try again later", wait)
        self._checking[key] = checking + 1
        try:
            user = await self._store.user_by_name(username)
            stored = user.password_hash if user else await self._dummy()
            ok = await self.passwords.verify(stored, password)
        finally:
            if (left := self._checking[key] - 1) > 0:
                self._checking[key] = left
            else:
                del self._checking[key]
        if ok and user is not None:
            return user
        await self._name_failures.record(key, now)
        await self._address_failures.record(caller.address, now)
        return None

    async def auth(self, caller: Caller, token: str) -> UserRecord:
        """Authenticate `caller` with a token from `login`.

        Raises:
            Unauthorized: unknown, expired or revoked token, or a disabled account.
        """
        token_hash = hash_token(token)
        record = await self._store.token(token_hash)
        if record is None or record.revoked or record.expires_at <= self._clock.now_ms():
            raise Unauthorized("Invalid or expired token")
        user = await self.user(record.user_id)
        if user is None or user.disabled:
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
            if not sessions:
                del self._sessions[caller.token_hash]

    async def logout(self, caller: Caller) -> None:
        """Revoke the caller's token; every connection that used it turns anonymous.

        Raises:
            Unauthorized: the caller is not logged in.
        """
        if caller.user is None or caller.token_hash is None:
            raise Unauthorized()
        token_hash = caller.token_hash
        await self._store.revoke_token(token_hash)
        self._end_session(token_hash)
        caller.user, caller.token_hash = None, None

    def _end_session(self, token_hash: str) -> None:
        for other in list(self._sessions.pop(token_hash, ())):
            other.user, other.token_hash = None, None

    def detach(self, caller: Caller) -> None:
        """Forget a closed connection."""
        self._forget(caller)

    # -- the user's own account ------------------------------------------------------
    async def change_password(self, caller: Caller, old_password: str, new_password: str) -> None:
        """Set a new password; every other session of the user ends, this one stays.

        Raises:
            Unauthorized: not logged in, or `old_password` is wrong.
            RateLimited: too many wrong passwords (as for `login`).
            InvalidCommand: the new password is blank or too guessable.
        """
        user = caller.user
        if user is None or caller.token_hash is None:
            raise Unauthorized()
        check_new_password(new_password, user.username)
        if await self._check_password(caller, user.username, old_password) is None:
            raise Unauthorized("The current password is wrong")
        password_hash = await self.passwords.hash(new_password)
        await self._store.update_user(user.id, password_hash=password_hash)
        await self._store.revoke_tokens(user.id, keep=caller.token_hash)
        await self._apply(user.id)

    async def logout_everywhere(self, caller: Caller) -> None:
        """Revoke every token of the caller's user: every session, here and elsewhere, ends.

        Raises:
            Unauthorized: the caller is not logged in.
        """
        user = caller.user
        if user is None:
            raise Unauthorized()
        await self._store.revoke_tokens(user.id)
        await self._apply(user.id)
        caller.user, caller.token_hash = None, None

    # -- the operator's commands ------------------------------------------------------
    async def manage(
        self,
        username: str,
        *,
        role: str | None = None,
        disabled: bool | None = None,
        password: str | None = None,
        revoke: bool = False,
    ) -> UserRecord:
        """Change an account (the `auctioneer user ...` commands). Disabling, a
        new password and `revoke` end every session of the user.

        Raises:
            InvalidCommand: no such user, a role that does not exist, or a
                blank or too guessable password.
        """
        user = await self._store.user_by_name(username)
        if user is None:
            raise InvalidCommand(f"No user named {username!r}", field="username")
        if role is not None and role not in ROLES:
            raise InvalidCommand(f"A role is one of {', '.join(ROLES)}", field="role")
        password_hash = None
        if password is not None:
            check_new_password(password, user.username)
            password_hash = await self.passwords.hash(password)
        changed = await self._store.update_user(
            user.id, role=role, disabled=disabled, password_hash=password_hash
        )
        if changed is None:
            raise InvalidCommand(f"No user named {username!r}", field="username")
        if revoke or disabled or password is not None:
            await self._store.revoke_tokens(user.id)
        await self._apply(user.id)
        return self._by_id.get(user.id, changed)

    # -- following changes made elsewhere ---------------------------------------------
    async def _follow(self) -> None:
        purged_at = 0.0
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(FOLLOW_EVERY_S)
            try:
                await self.follow_changes()
                if loop.time() - purged_at >= PURGE_EVERY_S:
                    purged_at = loop.time()
                    await self.purge_tokens()
            except Exception:  # the store may be away for a moment: try again next time
                log.warning("following account changes failed", exc_info=True)

    async def follow_changes(self) -> int:
        """Apply the users changed since the last look (by any process); how many."""
        now = self._clock.now_ms()
        changed = await self._store.users_changed(self._followed_to - FOLLOW_OVERLAP_MS)
        self._followed_to = now
        applied = 0
        for user in changed:
            if self._applied.get(user.id) != user.changed_at:
                await self._apply(user.id, user)
                applied += 1
        return applied

    async def _apply(self, user_id: int, user: UserRecord | None = None) -> None:
        """Bring the cache and this process's sessions of the user up to date."""
        if user is None:
            user = await self._store.user_by_id(user_id)
        if user is None:
            self._by_id.pop(user_id, None)
        else:
            self._by_id[user_id] = user
            self._applied[user_id] = user.changed_at
        now = self._clock.now_ms()
        for token_hash, sessions in list(self._sessions.items()):
            callers = [c for c in sessions if c.user is not None and c.user.id == user_id]
            if not callers:
                continue
            record = None if user is None or user.disabled else await self._store.token(token_hash)
            if record is None or record.revoked or record.expires_at <= now:
                self._end_session(token_hash)
                continue
            for caller in callers:
                caller.user = user

    async def purge_tokens(self) -> int:
        """Delete tokens that expired or were revoked; how many went."""
        total = 0
        while (gone := await self._store.purge_tokens(self._clock.now_ms(), PURGE_CHUNK)) > 0:
            total += gone
            if gone < PURGE_CHUNK:
                break
        return total

    # -- lookups -----------------------------------------------------------------------
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

    def _now(self) -> float:
        return self._clock.now_ms() / 1000
