"""Shared fixtures: the bundled knowledge base and a small demo KB used to probe the engine."""

from __future__ import annotations

import pytest

from syncdoctor import KnowledgeBase, load_kb
from syncdoctor.engine.knowledge import default_kb

from support import FIXTURES

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
