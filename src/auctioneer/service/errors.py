"""Service errors: who may do what, and what exists.

    AuctionError (engine)            every error has a wire `code`
    └── ServiceError
        ├── Unauthorized             unauthorized: not logged in, bad credentials or token
        ├── Forbidden                forbidden: logged in, but not allowed
        ├── NotFound                 not_found: no such auction, or not visible to you
        ├── RateLimited              rate_limited
        ├── Conflict                 conflict
        ├── UsernameTaken            username_taken
        ├── UnsupportedMediaType     unsupported_media_type: an upload that is no JPEG, PNG or WebP
        ├── PayloadTooLarge          payload_too_large: an upload over its size limit
        └── Internal                 internal: our fault; details stay in the log

Gateways turn any of these into the docs/protocol.md error object via `to_wire()`.
"""

from __future__ import annotations

from auctioneer.engine.errors import AuctionError

__all__ = [
    "Conflict",
    "Forbidden",
    "Internal",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceError",
    "Unauthorized",
    "UnsupportedMediaType",
    "UsernameTaken",
]


class ServiceError(AuctionError):
    code = "internal"


class Unauthorized(ServiceError):
    code = "unauthorized"

    def __init__(self, message: str = "Log in first") -> None:
        super().__init__(message)


class Forbidden(ServiceError):
    code = "forbidden"

    def __init__(self, message: str = "Only an admin may do that") -> None:
        super().__init__(message)


class NotFound(ServiceError):
    code = "not_found"

    def __init__(self, what: str = "auction") -> None:
        super().__init__(f"No such {what}")


class RateLimited(ServiceError):
    code = "rate_limited"

    def __init__(self, message: str = "Too many requests; slow down", retry_after_s: float = 1.0):
        super().__init__(message, retry_after_s=round(retry_after_s, 3))


class Conflict(ServiceError):
    code = "conflict"


class UsernameTaken(ServiceError):
    code = "username_taken"

    def __init__(self, username: str) -> None:
        super().__init__(f"The username {username!r} is taken")


class UnsupportedMediaType(ServiceError):
    code = "unsupported_media_type"

    def __init__(self, message: str = "Send a JPEG, PNG or WebP image") -> None:
        super().__init__(message)


class PayloadTooLarge(ServiceError):
    code = "payload_too_large"

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message, limit=limit)


class Internal(ServiceError):
    code = "internal"

    def __init__(self, message: str = "Internal error; the request was not applied") -> None:
        super().__init__(message)
