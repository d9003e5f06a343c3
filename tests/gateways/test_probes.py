"""`/healthz`, `/readyz` and `/metrics` on a real server (docs/deploy.md).

One server per module with a metrics token; a scraper without the token is
refused, with it reads the commands counted by action and outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import stop_server, unique
from tests.helpers.server import RunningServer, start_server

TOKEN = "scrape-" + unique()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder: Path = tmp_path_factory.mktemp("probes")
    running = start_server(folder / "a.db", "--metrics-token", TOKEN)
    try:
        yield running
    finally:
        stop_server(running)


def test_live_and_ready_answer_tiny_json_without_a_login(server: RunningServer) -> None:
    live = httpx.get(server.http_url + "/healthz", timeout=30)
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    ready = httpx.get(server.http_url + "/readyz", timeout=30)
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    assert ready.headers["cache-control"] == "no-store"


def test_metrics_need_the_token(server: RunningServer) -> None:
    url = server.http_url + "/metrics"
    assert httpx.get(url, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer " + TOKEN + "x"}
    assert httpx.get(url, headers=wrong, timeout=30).status_code == 401


def test_metrics_count_commands_by_action_and_outcome(server: RunningServer) -> None:
    name = unique("m")
    with httpx.Client(base_url=server.http_url, timeout=60) as http:
        http.post("/api/register", json={"username": name, "password": "password-123"})
        refused = http.post("/api/login", json={"username": name, "password": "wrong-one-1"})
        assert refused.status_code == 401
        text = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'auctioneer_commands_total{action="register",outcome="ok"} 1.0' in text
    assert 'auctioneer_commands_total{action="login",outcome="unauthorized"} 1.0' in text
    assert 'auctioneer_command_seconds_count{action="login"} 1.0' in text
    for series in (
        "auctioneer_bids_accepted_total 0.0",
        "auctioneer_events_published_total",
        "auctioneer_events_delivered_total",
        "auctioneer_subscribers 0.0",
        "auctioneer_owned_auctions 0.0",
        "auctioneer_broker_up 1.0",
        "auctioneer_commit_seconds_bucket",
    ):
        assert series in text


def test_without_a_token_there_is_no_metrics_route(tmp_path: Path) -> None:
    running = start_server(tmp_path / "b.db")
    try:
        reply = httpx.get(running.http_url + "/metrics", timeout=30)
        assert reply.status_code == 404
        assert reply.json()["error"]["code"] == "not_found"
    finally:
        stop_server(running)
