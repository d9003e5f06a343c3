"""docs/deploy.md for real: Debian's nginx in front of three server processes.

nginx runs with a temporary prefix on free ports and includes the repository's
own files (deploy/nginx/), their upstream ports swapped for the processes'
real ones. Through it: HTTP, a WebSocket that hears a bid placed over the TCP
door, and the TCP door itself; then one process stops and the door still
answers. The processes share PostgreSQL and Redis, as deployed.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import stop_server, unique
from tests.helpers.private_services import _wait_port, free_port
from tests.helpers.server import RunningServer, add_user, start_server
from tests.helpers.wire_clients import TcpClient, WsClient

ROOT = Path(__file__).resolve().parents[2]
STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")
POSTGRES = os.environ.get("AUCTIONEER_TEST_POSTGRES_URL")
REDIS = os.environ.get("AUCTIONEER_TEST_REDIS_URL")
PASSWORD = "deploy-password-1"

pytestmark = [
    pytest.mark.skipif(
        shutil.which("nginx") is None or not STREAM_MODULE.exists(),
        reason="nginx: not installed with its stream module (scripts/ensure-nginx)",
    ),
    pytest.mark.skipif(
        not (POSTGRES and REDIS),
        reason="postgres/redis: AUCTIONEER_TEST_POSTGRES_URL or AUCTIONEER_TEST_REDIS_URL not set",
    ),
]


async def _sql(dsn: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


class Front:
    """nginx and the three processes behind it."""

    def __init__(self, servers: list[RunningServer], prefix: Path) -> None:
        self.servers = servers
        self.http_port, self.tcp_port = free_port(), free_port()
        http = (ROOT / "deploy/nginx/auctioneer-http.conf").read_text()
        stream = (ROOT / "deploy/nginx/auctioneer-stream.conf").read_text()
        http = http.replace("listen 80;", f"listen 127.0.0.1:{self.http_port};")
        stream = stream.replace("listen 65432;", f"listen 127.0.0.1:{self.tcp_port};")
        for n, server in enumerate(servers, start=1):
            http = http.replace(f"127.0.0.1:800{n} ", server.http_url.removeprefix("http://") + " ")
            stream = stream.replace(f"127.0.0.1:900{n} ", f"{server.tcp_host}:{server.tcp_port} ")
        (prefix / "http.conf").write_text(http)
        (prefix / "stream.conf").write_text(stream)
        temp = " ".join(
            f"{kind}_temp_path {prefix / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        user = "user root;" if os.geteuid() == 0 else ""
        (prefix / "nginx.conf").write_text(
            f"load_module {STREAM_MODULE};\n{user}\ndaemon off;\nworker_processes 1;\n"
            f"pid {prefix / 'nginx.pid'};\nerror_log {prefix / 'error.log'} warn;\n"
            "events { worker_connections 1024; }\n"
            f"http {{ access_log off; {temp} include {prefix / 'http.conf'}; }}\n"
            f"include {prefix / 'stream.conf'};\n"
        )
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _wait_port(self.http_port, up=True)
        _wait_port(self.tcp_port, up=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    assert POSTGRES and REDIS
    name = "auctioneer_deploy_" + secrets.token_hex(4)
    asyncio.run(_sql(POSTGRES, f'CREATE DATABASE "{name}"'))
    dsn = POSTGRES.rsplit("/", 1)[0] + "/" + name
    options = ("--broker", REDIS, "--forwarded-allow-ips", "127.0.0.1")
    servers: list[RunningServer] = []
    try:
        add_user(dsn, "deploy-boss", PASSWORD, admin=True)  # migrates the database once
        for _ in range(3):  # one at a time: each start has its own timeout
            servers.append(start_server(dsn, *options))
        running = Front(servers, tmp_path_factory.mktemp("nginx"))
        try:
            yield running
        finally:
            running.stop()
    finally:
        for server in servers:
            stop_server(server)
        asyncio.run(_sql(POSTGRES, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_http_goes_through_and_metrics_do_not(front: Front) -> None:
    with httpx.Client(base_url=front.url, timeout=30) as http:
        for _ in range(6):
            assert http.get("/healthz").json() == {"status": "ok"}
        assert http.get("/readyz").status_code == 200
        assert http.get("/api/auctions").status_code == 200
        assert http.get("/metrics").status_code == 404


async def test_a_websocket_hears_a_bid_sent_through_the_tcp_door(front: Front) -> None:
    tcp = await TcpClient.open("127.0.0.1", front.tcp_port)
    ws = await WsClient.open(front.url.replace("http://", "ws://") + "/ws")
    try:
        await tcp.ok("login", username="deploy-boss", password=PASSWORD)
        bidder = unique("b")
        await tcp.ok("register", username=bidder, password=PASSWORD)
        auction = (
            await tcp.ok("create_auction", name="lot", starting_bid=1000, min_increment=100,
                         duration_s=3600)
        )["auction"]  # fmt: skip
        topic = f"auction:{auction['id']}"
        await ws.ok("subscribe", topic=topic)
        await tcp.ok("login", username=bidder, password=PASSWORD)
        await tcp.ok("place_bid", auction_id=auction["id"], amount=1000)
        event = await ws.next_event("bid_placed", topic=topic)
        assert event["data"]["amount"] == 1000
    finally:
        await tcp.close()
        await ws.close()


async def test_the_doors_answer_while_a_process_is_stopped(front: Front) -> None:
    stop_server(front.servers[0])
    async with httpx.AsyncClient(base_url=front.url, timeout=30) as http:
        for _ in range(6):
            assert (await http.get("/api/auctions")).status_code == 200
    for _ in range(3):
        tcp = await TcpClient.open("127.0.0.1", front.tcp_port)
        try:
            assert (await tcp.ok("ping")) is not None
        finally:
            await tcp.close()
