"""The docs stay inside the repository, and docs/protocol.md is the whole contract.

Issue 18 item 14: no document links or refers to a file outside the repo
(the shared design notes are not shipped), every relative link resolves, and
docs/protocol.md names every action the server answers and every error code
it sends, so a client author needs nothing else.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auctioneer.gateways.errors import HTTP_STATUS
from auctioneer.wire.messages import ACTIONS

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", ROOT / "bench" / "README.md", *(ROOT / "docs").glob("*.md")])
OUTSIDE = re.compile(r"\.\./shared|\.\./seeds|\b(PROTOCOL|DESIGN|STYLE|HELPERS)\.md\b")
LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_document_refers_outside_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    assert OUTSIDE.findall(text) == [], doc
    for target in LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (doc.parent / target).exists(), (doc, target)


def test_protocol_md_is_the_whole_contract() -> None:
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    assert "# Part 1: the contract (version 1)" in text
    for heading in ("## Envelope", "## Actions", "## Topics and events", "## Rules",
                    "## Error codes", "# Part 2: decisions and extensions"):  # fmt: skip
        assert heading in text, heading
    for action in ACTIONS:
        assert f"`{action}`" in text, action
    for code in HTTP_STATUS:
        assert f"`{code}`" in text, code
