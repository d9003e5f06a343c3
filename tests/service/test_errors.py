"""Service errors: each has its wire code and a message made from its fields."""

from __future__ import annotations

import pytest

from auctioneer.engine.errors import AuctionError
from auctioneer.service.errors import (
    Conflict,
    Forbidden,
    Internal,
    NotFound,
    RateLimited,
    ServiceError,
    Unauthorized,
    UsernameTaken,
)


@pytest.mark.parametrize(
    ("error", "wire"),
    [
        (Unauthorized(), {"code": "unauthorized", "message": "Log in first"}),
        (Forbidden(), {"code": "forbidden", "message": "Only an admin may do that"}),
        (NotFound(), {"code": "not_found", "message": "No such auction"}),
        (NotFound("sale"), {"code": "not_found", "message": "No such sale"}),
        (Conflict("Try again"), {"code": "conflict", "message": "Try again"}),
        (
            UsernameTaken("ann"),
            {"code": "username_taken", "message": "The username 'ann' is taken"},
        ),
        (
            Internal(),
            {"code": "internal", "message": "Internal error; the request was not applied"},
        ),
        (
            RateLimited(retry_after_s=0.12345),
            {
                "code": "rate_limited",
                "message": "Too many requests; slow down",
                "retry_after_s": 0.123,
            },
        ),
    ],
)
def test_each_error_has_its_wire_object(error: ServiceError, wire: dict[str, object]) -> None:
    assert error.to_wire() == wire
    assert isinstance(error, AuctionError)


def test_a_rate_limit_waits_a_second_by_default() -> None:
    assert RateLimited().fields == {"retry_after_s": 1.0}


def test_the_base_service_error_is_internal() -> None:
    assert ServiceError("x").code == "internal"
