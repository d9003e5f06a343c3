"""Logins are kept per server in a file only its owner can read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from auctioneer.clients.cli.config import Login, TokenStore, config_dir, server_key

__all__: list[str] = []


def test_the_config_folder_follows_xdg_and_can_be_overridden(tmp_path: Path) -> None:
    assert config_dir({"XDG_CONFIG_HOME": "/x"}) == Path("/x/auctioneer")
    assert config_dir({"AUCTIONEER_CONFIG_DIR": "/y", "XDG_CONFIG_HOME": "/x"}) == Path("/y")
    assert config_dir({}).name == "auctioneer"


def test_a_saved_login_is_read_back_and_the_file_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUCTIONEER_TOKEN", raising=False)
    store = TokenStore(tmp_path / "cfg")
    store.save("http://h:1/", Login("T", "ann", 7, "bidder"))
    assert store.get("http://h:1") == Login("T", "ann", 7, "bidder")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.get("http://other:2") is None


def test_deleting_the_last_login_removes_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUCTIONEER_TOKEN", raising=False)
    store = TokenStore(tmp_path)
    store.save("http://h:1", Login("T"))
    assert store.delete("http://h:1") is True
    assert not store.path.exists()
    assert store.delete("http://h:1") is False


def test_the_token_variable_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = TokenStore(tmp_path)
    store.save("http://h:1", Login("FILE"))
    monkeypatch.setenv("AUCTIONEER_TOKEN", "ENV")
    login = store.get("http://h:1")
    assert login is not None and login.token == "ENV"


def test_server_keys_ignore_a_trailing_slash_and_default_to_http() -> None:
    assert server_key("http://h:1/") == server_key("h:1") == "http://h:1"
