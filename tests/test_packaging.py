"""The project's own metadata builds without deprecation warnings (issue 18 item 14)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

__all__: list[str] = []

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_the_license_is_an_spdx_string_and_setuptools_understands_it() -> None:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert data["project"]["license"] == "MIT"  # a TOML table is deprecated in setuptools 77
    requires = data["build-system"]["requires"]
    setuptools = next(r for r in requires if r.startswith("setuptools"))
    match = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", setuptools)
    assert match is not None and int(match.group(1)) >= 77  # SPDX strings need 77+


def test_swagger_ui_assets_come_from_a_pinned_package() -> None:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    pinned = [d for d in data["project"]["dependencies"] if d.startswith("fastapi-offline")]
    assert pinned == ["fastapi-offline==1.7.7"]
