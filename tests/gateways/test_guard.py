"""Who a client is and what one address may hold (gateways/guard.py), without sockets."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from auctioneer.gateways.guard import ConnectionGuard, OriginPolicy, TrustedProxies


class FakePeer(asyncio.BaseTransport):
    """A transport that only knows its peer's address (all the guard asks)."""

    def __init__(self, host: str) -> None:
        super().__init__()
        self.host = host

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return (self.host, 40000) if name == "peername" else default


def test_forwarded_for_is_ignored_unless_the_peer_is_a_named_proxy() -> None:
    nobody = TrustedProxies("")
    assert not nobody
    assert nobody.client("127.0.0.1", "9.9.9.9") == "127.0.0.1"
    proxies = TrustedProxies("10.0.0.1, 192.168.0.0/16")
    assert proxies.client("127.0.0.1", "9.9.9.9") == "127.0.0.1"  # loopback is not trusted
    assert proxies.client("10.0.0.1", "9.9.9.9") == "9.9.9.9"
    assert proxies.client("10.0.0.1", None) == "10.0.0.1"


def test_the_client_is_the_last_hop_that_is_not_a_trusted_proxy() -> None:
    proxies = TrustedProxies("10.0.0.1,192.168.0.0/16")
    # A client that sends its own X-Forwarded-For cannot hide behind it.
    assert proxies.client("10.0.0.1", "1.1.1.1, 6.6.6.6, 192.168.3.4") == "6.6.6.6"
    assert proxies.client("10.0.0.1", "192.168.1.1, 192.168.1.2") == "192.168.1.1"
    assert proxies.client("10.0.0.1", " , ") == "10.0.0.1"


def test_a_bad_proxy_entry_fails_naming_the_setting() -> None:
    with pytest.raises(ValueError, match=r"FORWARDED_ALLOW_IPS.*nginx"):
        TrustedProxies("10.0.0.1,nginx")
    assert TrustedProxies("*").trusts("203.0.113.9")


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        (None, "example.com", True),  # no Origin: not a browser (CLI, bots)
        ("http://example.com", "example.com", True),
        ("https://example.com", "example.com", True),
        ("http://example.com:8000", "example.com:8000", True),
        ("HTTP://Example.COM:80", "example.com", True),
        ("http://evil.example", "example.com", False),
        ("http://example.com:9000", "example.com:8000", False),
        ("null", "example.com", False),
        ("file://", "example.com", False),
        ("https://app.example", "api.example", True),  # named by --allowed-origins
        ("https://app.example:8443", "api.example", False),
    ],
)
def test_websocket_origins_are_the_servers_own_or_named(
    origin: str | None, host: str, allowed: bool
) -> None:
    assert OriginPolicy("https://app.example").allows(origin, host) is allowed


def test_allowed_origins_are_checked_when_given() -> None:
    with pytest.raises(ValueError, match="ALLOWED_ORIGINS"):
        OriginPolicy("app.example")
    assert OriginPolicy("*").allows("http://anywhere.example", "example.com")


def test_the_guard_caps_each_address_and_frees_a_place_when_one_closes() -> None:
    guard = ConnectionGuard(2, TrustedProxies("10.0.0.1"))
    first, second, third = FakePeer("1.2.3.4"), FakePeer("1.2.3.4"), FakePeer("1.2.3.4")
    assert guard.admit(first) and guard.admit(second)
    assert not guard.admit(third)
    assert guard.admit(FakePeer("5.6.7.8"))  # another address is not affected
    guard.release(first)
    guard.release(first)  # twice is harmless
    assert guard.count("1.2.3.4") == 1
    assert guard.admit(third)
    assert guard.refused == 1
    # A trusted proxy carries many clients: never capped.
    assert all(guard.admit(FakePeer("10.0.0.1")) for _ in range(10))
    assert ConnectionGuard(0).admit(FakePeer("1.2.3.4"))  # 0 = no cap
