"""The SMTP transport over real TLS: a real aiosmtpd server on 127.0.0.1 with a
certificate made here by a throwaway CA (trustme), spoken to with STARTTLS and
with TLS from the first byte, logging in; a certificate the client was not
told to trust is refused, and the mail waits (`MailDeferred`).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme

from auctioneer.gateways.smtp import SmtpConfig, SmtpTransport
from auctioneer.service.ports import MailDeferred
from auctioneer.service.settings import Settings
from tests.helpers.smtp import MailSink

LOGIN = ("auctions", "s3cret")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(params=["starttls", "ssl"])
def sink(request: pytest.FixtureRequest, server_context: ssl.SSLContext) -> Iterator[MailSink]:
    sink = MailSink(login=LOGIN, tls=request.param, tls_context=server_context).start()
    yield sink
    sink.stop()


def _mail(subject: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@house.test", "ann@example.test", subject
    mail.set_content(subject)
    return mail


def _transport(sink: MailSink, **settings: str) -> SmtpTransport:
    user, password = LOGIN
    config = SmtpConfig.from_settings(
        Settings(smtp=sink.url, smtp_user=user, smtp_password=password, **settings)
    )
    return SmtpTransport(config)


async def test_a_trusted_certificate_carries_the_login_and_the_mail(
    sink: MailSink, ca_file: str
) -> None:
    # `auto` on smtp:// upgrades because the server offers STARTTLS; smtps:// is TLS at once.
    transport = _transport(sink, smtp_ca_file=ca_file)
    await transport.send(_mail("one"))
    await transport.send(_mail("two"))  # the same connection, still encrypted
    await transport.close()
    assert [m["Subject"] for m in sink.received()] == ["one", "two"]
    assert sink.sessions == [(True, True), (True, True)]  # over TLS, logged in


async def test_starttls_insisted_on_works_with_a_trusted_certificate(
    server_context: ssl.SSLContext, ca_file: str
) -> None:
    sink = MailSink(login=LOGIN, tls="starttls", tls_context=server_context).start()
    try:
        transport = _transport(sink, smtp_security="starttls", smtp_ca_file=ca_file)
        await transport.send(_mail("insisted"))
        await transport.close()
        assert sink.sessions == [(True, True)]
    finally:
        sink.stop()


async def test_a_certificate_the_client_does_not_trust_is_refused(sink: MailSink) -> None:
    # Without --smtp-ca-file only the system's CAs vouch, and none of them made this one.
    transport = _transport(sink)
    with pytest.raises(MailDeferred, match="CERTIFICATE_VERIFY_FAILED"):
        await transport.send(_mail("untrusted"))
    await transport.close()
    assert sink.received() == []


async def test_another_ca_does_not_vouch_for_the_server_either(
    sink: MailSink, tmp_path: Path
) -> None:
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    transport = _transport(sink, smtp_ca_file=str(other))
    with pytest.raises(MailDeferred, match="CERTIFICATE_VERIFY_FAILED"):
        await transport.send(_mail("untrusted"))
    await transport.close()
    assert sink.received() == []


async def test_a_certificate_for_another_host_name_is_refused(ca: trustme.CA, ca_file: str) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mail.example.test").configure_cert(context)  # not 127.0.0.1
    sink = MailSink(login=LOGIN, tls="ssl", tls_context=context).start()
    try:
        transport = _transport(sink, smtp_ca_file=ca_file)
        with pytest.raises(MailDeferred, match="CERTIFICATE_VERIFY_FAILED"):
            await transport.send(_mail("wrong name"))
        await transport.close()
        assert sink.received() == []
    finally:
        sink.stop()


def test_a_ca_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    for path in (str(junk), str(tmp_path / "missing.pem")):
        with pytest.raises(ValueError, match="AUCTIONEER_SMTP_CA_FILE"):
            SmtpConfig.from_settings(Settings(smtp="smtp://x", smtp_ca_file=path))
