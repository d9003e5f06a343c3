"""Two real `auctioneer serve --smtp` processes on one real PostgreSQL database, one
real SMTP server speaking STARTTLS with a login and a certificate of a throwaway
CA: every notice is mailed exactly once, by whichever process holds the
database's sender lock; killed with SIGKILL, the other takes over and mails
the rest, again once each.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
import trustme

from tests.helpers.server import RunningServer, add_user, start_server
from tests.helpers.smtp import MailSink

POSTGRES = os.environ.get("AUCTIONEER_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(not POSTGRES, reason="AUCTIONEER_TEST_POSTGRES_URL is not set")

ANN = "ann@example.test"
PASSWORD = "correct horse battery"
LOGIN = ("auctions", "s3cret")


async def _sql(dsn: str, statement: str, *args: object) -> object:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(statement, *args)
    finally:
        await conn.close()


@pytest.fixture
def dsn() -> Iterator[str]:
    name = "auctioneer_mail_" + secrets.token_hex(6)  # ours: a prefix and hex digits
    asyncio.run(_sql(POSTGRES, f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES.rpartition("/")[0] + "/" + name
    finally:
        asyncio.run(_sql(POSTGRES, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return context, ca_file


def _serve(dsn: str, sink: MailSink, ca_file: Path) -> RunningServer:
    user, password = LOGIN
    return start_server(
        dsn,
        *("--smtp", sink.url, "--smtp-security", "starttls", "--smtp-ca-file", str(ca_file)),
        *("--smtp-user", user, "--smtp-password", password),
        *("--mail-from", "Auctioneer <auctions@house.test>"),
        # No shared broker here: the sender finds the other process's notices
        # by its full pass, made frequent for the test.
        env={"AUCTIONEER_MAIL_POLL_S": "0.1", "AUCTIONEER_MAIL_SCAN_S": "0.2"},
    )


def _sender_pid(dsn: str) -> int:
    """The process holding this database's sender lock (a holder whose check timed
    out on a busy machine lets go and takes it again a moment later: wait for one)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        name = asyncio.run(
            _sql(
                dsn,
                "SELECT a.application_name FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted"  # in this database only:
                " AND l.database = (SELECT oid FROM pg_database"  # other tests may hold
                " WHERE datname = current_database())"  # advisory locks elsewhere; here
                " AND a.application_name LIKE 'auctioneer mailer %'",  # buckets' leases too
            )
        )
        if match := re.fullmatch(r"auctioneer mailer (\d+)", str(name or "")):
            return int(match.group(1))
        time.sleep(0.05)
    raise AssertionError("no process holds the sender lock")


def _settled(dsn: str, user_id: int) -> None:
    """Wait until ann's mail cursor reached her last notice (no mail half-sent)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        head = asyncio.run(
            _sql(dsn, "SELECT last_seq FROM notice_seqs WHERE user_id = $1", user_id)
        )
        cursor = asyncio.run(
            _sql(dsn, "SELECT mailed_seq FROM mail_cursors WHERE user_id = $1", user_id)
        )
        if head is not None and cursor == head:
            return
        time.sleep(0.05)
    raise AssertionError("the mail cursor did not reach the last notice")


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _login(http: httpx.Client, name: str) -> dict[str, str]:
    reply = http.post("/api/login", json={"username": name, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}


def _bid(server: RunningServer, who: dict[str, str], auction_id: int, amount: int) -> None:
    reply = httpx.post(
        f"{server.http_url}/api/auctions/{auction_id}/bids",
        json={"amount": amount},
        headers=who,
        timeout=10,
    )
    assert reply.status_code == 200, reply.text


def test_two_processes_mail_each_notice_once_and_the_survivor_takes_over(
    dsn: str, tls: tuple[ssl.SSLContext, Path]
) -> None:
    context, ca_file = tls
    add_user(dsn, "root", PASSWORD, admin=True)
    sink = MailSink(login=LOGIN, tls="starttls", tls_context=context).start()
    with ThreadPoolExecutor(2) as starting:  # two starts at once: half the wait
        started = [starting.submit(_serve, dsn, sink, ca_file) for _ in range(2)]
    servers = [future.result() for future in started if future.exception() is None]
    try:
        one, two = (future.result() for future in started)  # a failed start raises here
        with httpx.Client(base_url=one.http_url, timeout=10) as http:
            for fields in ({"username": "ann", "email": ANN}, {"username": "bob"}):
                reply = http.post("/api/register", json={**fields, "password": PASSWORD})
                assert reply.status_code == 201, reply.text
            (confirm,) = sink.wait_for(1, to=ANN)
            link = re.search(r"http://\S+/api/email/verify\?token=\S+", _text(confirm))
            assert link is not None
            assert httpx.get(link.group(0), timeout=10).status_code == 200
            root, ann, bob = _login(http, "root"), _login(http, "ann"), _login(http, "bob")
            created = http.post(
                "/api/auctions",
                json={"name": "Clock", "starting_bid": 1000, "duration_s": 3600},
                headers=root,
            )
            auction_id = created.json()["auction"]["id"]
        ann_id = int(asyncio.run(_sql(dsn, "SELECT id FROM users WHERE username = 'ann'")))

        # Bids through both processes: ann is outbid three times.
        for step, (mine, theirs) in enumerate(((one, two), (two, one), (one, two))):
            _bid(mine, ann, auction_id, 1000 + 1000 * step)
            _bid(theirs, bob, auction_id, 1500 + 1000 * step)
        sink.wait_for(3, to=ANN, kind="outbid", timeout=30)
        _settled(dsn, ann_id)
        holder_pid = _sender_pid(dsn)
        assert holder_pid in (one.proc.pid, two.proc.pid)
        holder = one if holder_pid == one.proc.pid else two
        survivor = two if holder is one else one
        holder.kill()  # SIGKILL: its session ends, and with it the lock

        for step in (3, 4):  # two more, through the survivor only
            _bid(survivor, ann, auction_id, 1000 + 1000 * step)
            _bid(survivor, bob, auction_id, 1500 + 1000 * step)
        sink.wait_for(5, to=ANN, kind="outbid", timeout=30)
        _settled(dsn, ann_id)
        assert _sender_pid(dsn) == survivor.proc.pid
        time.sleep(0.5)  # a few more rounds of the survivor: nothing more arrives

        outbids = sink.received(to=ANN, kind="outbid")
        amounts = [re.findall(r"EUR [\d,.]+", _text(m)) for m in outbids]
        assert [f"EUR {15 + 10 * step}.00" in found for step, found in enumerate(amounts)] == [
            True
        ] * 5
        assert len({m["Message-ID"] for m in outbids}) == 5
        assert len(sink.received(to=ANN)) == 6  # the verification and five outbids, no copy
        assert all(over_tls and logged_in for over_tls, logged_in in sink.sessions)
    finally:
        for server in servers:
            server.stop()
        sink.stop()
