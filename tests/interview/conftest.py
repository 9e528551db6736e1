"""Fixtures for the interview layer: every store kind behind one fixture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from syncdoctor.interview import SessionStore

from store_support import STORE_KINDS, make_store, store_url

# No example database on disk (the suite leaves no .hypothesis/ behind) and no per-example
# deadline: property tests assert behaviour, never speed.
settings.register_profile("syncdoctor", database=None, deadline=None)
settings.load_profile("syncdoctor")


def _postgres_url(request: pytest.FixtureRequest, kind: str) -> str | None:
    # Asked for only by postgres cases, so that memory and SQLite never start the server.
    return str(request.getfixturevalue("postgres_url")) if kind == "postgres" else None


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    """Each contract test runs once per store kind (PostgreSQL: in a schema of its own)."""
    with make_store(request.param, tmp_path, _postgres_url(request, request.param)) as opened:
        yield opened


@pytest.fixture
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], SessionStore]:
    """``new_store(kind)``: a new, empty store of that kind, for tests parametrized by kind."""
    return lambda kind: make_store(kind, tmp_path, _postgres_url(request, kind))


@pytest.fixture
def shared_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """``shared_store_url(kind)``: a store URL to hand to several processes."""
    return lambda kind: store_url(kind, tmp_path, _postgres_url(request, kind))
