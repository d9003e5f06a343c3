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

Finding new notices without reading every user's head each second: the
mailer subscribes to the `user:ID` topic of every verified address through
the hub (as a connection would), so a notice frame marks its user due and
wakes the mailer at once; only those users are read (plus one query a round
for newly verified addresses, which are followed and read once). A full pass
over every verified address runs at start and every `full_scan_s`, as a
safety net for a frame lost on the way (a broker is a hint; the store is
the truth).
Without a hub every round is a full pass.

One sender per database: with several server processes given `--smtp`,
only the one holding the database's `SenderLock` mails; the others stand by
and ask again each round (store/sender_lock.py says how it is held). The
holder asks before every mail, so one that lost the lock stops before its
next mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Protocol, cast
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
    Frame,
    HouseRecords,
    MailDeferred,
    MailRefused,
    MailTransport,
    SenderLock,
    StoredNotice,
)
from auctioneer.wire.timefmt import parse_time
from auctioneer.wire.topics import user_topic

__all__ = ["Follow", "Mailer", "backoff_delays"]

log = logging.getLogger(__name__)


INVOICE_WAIT_MS = 60_000  # how long a "won" mail waits for its purchase to be readable
_NOT_YET = object()


def _ended(ends_at: object, now: int) -> bool:
    """Whether an ending-soon notice's `ends_at` (wire text) has passed."""
    try:
        return isinstance(ends_at, str) and parse_time(ends_at) <= now
    except ValueError:
        return False


class Follow(Protocol):
    """What the mailer needs of the process's hub (pubsub/hub.py): to follow a topic."""

    async def attach(self, topic: str, subscriber: Mailer) -> None: ...


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
        hub: Follow | None = None,
        full_scan_s: float = 30.0,
        lock: SenderLock | None = None,
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
        self.hub = hub
        self.full_scan_s = full_scan_s
        self._due: set[int] = set()  # users whose notice frames arrived since the last round
        self._wake = asyncio.Event()
        self._followed: set[int] = set()  # users whose topic this mailer listens to
        self.lock = lock  # None: this process is the only sender
        self.sending = lock is None  # holds the lock (as of the last round)

    def deliver(self, topic: str, frame: Frame) -> None:
        """A frame on `user:ID` (the hub calls this): that user has mail due."""
        _, _, user = topic.partition(":")
        if user.isdigit():
            self._due.add(int(user))
            self._wake.set()

    # -- running -----------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, 10)
            self._task = None
        if self.lock is not None:
            await self.lock.release()
            self.sending = False

    async def run(self) -> None:
        """Rounds until stopped: mail what is due, then wait (longer after a failure)."""
        loop = asyncio.get_running_loop()
        next_full = loop.time()
        while not self._stop.is_set():
            if not await self._may_send():
                await self._sleep(self.poll_s, wake=False)
                continue
            full = self.hub is None or loop.time() >= next_full or self.failures > 0
            due, self._due = self._due, set()
            self._wake.clear()
            try:
                due |= await self._follow()
                await self.round(None if full else sorted(due))
                if full:
                    next_full = loop.time() + self.full_scan_s
                self.failures = 0
                delay = self.poll_s
            except MailDeferred as e:
                self._due |= due
                delay = self._delays[min(self.failures, len(self._delays) - 1)]
                self.failures += 1
                log.warning("mail server unavailable (%s); next try in %.0f s", e, delay)
            except Exception:  # the store may be briefly unavailable; never die
                self._due |= due
                self.failures += 1
                log.exception("mailer round failed")
                delay = self._delays[-1]
            finally:
                with contextlib.suppress(Exception):
                    await self.transport.close()
            await self._sleep(delay, wake=self.failures == 0)

    async def _may_send(self) -> bool:
        """Whether this process holds the sender lock (taken if free), logged on change."""
        if self.lock is None:
            return True
        try:
            held = await self.lock.held()
        except Exception:  # e.g. the lock file's folder is gone: stand by, never die
            log.exception("mailer: cannot take the sender lock")
            held = False
        if held != self.sending:
            self.sending = held
            log.info("mailer: %s", "sending" if held else "standing by (another process sends)")
        return held

    async def _sleep(self, delay: float, *, wake: bool) -> None:
        """Wait `delay`, or less when stopped or (unless backing off) woken by a notice."""
        waits = [asyncio.ensure_future(self._stop.wait())]
        if wake:
            waits.append(asyncio.ensure_future(self._wake.wait()))
        try:
            await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()

    async def _follow(self) -> set[int]:
        """Listen to the `user:ID` topic of every verified address not followed yet
        (one query a round); returns those users, due once now that they are."""
        if self.hub is None:
            return set()
        new = set()
        for record in await self.records.verified_emails():
            if record.user_id not in self._followed:
                await self.hub.attach(user_topic(record.user_id), self)
                self._followed.add(record.user_id)
                new.add(record.user_id)
        return new

    async def round(self, users: Sequence[int] | None = None) -> int:
        """Send every mail due now (for `users` only, when given); returns how many
        the server accepted.

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
        if users is None:
            records = await self.records.verified_emails()
        else:
            found = [await self.records.email_of(user_id) for user_id in users]
            records = [r for r in found if r is not None and r.verified_at is not None]
        for record in records:
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
                if message is _NOT_YET:
                    self._due.add(user_id)  # this user's later notices wait behind it
                    break
                if isinstance(message, EmailMessage) and await self._send(message):
                    sent += 1
            await self.records.advance_mail_cursor(user_id, notice.seq)
        return sent

    async def _send(self, message: EmailMessage) -> bool:
        """True once accepted; False if refused for good. Raises MailDeferred, also
        when this process no longer holds the sender lock (nothing is sent)."""
        if not await self._may_send():
            raise MailDeferred("another process sends the mail now")
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
    ) -> EmailMessage | object | None:
        """The mail of a notice; None when it is not mailed; `_NOT_YET` for a "won"
        whose purchase is not readable yet (a projection written behind the
        reply), for up to `INVOICE_WAIT_MS` after the notice, then sent without."""
        data = notice.data
        if notice.kind == "ending_soon" and _ended(data.get("ends_at"), self.clock.now_ms()):
            return None  # mailed late (the server was down): the auction has ended since
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
            elif self.clock.now_ms() < notice.at + INVOICE_WAIT_MS:
                return _NOT_YET
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
