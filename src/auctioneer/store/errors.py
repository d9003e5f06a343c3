"""The store's errors: one tree, each with a stable wire `code`.

    StoreError                        internal: base of every store error
    ├── ConcurrencyConflict           conflict: the commit lost a race; nothing of it was written
    ├── StoreUnavailable              internal: the database cannot be reached or used
    └── UsernameTaken                 username_taken: create_user with an existing name

Adapters translate driver errors at the edge with `raise ... from e` (see the
`translate_*` functions of `sqlite.py` and `postgres.py`); callers never see a
`sqlite3` or `asyncpg` exception.
"""

from __future__ import annotations

__all__ = [
    "ConcurrencyConflict",
    "StoreError",
    "StoreUnavailable",
    "UsernameTaken",
]


class StoreError(Exception):
    """Base of every store error; `code` is the docs/protocol.md error code."""

    code: str = "internal"

    def __str__(self) -> str:
        return "store error"


class ConcurrencyConflict(StoreError):
    """An append lost a race: its version was taken, or its request id was used.

    Nothing of the commit was written; reload the auction and decide again.
    """

    code = "conflict"

    def __init__(self, auction_id: int, expected_version: int, *, reason: str = "version") -> None:
        super().__init__(auction_id, expected_version, reason)
        self.auction_id = auction_id
        self.expected_version = expected_version
        self.reason = reason  # "version" | "request_id" | "contention"

    def __str__(self) -> str:
        if self.reason == "request_id":
            return f"auction {self.auction_id}: the request id was already used"
        if self.reason == "contention":
            return f"auction {self.auction_id}: the write collided with another, retry"
        return (
            f"auction {self.auction_id}: version {self.expected_version + 1} "
            "was written by someone else"
        )


class StoreUnavailable(StoreError):
    """The backend failed (cannot connect, locked, disk error, closed store)."""

    code = "internal"

    def __init__(self, backend: str, detail: str) -> None:
        super().__init__(backend, detail)
        self.backend = backend
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.backend} store unavailable: {self.detail}"


class UsernameTaken(StoreError):
    """A user with this name exists already (names compare case-insensitively)."""

    code = "username_taken"

    def __init__(self, username: str) -> None:
        super().__init__(username)
        self.username = username

    def __str__(self) -> str:
        return f"username {self.username!r} is taken"
