"""Password hashing with bounded concurrency, and the rules for new names and passwords.

Argon2 is slow on purpose (about 0.1 s and 64 MiB a hash at the RFC 9106
profile), so a flood of logins must not be allowed to queue unbounded work
or to take the CPU from bids (issue 20: 80 concurrent bad logins pushed a
real login from 0.12 s to 6.6 s). `PasswordHasherPool` runs at most
`concurrency` hashes at once in its own threads, lowered in CPU priority
where the OS allows it (Argon2's lane threads inherit it), keeps at most
`queue` more waiting, and refuses the rest with `rate_limited` at once.

New passwords and usernames (register, change_password, `user passwd`):
- a password may not be blank, and a strength estimate (zxcvbn, given the
  username) of 0 out of 4 ("too guessable": top-list passwords, repeats,
  keyboard walks, the username itself) is refused with its reason;
- a self-chosen username needs a letter or a digit (not `...` or `-_-`),
  and may not pass for a staff name (`admin`, `adm1n`, `r00t`, ...).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auctioneer.engine.errors import InvalidCommand
from auctioneer.service.errors import RateLimited

__all__ = ["PasswordHasherPool", "check_new_password", "check_new_username"]

T = TypeVar("T")

NICENESS = 10  # how far hashing threads step back for the event loop (0-19)
MAX_ESTIMATED = 72  # zxcvbn refuses longer input (its cost grows with length)
# Digits and signs read as letters; "1" may stand for "i" or "l".
_LEET = (str.maketrans("013457@$!|", "oieastasii"), str.maketrans("013457@$!|", "oleastasii"))
RESERVED_NAMES = frozenset(
    {
        "admin",
        "administrator",
        "root",
        "system",
        "sysadmin",
        "superuser",
        "auctioneer",
        "moderator",
        "operator",
        "support",
        "staff",
        "security",
        "official",
    }
)


class PasswordHasherPool:
    """Argon2 hashing and verifying off the event loop, bounded."""

    def __init__(
        self, hasher: PasswordHasher | None = None, *, concurrency: int = 1, queue: int = 32
    ) -> None:
        self.hasher = hasher or PasswordHasher()
        self.concurrency = max(1, concurrency)
        self._limit = self.concurrency + max(0, queue)
        self._pending = 0
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.concurrency, thread_name_prefix="argon2", initializer=_step_back
        )

    @property
    def pending(self) -> int:
        """Hashes running or waiting now."""
        return self._pending

    async def hash(self, password: str) -> str:
        """Raises: RateLimited when too many hashes are running and waiting."""
        return await self._run(self.hasher.hash, password)

    async def verify(self, stored: str, password: str) -> bool:
        """Raises: RateLimited when too many hashes are running and waiting."""
        return await self._run(self._verify, stored, password)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _run(self, fn: Callable[..., T], *args: str) -> T:
        if self._pending >= self._limit:
            raise RateLimited("The server is busy checking passwords; try again shortly", 1.0)
        loop = asyncio.get_running_loop()
        self._pending += 1
        try:
            future = self._executor.submit(fn, *args)
        except RuntimeError:  # shut down
            self._pending -= 1
            raise
        # Counted until the thread is done with it, even if the caller goes away.
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(self._done))
        return await asyncio.wrap_future(future)

    def _done(self) -> None:
        self._pending -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def _step_back() -> None:
    """Lower this worker thread's CPU priority (Linux: per thread, inherited)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


def check_new_password(password: str, username: str) -> None:
    """Refuse a blank or very guessable password, saying why.

    Raises:
        InvalidCommand: naming the field `password`.
    """
    if not password.strip():
        raise InvalidCommand("The password cannot be blank", field="password")
    from zxcvbn import zxcvbn

    estimate = zxcvbn(password[:MAX_ESTIMATED], user_inputs=[username])
    if estimate["score"] < 1:
        feedback = estimate.get("feedback") or {}
        reason = feedback.get("warning") or "It would be guessed in moments."
        hint = " ".join(feedback.get("suggestions") or [])
        message = f"The password is too easy to guess. {reason}" + (f" {hint}" if hint else "")
        raise InvalidCommand(message, field="password")


def check_new_username(username: str) -> None:
    """Refuse a self-chosen name of punctuation only, or one that poses as staff.

    Raises:
        InvalidCommand: naming the field `username`.
    """
    if not any(c.isalnum() for c in username):
        raise InvalidCommand("A username needs at least one letter or digit", field="username")
    folded = username.casefold()
    plain = {"".join(c for c in folded.translate(table) if c.isalpha()) for table in _LEET}
    if plain & RESERVED_NAMES:
        raise InvalidCommand(f"The username {username!r} is reserved", field="username")
