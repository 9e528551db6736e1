"""The version written in the package is the one the distribution is built and installed with."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from syncdoctor import __version__

REPO = Path(__file__).resolve().parents[1]


def test_the_package_version_is_pyproject_s_and_the_installed_one() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert __version__ == project["version"] == version("syncdoctor")
