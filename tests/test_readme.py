"""The README's terminal session works as written on the demo (issue 18 item 14).

Each `$ ` line of the session is run in bash against a fresh `serve --demo`
(its address in place of http://127.0.0.1:8000), with the password prompts
answered; what it prints must be what the README shows, up to the countdowns
(a time such as 0:07 depends on when the test runs).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.clients.live import close_output
from tests.helpers.server import start_server

__all__: list[str] = []

README = Path(__file__).resolve().parents[1] / "README.md"
PROMPTS = ("Password:", "Repeat for confirmation:")
TIME = re.compile(r"\b\d{1,2}:\d\d\b")


def session() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of the README's terminal session."""
    text = README.read_text(encoding="utf-8")
    block = text.split("### A short terminal session", 1)[1].split("```", 2)[1]
    steps: list[tuple[str, list[str]]] = []
    for line in block.strip("\n").splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def normal(lines: list[str]) -> list[str]:
    return [TIME.sub("T", line.rstrip()) for line in lines if line.strip()]


def test_the_readme_session_runs_as_written_on_the_demo(tmp_path: Path) -> None:
    server = start_server(tmp_path / "auctioneer.db", "--demo")
    try:
        found = [re.search(r"admin login: admin / (\S+)", line) for line in server.output]
        admin_password = next(m.group(1) for m in found if m)
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "COLUMNS": "80",
            "NO_COLOR": "1",
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # `auctioneer`
        }
        env.pop("AUCTIONEER_TOKEN", None)
        env.pop("AUCTIONEER_PASSWORD", None)
        exports = ""
        for command, expected in session():
            if command.startswith("export "):
                exports += command.replace("http://127.0.0.1:8000", server.http_url) + "; "
                continue
            prompts = [line for line in expected if line in PROMPTS]
            password = admin_password if " login " in f" {command} " else "carol-secret-9"
            done = subprocess.run(
                ["bash", "-c", exports + command],
                input="".join(f"{password}\n" for _ in prompts),
                capture_output=True,
                text=True,
                timeout=60,
                env=env,
            )
            out = done.stdout + "\n".join(
                line for line in done.stderr.splitlines() if line.startswith("error:")
            )
            for prompt in PROMPTS:  # the prompts share a line with what follows them
                out = out.replace(prompt, "")
            shown = [line for line in expected if line not in PROMPTS]
            assert normal(out.splitlines()) == normal(shown), (command, out, done.stderr)
    finally:
        server.stop()
        close_output(server)
