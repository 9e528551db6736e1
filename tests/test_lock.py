"""The environment the suite runs in is exactly the locked one, and the locks are clean."""

from __future__ import annotations

import importlib.metadata
import pathlib
import re
import sys

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name

ROOT = pathlib.Path(__file__).resolve().parent.parent
LOCKS = sorted((ROOT / "requirements").glob("*.txt"))
REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+?)(?: ; (?P<marker>[^\\]+?))? \\$")


def pins(lock: pathlib.Path) -> dict[str, tuple[str, str | None]]:
    """Name -> (version, marker) for every requirement line of a lock file."""
    found: dict[str, tuple[str, str | None]] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith((" ", "#")):
            continue
        match = REQUIREMENT.match(line)
        assert match, f"{lock.name}: not a hash-pinned 'name==version \\' line: {line!r}"
        found[canonicalize_name(match["name"])] = (match["version"], match["marker"])
    return found


def test_the_locks_exist() -> None:
    assert {lock.name for lock in LOCKS} >= {"build.txt", "runtime.txt", "dev.txt"}


@pytest.mark.parametrize("lock", LOCKS, ids=lambda lock: lock.name)
def test_every_line_is_pinned_with_a_hash_and_names_no_host(lock: pathlib.Path) -> None:
    text = lock.read_text(encoding="utf-8")
    assert pins(lock), f"{lock.name} pins nothing"
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for block in blocks:
        assert "--hash=sha256:" in block, f"{lock.name}: no hash in {block.splitlines()[0]!r}"
    for forbidden in ("--index-url", "--extra-index-url", "--find-links", "--trusted-host", "://"):
        assert forbidden not in text, f"{lock.name} names a package index: {forbidden}"


def test_one_version_per_package_across_the_locks() -> None:
    versions: dict[str, set[str]] = {}
    for lock in LOCKS:
        for name, (version, _marker) in pins(lock).items():
            versions.setdefault(name, set()).add(version)
    assert {name: v for name, v in versions.items() if len(v) > 1} == {}


@pytest.mark.skipif(
    ROOT not in pathlib.Path(sys.prefix).resolve().parents,
    reason="runs only in the project's own environment (.venv or .venvs/<python>)",
)
def test_the_environment_holds_exactly_the_dev_lock() -> None:
    wanted = {
        name: version
        for name, (version, marker) in pins(ROOT / "requirements" / "dev.txt").items()
        if marker is None or Marker(marker).evaluate()
    }
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
    }
    installed.pop("syncdoctor", None)
    assert installed == wanted
