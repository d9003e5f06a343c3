"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps the mails it receives.

It runs in its own thread and event loop, so it can be stopped ("the SMTP
server is down") and started again on the same port while the server under
test keeps trying.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

__all__ = ["MailSink", "free_port"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Keep:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.sink.lock:
            self.sink.mails.append(message)
            self.sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            over_tls = server.transport.get_extra_info("ssl_object") is not None
            self.sink.sessions.append((over_tls, bool(session.authenticated)))
        return "250 OK"


class MailSink:
    """Mails received, in order; `start()`/`stop()` may be called again and again.

    With `tls` ("starttls": offered after EHLO and required before MAIL;
    "ssl": TLS from the first byte) the server presents `tls_context`'s
    certificate, and a login is accepted only over TLS.
    """

    def __init__(
        self,
        port: int | None = None,
        *,
        login: tuple[str, str] | None = None,
        tls: str | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.port = port or free_port()
        self.login = login  # accept AUTH with this (user, password)
        self.tls = tls
        self.tls_context = tls_context
        self.mails: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.sessions: list[tuple[bool, bool]] = []  # per mail: (over TLS, logged in)
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        scheme = "smtps" if self.tls == "ssl" else "smtp"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> MailSink:
        options: dict[str, Any] = {}
        if self.login is not None:
            options = {
                "auth_required": False,  # offered, not required
                # aiosmtpd knows of STARTTLS only; "ssl" is TLS from the first byte.
                "auth_require_tls": self.tls == "starttls",
                "authenticator": self._authenticate,
            }
        if self.tls == "starttls":
            options |= {"tls_context": self.tls_context, "require_starttls": True}
        elif self.tls == "ssl":
            options |= {"ssl_context": self.tls_context}
        self._controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()
        return self

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert self.login is not None
        user, password = self.login
        given = (getattr(data, "login", b""), getattr(data, "password", b""))
        return AuthResult(success=given == (user.encode(), password.encode()))

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self, to: str | None = None, kind: str | None = None) -> list[EmailMessage]:
        with self.lock:
            mails = list(self.mails)
        if to is not None:
            mails = [m for m in mails if m["To"] == to]
        if kind is not None:
            mails = [
                m for m in mails if str(m.get("X-Auctioneer-Notice", "")).split(" ")[0] == kind
            ]
        return mails

    def wait_for(
        self, count: int, *, to: str | None = None, kind: str | None = None, timeout: float = 20.0
    ) -> list[EmailMessage]:
        """Block until `count` matching mails arrived (then return them)."""
        deadline = time.monotonic() + timeout
        while True:
            mails = self.received(to, kind)
            if len(mails) >= count or time.monotonic() > deadline:
                assert len(mails) >= count, f"{len(mails)} of {count} mails arrived: {mails}"
                return mails
            time.sleep(0.05)
