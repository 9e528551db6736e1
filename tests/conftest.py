"""Shared fixtures: the bundled knowledge base and a small demo KB used to probe the engine."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

from syncdoctor import KnowledgeBase, load_kb
from syncdoctor.engine.knowledge import default_kb

from support import FIXTURES

# The compiled-KB cache of the test run: never the user's own; shared by the CLI processes the
# tests start (they inherit the environment), removed at the end.
if "SYNCDOCTOR_CACHE_DIR" not in os.environ:
    os.environ["SYNCDOCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="syncdoctor-test-cache-")
    atexit.register(shutil.rmtree, os.environ["SYNCDOCTOR_CACHE_DIR"], True)

# The throwaway PostgreSQL server (fixtures postgres_server, postgres_url) and its report.
pytest_plugins = ("postgres_server",)


@pytest.fixture(scope="session")
def demo_kb() -> KnowledgeBase:
    """A seven-rule KB that exercises every kind of condition the compiler knows."""
    return load_kb([FIXTURES / "demo_kb"], bundled=False)


@pytest.fixture(scope="session")
def bundled_kb() -> KnowledgeBase:
    """The knowledge base that ships with syncdoctor."""
    return default_kb()
