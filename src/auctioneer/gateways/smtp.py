"""The SMTP transport: `--smtp smtp://HOST:PORT` with STARTTLS/SSL and a login.

The stdlib's smtplib, run in a worker thread (it blocks), behind the
service's `MailTransport` port. One connection is kept across the sends of
one mailer round and closed at its end. Failures are sorted in two: the
server cannot take mail now (refused connection, timeout, 4xx: `MailDeferred`,
the mailer retries later) or it refused this mail for good (5xx for the
recipient or the message: `MailRefused`, the mailer moves on).

Security (`--smtp-security`): `auto` upgrades with STARTTLS when the server
offers it; `starttls` insists on it; `ssl` speaks TLS from the first byte
(the default for `smtps://`, port 465); `none` never encrypts. A login
(`--smtp-user`, `--smtp-password`) is only sent over TLS unless `none` was
chosen explicitly. The server's certificate is always checked (chain and
host name): against the system's CAs, or only against the CAs of a PEM file
given as `--smtp-ca-file` (a private CA, or a self-signed certificate); a
certificate neither vouches for is refused and the mail waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from auctioneer.service.ports import MailDeferred, MailRefused
from auctioneer.service.settings import Settings

__all__ = ["SmtpConfig", "SmtpTransport"]

_SECURITY = ("auto", "starttls", "ssl", "none")


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    user: str
    password: str
    timeout_s: float = 15.0
    ca_file: str = ""  # trust only these CAs (PEM), instead of the system's

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        """Parse `--smtp` and its options.

        Raises:
            ValueError: naming the setting that does not parse.
        """
        url = urlsplit(settings.smtp)
        if url.scheme not in ("smtp", "smtps") or not url.hostname:
            raise ValueError(
                f"AUCTIONEER_SMTP: use smtp://HOST:PORT or smtps://HOST:PORT, not {settings.smtp!r}"
            )
        security = settings.smtp_security or "auto"
        if security not in _SECURITY:
            raise ValueError(f"AUCTIONEER_SMTP_SECURITY: one of {', '.join(_SECURITY)}")
        if url.scheme == "smtps" and security == "auto":
            security = "ssl"
        try:
            port = url.port or (465 if security == "ssl" else 25)
        except ValueError:
            raise ValueError(f"AUCTIONEER_SMTP: a bad port in {settings.smtp!r}") from None
        user = settings.smtp_user or unquote(url.username or "")
        password = settings.smtp_password or unquote(url.password or "")
        ca_file = settings.smtp_ca_file
        if ca_file:
            try:
                ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as e:
                message = f"AUCTIONEER_SMTP_CA_FILE: cannot read {ca_file!r} ({e})"
                raise ValueError(message) from None
        return cls(url.hostname, port, security, user, password, ca_file=ca_file)


class SmtpTransport:
    """`MailTransport` over smtplib; one connection per mailer round."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._conn: smtplib.SMTP | None = None
        self._lock = asyncio.Lock()

    async def send(self, message: EmailMessage) -> None:
        async with self._lock:
            await asyncio.to_thread(self._send, message)

    async def close(self) -> None:
        async with self._lock:
            await asyncio.to_thread(self._close)

    # -- in the worker thread -----------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        context = ssl.create_default_context(cafile=c.ca_file or None)
        conn: smtplib.SMTP
        if c.security == "ssl":
            conn = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout_s, context=context)
        else:
            conn = smtplib.SMTP(c.host, c.port, timeout=c.timeout_s)
        try:
            conn.ehlo()
            encrypted = c.security == "ssl"
            if c.security == "starttls" or (c.security == "auto" and conn.has_extn("starttls")):
                conn.starttls(context=context)
                conn.ehlo()
                encrypted = True
            if c.user:
                if not encrypted and c.security != "none":
                    raise smtplib.SMTPException("refusing to send the SMTP login unencrypted")
                conn.login(c.user, c.password)
        except BaseException:
            conn.close()
            raise
        return conn

    def _send(self, message: EmailMessage) -> None:
        try:
            if self._conn is None:
                self._conn = self._connect()
            refused = self._conn.send_message(message)
        except smtplib.SMTPRecipientsRefused as e:
            codes = [code for code, _ in e.recipients.values()]
            if all(400 <= code < 500 for code in codes):
                raise MailDeferred(str(e)) from e
            raise MailRefused(str(e)) from e
        except smtplib.SMTPResponseException as e:
            self._drop()
            if 500 <= e.smtp_code < 600 and not isinstance(e, smtplib.SMTPAuthenticationError):
                raise MailRefused(f"{e.smtp_code} {e.smtp_error!r}") from e
            raise MailDeferred(f"{e.smtp_code} {e.smtp_error!r}") from e
        except (OSError, smtplib.SMTPException) as e:  # down, timed out, TLS, disconnected
            self._drop()
            raise MailDeferred(str(e) or type(e).__name__) from e
        if refused:
            raise MailRefused(f"refused recipients: {sorted(refused)}")

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()
