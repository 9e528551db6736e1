"""Fixtures for the interview layer: every store kind behind one fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from syncdoctor.interview import SessionStore

from store_support import STORE_KINDS, make_store

# No example database on disk (the suite leaves no .hypothesis/ behind) and no per-example
# deadline: property tests assert behaviour, never speed.
settings.register_profile("syncdoctor", database=None, deadline=None)
settings.load_profile("syncdoctor")


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SessionStore]:
    """Each contract test runs once per store kind."""
    with make_store(request.param, tmp_path) as opened:
        yield opened
