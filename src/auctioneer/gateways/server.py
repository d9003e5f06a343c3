"""Run the server: HTTP + WebSocket (uvicorn) and TCP in one event loop.

Start-up prints one line per door once it accepts connections
(`http: http://HOST:PORT`, `tcp: HOST:PORT`), flushed at once, as
docs/protocol.md asks. SIGTERM and SIGINT stop it cleanly: stop accepting, let
in-flight writes finish, close connections, close the store, exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import signal
import socket
import sys
from collections.abc import Callable, Generator, Iterator

import uvicorn

from auctioneer.gateways.asgi.app import create_app
from auctioneer.gateways.compose import build_house
from auctioneer.gateways.demo import load_demo
from auctioneer.gateways.guard import ConnectionGuard, TrustedProxies, guarded_http
from auctioneer.gateways.tcp.server import TcpGateway
from auctioneer.gateways.ws.server import WebSocketGateway
from auctioneer.service.settings import Settings

__all__ = ["PortInUse", "run", "serve", "tune_runtime"]

log = logging.getLogger(__name__)


class _Uvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: `serve()` owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class PortInUse(OSError):
    """A door's port is taken (most often by another auctioneer)."""

    def __init__(self, port: int) -> None:
        super().__init__(errno.EADDRINUSE, f"port {port} is in use (another auctioneer?)")
        self.port = port

    def __str__(self) -> str:
        return str(self.strerror)


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port).

    Raises:
        PortInUse: the port is taken; nothing is left open.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.setblocking(False)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise PortInUse(port) from None
        raise
    return sock


async def serve(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    """Run until `stop` is set or a signal arrives; returns the exit code."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    # Both doors first: a port in use stops start-up before anything (such as
    # a new database file) is created.
    sock = _bind(settings.host, settings.http_port)
    try:
        tcp_sock = _bind(settings.host, settings.tcp_port)
    except OSError:
        sock.close()
        raise
    try:
        house = await build_house(settings)
    except BaseException:
        sock.close()
        tcp_sock.close()
        raise
    lag: asyncio.Task[None] | None = None
    try:
        if settings.demo:
            await load_demo(house, out=sys.stdout)
        app = create_app(house.api, settings, health=house.health)
        proxies = TrustedProxies(settings.forwarded_allow_ips)
        guard = ConnectionGuard(settings.max_connections_per_address, proxies)
        ws = WebSocketGateway(house.api, house.hub, settings, guard=guard)
        tune_runtime()
        lag = loop.create_task(house.auctions.metrics.sample_loop_lag())
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            ws=ws.protocol,  # type: ignore[arg-type]  # uvicorn calls it like a class
            http=guarded_http(guard, settings.header_timeout_s),
            # X-Forwarded-For only from the proxies named (uvicorn would trust loopback).
            proxy_headers=bool(proxies),
            forwarded_allow_ips=settings.forwarded_allow_ips or None,
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        web = _Uvicorn(config)
        tcp = TcpGateway(house.api, house.hub, settings, guard=guard)
        tcp_host, tcp_port = await tcp.start(sock=tcp_sock)
        web_task = loop.create_task(web.serve(sockets=[sock]))
        while not web.started and not web_task.done():
            await asyncio.sleep(0.01)
        http_host, http_port = sock.getsockname()[:2]
        print(f"http: http://{_show(http_host)}:{http_port}", flush=True)
        print(f"tcp: {_show(tcp_host)}:{tcp_port}", flush=True)
        house.api.doors = {  # `ping` tells clients that these addresses are one server
            "http": f"http://{_show(http_host)}:{http_port}",
            "tcp": f"tcp://{_show(tcp_host)}:{tcp_port}",
        }
        if house.mailer is not None:
            if not settings.public_url:  # links in mails point at the port really bound
                house.mailer.public_url = f"http://{_show(http_host)}:{http_port}"
            house.mailer.start()
        await _wait_either(stop, web_task)
        ws.close_all()
        web.should_exit = True
        await tcp.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(web_task, 10)
        await ws.wait_finished(5)
    finally:
        if lag is not None:
            lag.cancel()
        await house.close()
    return 0


def tune_runtime() -> None:
    """Move what start-up built out of the collector's way, collect less often, switch sooner.

    Reference counting frees almost everything a bid allocates; the cyclic
    collector only adds pauses. Measured in-process: about 20% more bids per
    CPU-second and a shorter fan-out tail (docs/benchmarks.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    # The SQLite writer thread takes the GIL back after every SQLite call; while
    # the loop is busy each of those waits up to one switch interval (5 ms by
    # default). 0.1 ms: the writer's transactions in `spread` took 7 instead of
    # 10 ms of wall time (0.5 ms), and 0.05 ms measured no better (benchmarks.md).
    sys.setswitchinterval(0.0001)


async def _wait_either(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    stopper = asyncio.get_running_loop().create_task(stop.wait())
    await asyncio.wait({stopper, task}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()


def _show(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def run(settings: Settings) -> int:
    """Blocking entry point (uvloop when available)."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with _event_loop() as runner:
        return runner.run(serve(settings))


@contextlib.contextmanager
def _event_loop() -> Iterator[asyncio.Runner]:
    factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    with asyncio.Runner(loop_factory=factory) as runner:
        yield runner
