"""Who a client is, and how much of the server one address may hold (issue 20, items 6 and X-F-F).

- `TrustedProxies`: `X-Forwarded-For` is believed only from the proxies named
  by `--forwarded-allow-ips` (addresses or networks; none by default), and
  then the client is the last address in the chain that is not a trusted
  proxy itself, so a client cannot name itself by sending the header.
- `ConnectionGuard`: at most `max_connections_per_address` open connections
  per client address, both ports together (HTTP, WebSocket, TCP). A trusted
  proxy's own address is not capped: its clients are many.
- `OriginPolicy`: a browser's WebSocket handshake is accepted only from the
  server's own origin (the `Host` it was asked for) or one named by
  `--allowed-origins`, so another site's page cannot open a socket with its
  visitor's browser (issue 20, item 10). Clients that send no `Origin` (the
  command line, bots, scripts) are not browsers and are let in.
- `guarded_http`: uvicorn's HTTP protocol with the guard and a header-read
  timeout: a connection must complete each request's headers within
  `header_timeout_s` of its first byte (or of connecting), else it is closed.
  uvicorn arms no timer until a first response, so without it a silent or
  half-sent request holds a connection for ever.
"""

from __future__ import annotations

import asyncio
import ipaddress
from urllib.parse import urlsplit

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["ConnectionGuard", "OriginPolicy", "TrustedProxies", "guarded_http", "peer_host"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def peer_host(transport: asyncio.BaseTransport) -> str:
    peer = transport.get_extra_info("peername")
    return str(peer[0]) if peer else ""


class TrustedProxies:
    """The proxies whose `X-Forwarded-For` is believed.

    Raises (on construction):
        ValueError: an entry that is no IP address or network.
    """

    def __init__(self, spec: str = "") -> None:
        self.networks: list[Network] = []
        self.everyone = False
        for entry in (part.strip() for part in spec.split(",")):
            if not entry:
                continue
            if entry == "*":
                self.everyone = True
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(
                    f"AUCTIONEER_FORWARDED_ALLOW_IPS: {entry!r} is no IP address or network"
                ) from None

    def __bool__(self) -> bool:
        return self.everyone or bool(self.networks)

    def trusts(self, host: str) -> bool:
        if self.everyone:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: `peer`, or from the header if `peer` is trusted."""
        if not forwarded_for or not self.trusts(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer


_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _origin_key(origin: str) -> str | None:
    """`scheme://host[:port]` reduced to `host[:port]` (default port dropped), or None."""
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return host
    return f"{host}:{port}"


class OriginPolicy:
    """Which `Origin`s may open a WebSocket: the server's own, plus `allowed`.

    Raises (on construction):
        ValueError: an allowed origin that is not `http(s)://host[:port]`.
    """

    def __init__(self, allowed: str = "") -> None:
        self.anyone = False
        self.allowed: set[str] = set()
        for entry in (part.strip() for part in allowed.split(",")):
            if not entry:
                continue
            if entry == "*":
                self.anyone = True
                continue
            key = _origin_key(entry)
            if key is None:
                raise ValueError(
                    f"AUCTIONEER_ALLOWED_ORIGINS: {entry!r} is not like https://host[:port]"
                )
            self.allowed.add(key)

    def allows(self, origin: str | None, host: str | None) -> bool:
        """Whether a handshake with this `Origin` (None: not sent) to `Host` may go on."""
        if origin is None or self.anyone:
            return True
        key = _origin_key(origin)
        if key is None:  # "null" (a sandboxed page, a file), or nonsense
            return False
        own = (host or "").strip().lower()
        return key in self.allowed or key == own or key == own.removesuffix(":80")


class ConnectionGuard:
    """Counts open connections per client address; refuses those over the cap."""

    def __init__(self, per_address: int, proxies: TrustedProxies | None = None) -> None:
        self.per_address = per_address
        self.proxies = proxies or TrustedProxies()
        self._open: dict[asyncio.BaseTransport, str] = {}
        self._counts: dict[str, int] = {}
        self.refused = 0

    def admit(self, transport: asyncio.BaseTransport) -> bool:
        """Count a new connection; False (and counted nowhere) if its address is full."""
        host = peer_host(transport)
        capped = self.per_address > 0 and not self.proxies.trusts(host)
        if capped and self._counts.get(host, 0) >= self.per_address:
            self.refused += 1
            return False
        self._open[transport] = host
        self._counts[host] = self._counts.get(host, 0) + 1
        return True

    def release(self, transport: asyncio.BaseTransport) -> None:
        """The connection ended (safe to call twice)."""
        host = self._open.pop(transport, None)
        if host is None:
            return
        left = self._counts[host] - 1
        if left:
            self._counts[host] = left
        else:
            del self._counts[host]

    def count(self, host: str) -> int:
        return self._counts.get(host, 0)


def guarded_http(guard: ConnectionGuard, header_timeout_s: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the connection cap and the header timeout."""

    class GuardedHttp(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None
        _awaiting_headers = True

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if not guard.admit(transport):
                transport.abort()
                return
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            guard.release(self.transport)
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._awaiting_headers and self._header_timer is None:
                self._arm()
            super().data_received(data)

        def on_headers_complete(self) -> None:
            self._awaiting_headers = False
            self._disarm()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            self._awaiting_headers = True  # the next request's headers, when they come
            super().on_response_complete()

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(header_timeout_s, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if self._awaiting_headers and not self.transport.is_closing():
                self.transport.abort()

        def handle_websocket_upgrade(self) -> None:
            self._disarm()  # the WebSocket door owns the connection (and its count) now
            super().handle_websocket_upgrade()

    return GuardedHttp
