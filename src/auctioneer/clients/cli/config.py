"""Where the command line finds its server and keeps its login.

Why a file per user, mode 0600: a token is a password for as long as it
lives, so it goes where the user's other client secrets go (the XDG config
folder, as platformdirs would choose on Linux) and only its owner may read
it. Tokens are kept per server URL, so one user can be logged in to a test
server and a real one at once. Precedence (STYLE.md "Configuration"):
defaults < environment < explicit option.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "DEFAULT_SERVER",
    "DEFAULT_TCP",
    "ENV_CONFIG_DIR",
    "ENV_SERVER",
    "ENV_TOKEN",
    "Login",
    "TokenStore",
    "config_dir",
    "server_key",
]

DEFAULT_SERVER = "http://127.0.0.1:8000"
DEFAULT_TCP = ("127.0.0.1", 65432)
ENV_SERVER = "AUCTIONEER_SERVER"
ENV_TOKEN = "AUCTIONEER_TOKEN"
ENV_CONFIG_DIR = "AUCTIONEER_CONFIG_DIR"


def config_dir(environ: dict[str, str] | None = None) -> Path:
    """The config folder: ``$AUCTIONEER_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/auctioneer``,
    else ``~/.config/auctioneer``."""
    env = os.environ if environ is None else environ
    if env.get(ENV_CONFIG_DIR):
        return Path(env[ENV_CONFIG_DIR])
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "auctioneer"


def server_key(server: str) -> str:
    """The key a server's login is stored under: its URL without a trailing slash."""
    server = server.strip().rstrip("/")
    return server if "://" in server else "http://" + server


@dataclass(frozen=True, slots=True)
class Login:
    """A stored login: the token and who it belongs to."""

    token: str
    username: str = ""
    paddle: int | None = None
    role: str = ""

    @classmethod
    def from_reply(cls, result: dict[str, Any]) -> Login:
        user = result.get("user") or {}
        return cls(
            token=str(result["token"]),
            username=str(user.get("username", "")),
            paddle=user.get("paddle"),
            role=str(user.get("role", "")),
        )


class TokenStore:
    """``token.json`` in the config folder: ``{server URL: login}``."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or config_dir()
        self.path = self.directory / "token.json"

    def _read(self) -> dict[str, Any]:
        try:
            data = orjson.loads(self.path.read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        # Create with 0600 from the start: never a moment where others can read it.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps(data, option=orjson.OPT_INDENT_2))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def get(self, server: str) -> Login | None:
        """The login for `server`; ``$AUCTIONEER_TOKEN`` wins over the file."""
        if os.environ.get(ENV_TOKEN):
            return Login(os.environ[ENV_TOKEN])
        entry = self._read().get(server_key(server))
        if not isinstance(entry, dict) or not entry.get("token"):
            return None
        return Login(
            token=str(entry["token"]),
            username=str(entry.get("username", "")),
            paddle=entry.get("paddle"),
            role=str(entry.get("role", "")),
        )

    def save(self, server: str, login: Login) -> None:
        data = self._read()
        data[server_key(server)] = {
            "token": login.token,
            "username": login.username,
            "paddle": login.paddle,
            "role": login.role,
        }
        self._write(data)

    def delete(self, server: str) -> bool:
        """Forget the login for `server`; True if there was one."""
        data = self._read()
        if data.pop(server_key(server), None) is None:
            return False
        if data:
            self._write(data)
        else:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        return True
