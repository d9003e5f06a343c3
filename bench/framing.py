"""Client-side framing for the load generator: JSON lines and a minimal WebSocket.

Why our own WebSocket client: the load generator must not be what is measured.
A full client library spends tens of microseconds per frame on state machines,
masking and checks we do not need; with 1,000 subscribers that is the whole
budget of the client process. The server side is still a real, complete
implementation, so nothing about the server is skipped. The subset here:

- one fixed opening handshake, no extensions (no per-message deflate, so the
  server's per-connection memory is measured without compression state);
- client frames are masked with the all-zero key: RFC 6455 section 5.3 lets the
  client pick any key, and a zero key makes masking the identity, so a request
  is pre-encoded once and written as is;
- server frames (never masked, section 5.1) are parsed with fragmentation,
  ping (answered with pong) and close.

Both framers expose the same interface: `frame(payload) -> bytes` and
`feed(data) -> list[bytes]` of complete message payloads.
"""

from __future__ import annotations

__all__ = ["HANDSHAKE_END", "LineFramer", "WsFramer", "ws_handshake_request"]

HANDSHAKE_END = b"\r\n\r\n"
_ZERO_MASK = b"\x00\x00\x00\x00"


def ws_handshake_request(host: str, port: int, path: str) -> bytes:
    """The HTTP/1.1 upgrade request of RFC 6455 section 4.1, with a fixed key."""
    return (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "\r\n"
    ).encode()


class LineFramer:
    """JSON lines: one message per `\\n`-terminated line."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = b""

    @staticmethod
    def frame(payload: bytes) -> bytes:
        return payload + b"\n"

    def feed(self, data: bytes) -> list[bytes]:
        if self._buf:
            data = self._buf + data
        if data.endswith(b"\n"):
            self._buf = b""
            return data.split(b"\n")[:-1]
        parts = data.split(b"\n")
        self._buf = parts.pop()
        return parts


class WsFramer:
    """Client side of RFC 6455 framing (see the module docstring for the subset).

    Control frames the caller must act on are returned through `control`: a list
    of (opcode, payload) pairs for ping (9) and close (8), drained by the caller.
    """

    __slots__ = ("_buf", "_fragments", "control")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._fragments: list[bytes] = []
        self.control: list[tuple[int, bytes]] = []

    @staticmethod
    def frame(payload: bytes, opcode: int = 0x1) -> bytes:
        n = len(payload)
        first = 0x80 | opcode
        if n < 126:
            head = bytes((first, 0x80 | n))
        elif n < 65536:
            head = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
        else:
            head = bytes((first, 0x80 | 127)) + n.to_bytes(8, "big")
        return head + _ZERO_MASK + payload

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buf
        buf += data
        out: list[bytes] = []
        pos = 0
        end = len(buf)
        while end - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            n = b1 & 0x7F
            hdr = 2
            if n == 126:
                if end - pos < 4:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                hdr = 4
            elif n == 127:
                if end - pos < 10:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                hdr = 10
            mask = b""
            if b1 & 0x80:  # servers must not mask (RFC 6455 5.1); tolerate it anyway
                if end - pos < hdr + 4:
                    break
                mask = bytes(buf[pos + hdr : pos + hdr + 4])
                hdr += 4
            if end - pos < hdr + n:
                break
            payload = bytes(buf[pos + hdr : pos + hdr + n])
            pos += hdr + n
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0F
            if opcode >= 0x8:
                self.control.append((opcode, payload))
            elif b0 & 0x80:  # FIN
                if self._fragments:
                    self._fragments.append(payload)
                    payload = b"".join(self._fragments)
                    self._fragments = []
                out.append(payload)
            else:
                self._fragments.append(payload)
        if pos:
            del buf[:pos]
        return out
