"""Create accounts from the shell, through the same validation as `register`."""

from __future__ import annotations

from auctioneer.service.clock import SystemClock
from auctioneer.service.ports import UserRecord
from auctioneer.service.settings import Settings
from auctioneer.service.users import UserService
from auctioneer.store.factory import open_store
from auctioneer.wire import messages as m

__all__ = ["add_user"]


async def add_user(settings: Settings, name: str, password: str, *, admin: bool) -> UserRecord:
    """Validate like `register`, then create the user.

    Raises:
        InvalidCommand: a bad username or password.
        UsernameTaken: the name exists.
    """
    m.parse_fields(m.Register, {"username": name, "password": password})
    store = open_store(settings.db)
    await store.open()
    try:
        users = UserService(store, SystemClock())
        return await users.register(name, password, "admin" if admin else "bidder")
    finally:
        await store.close()
