"""The mailer: a durable outbox over the notices the store already keeps.

Nothing on the bid path sends mail. A bid's notices are stored with its
commit (per-user seqs, `store.notices`); this task, running beside the
server, reads them after the fact and keeps, per user, a durable cursor
"mailed up to seq N" (`HouseRecords.mail_cursor`). For each verified address
it mails the notices after the cursor in seq order and moves the cursor past
each one once the SMTP server has accepted it (or once it was skipped: an
unsubscribed kind, a kind that is not mailed, an address the server refused
for good). Verification mails wait in their own outbox table the same way.

What "exactly once" means here (docs/email.md): every stored notice of a
verified, subscribed user is handed to the SMTP server, and its cursor step
is written only after the server's 250. A crash between those two moments
(a few milliseconds) sends that one mail again after the restart, with the
same Message-ID, which lets receiving systems drop the copy; no other crash
or outage loses or repeats a mail. While the server is down (or answers
4xx) the mailer keeps the cursor where it is and retries with exponential
back-off, 1 s doubling up to `max_backoff_s`.

One mailer per database: with several server processes, give `--smtp` to
one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import cast
from urllib.parse import quote

from auctioneer.service.emails import unsubscribe_token
from auctioneer.service.house import House
from auctioneer.service.invoice_pdf import invoice_pdf
from auctioneer.service.invoices import InvoiceService, purchase_id
from auctioneer.service.mail_render import Links, MailText, notice_mail, verification_mail
from auctioneer.service.ports import (
    Clock,
    EmailRecord,
    EventStore,
    HouseRecords,
    MailDeferred,
    MailRefused,
    MailTransport,
    StoredNotice,
)

__all__ = ["Mailer", "backoff_delays"]

log = logging.getLogger(__name__)


def backoff_delays(first_s: float, most_s: float) -> list[float]:
    """The waits after 1, 2, 3, ... failures in a row: doubling, then flat at `most_s`."""
    delays, delay = [], first_s
    while delay < most_s:
        delays.append(delay)
        delay *= 2
    return [*delays, most_s]


class Mailer:
    """Sends the mails the notices and the outbox call for; run it as one task."""

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        transport: MailTransport,
        invoices: InvoiceService,
        house: House,
        *,
        sender: str,
        public_url: str,
        poll_s: float = 1.0,
        first_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
    ) -> None:
        self.store = store
        self.records = cast(HouseRecords, store)
        self.clock = clock
        self.transport = transport
        self.invoices = invoices
        self.house = house
        self.sender = sender or formataddr((house.name, "auctioneer@localhost"))
        self.public_url = public_url.rstrip("/")
        self.poll_s = poll_s
        self._delays = backoff_delays(first_backoff_s, max_backoff_s)
        self.failures = 0  # rounds in a row that found the server unavailable
        self.sent = 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- running -----------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, 10)
            self._task = None

    async def run(self) -> None:
        """Rounds until stopped: mail what is due, then wait (longer after a failure)."""
        while not self._stop.is_set():
            try:
                await self.round()
                self.failures = 0
                delay = self.poll_s
            except MailDeferred as e:
                delay = self._delays[min(self.failures, len(self._delays) - 1)]
                self.failures += 1
                log.warning("mail server unavailable (%s); next try in %.0f s", e, delay)
            except Exception:  # the store may be briefly unavailable; never die
                log.exception("mailer round failed")
                delay = self._delays[-1] if self.failures else self.poll_s
            finally:
                with contextlib.suppress(Exception):
                    await self.transport.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    async def round(self) -> int:
        """Send every mail due now; returns how many the server accepted.

        Raises:
            MailDeferred: the server cannot take mail now; cursors stay put.
        """
        sent = 0
        for mail in await self.records.pending_mail():
            record = await self.records.email_of(mail.user_id)
            if record is not None and mail.kind == "verify" and mail.data.get("token"):
                link = f"{self.public_url}/api/email/verify?token={quote(mail.data['token'])}"
                text = verification_mail(
                    house=self.house.name, email=str(mail.data.get("email")), link=link
                )
                to = str(mail.data.get("email"))
                if await self._send(self._message(to, text, f"verify.{mail.id}", record)):
                    sent += 1
            await self.records.mail_sent(mail.id, self.clock.now_ms())
        for record in await self.records.verified_emails():
            sent += await self._mail_notices(record)
        return sent

    async def _mail_notices(self, record: EmailRecord) -> int:
        user_id = record.user_id
        cursor = await self.records.mail_cursor(user_id)
        if await self.store.last_notice_seq(user_id) <= cursor:
            return 0
        off = await self.records.mail_optouts(user_id)
        sent = 0
        for notice in await self.store.notices(user_id, cursor):
            if notice.kind not in off:
                message = await self._notice_message(record, notice)
                if message is not None and await self._send(message):
                    sent += 1
            await self.records.advance_mail_cursor(user_id, notice.seq)
        return sent

    async def _send(self, message: EmailMessage) -> bool:
        """True once accepted; False if refused for good. Raises MailDeferred."""
        try:
            await self.transport.send(message)
        except MailRefused as e:
            log.warning("mail to %s refused: %s", message["To"], e)
            return False
        self.sent += 1
        return True

    # -- building ------------------------------------------------------------------

    async def _notice_message(
        self, record: EmailRecord, notice: StoredNotice
    ) -> EmailMessage | None:
        data = notice.data
        auction_id = data.get("auction_id")
        unsubscribe = self._unsubscribe_url(record, notice.kind)
        invoice_url = None
        attachment: tuple[str, bytes] | None = None
        if notice.kind == "won" and isinstance(auction_id, int):
            pid = purchase_id(auction_id, int(data.get("round", 1)))
            invoice_url = f"{self.public_url}/api/purchases/{pid}/invoice"
            invoice = await self.invoices.for_purchase(record.user_id, pid)
            if invoice is not None:
                pdf = await asyncio.to_thread(invoice_pdf, invoice)
                attachment = (f"{invoice.number}.pdf", pdf)
        links = Links(
            auction=f"{self.public_url}/#/auction/{auction_id}",
            unsubscribe=unsubscribe,
            invoice=invoice_url,
        )
        text = notice_mail(
            notice.kind, data, house=self.house.name, currency=self.house.currency, links=links
        )
        if text is None:
            return None
        message = self._message(record.email, text, f"notice.{record.user_id}.{notice.seq}", record)
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["X-Auctioneer-Notice"] = f"{notice.kind} {notice.seq}"
        if attachment is not None:
            name, pdf = attachment
            message.add_attachment(pdf, maintype="application", subtype="pdf", filename=name)
        return message

    def _unsubscribe_url(self, record: EmailRecord, kind: str) -> str:
        token = unsubscribe_token(record.user_id, kind, record.secret)
        return f"{self.public_url}/api/email/unsubscribe?token={token}"

    def _message(self, to: str, text: MailText, key: str, record: EmailRecord) -> EmailMessage:
        """A multipart/alternative mail; its Message-ID is the same on every retry."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = text.subject
        message["Date"] = formatdate(self.clock.now_ms() / 1000, usegmt=True)
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "auctioneer.invalid"
        message["Message-ID"] = f"<{key}.{record.secret[:16]}@{domain}>"
        message.set_content(text.text)
        message.add_alternative(text.html, subtype="html")
        return message
