"""Create and change accounts from the shell, through the same rules as the wire."""

from __future__ import annotations

from typing import Any

from auctioneer.service.clock import SystemClock
from auctioneer.service.ports import UserRecord
from auctioneer.service.settings import Settings
from auctioneer.service.users import UserService
from auctioneer.store.factory import open_store
from auctioneer.wire import messages as m

__all__ = ["add_user", "manage_user"]


async def add_user(settings: Settings, name: str, password: str, *, admin: bool) -> UserRecord:
    """Validate like `register`, then create the user.

    Raises:
        InvalidCommand: a bad username or password.
        UsernameTaken: the name exists.
    """
    m.parse_fields(m.Register, {"username": name, "password": password})
    store = open_store(settings.db)
    await store.open()
    users = UserService(store, SystemClock())
    try:
        return await users.register(name, password, "admin" if admin else "bidder")
    finally:
        await users.close()
        await store.close()


async def manage_user(settings: Settings, name: str, **changes: Any) -> UserRecord:
    """Change an account (`UserService.manage`): every running server picks the
    change up within seconds, and a disabled user's tokens die at once.

    Raises:
        InvalidCommand: no such user, an unknown role, a weak password.
    """
    store = open_store(settings.db)
    await store.open()
    users = UserService(store, SystemClock())
    try:
        return await users.manage(name, **changes)
    finally:
        await users.close()
        await store.close()
