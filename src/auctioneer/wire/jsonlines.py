"""A sans-I/O JSON-lines framer: bytes in, complete lines out, with a size limit.

Like h11 and websockets' Protocol, it does no I/O: the TCP gateway feeds it
what the socket read (`receive_data`) and takes whole lines back
(`lines_received`). A line longer than `max_line_bytes` (not counting the
newline) is a peer error: the framer reports it once and the gateway replies
`message_too_large` and closes (docs/protocol.md "Error codes").
"""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_LINE_BYTES", "JsonLinesFramer", "LineTooLong"]

DEFAULT_MAX_LINE_BYTES = 65_536


class LineTooLong(Exception):
    """The peer sent a line over the limit; the connection must close."""

    code = "message_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Message larger than {limit} bytes")
        self.limit = limit


class JsonLinesFramer:
    """Split a byte stream into lines of at most `max_line_bytes` bytes."""

    def __init__(self, *, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        self._buffer = bytearray()
        self._lines: list[bytes] = []
        self._scan_from = 0
        self.failed = False

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the peer.

        Raises:
            LineTooLong: once a line exceeds the limit; the framer then ignores
                further data (the connection is to be closed).
        """
        if self.failed:
            return
        self._buffer += data
        while True:
            newline = self._buffer.find(b"\n", self._scan_from)
            if newline < 0:
                self._scan_from = len(self._buffer)
                # A trailing CR may be the first half of CRLF: it does not count yet.
                pending = len(self._buffer) - self._buffer.endswith(b"\r")
                if pending > self.max_line_bytes:
                    self._fail()
                return
            line = bytes(self._buffer[:newline])
            del self._buffer[: newline + 1]
            self._scan_from = 0
            if line.endswith(b"\r"):
                line = line[:-1]
            if len(line) > self.max_line_bytes:
                self._fail()
            if line.strip():
                self._lines.append(line)

    def _fail(self) -> None:
        self.failed = True
        self._buffer.clear()
        raise LineTooLong(self.max_line_bytes)

    def lines_received(self) -> list[bytes]:
        """Return and forget the complete, non-blank lines received so far."""
        lines, self._lines = self._lines, []
        return lines

    @staticmethod
    def frame(payload: bytes) -> bytes:
        """Bytes to send for one message: the JSON and a newline."""
        return payload + b"\n"
