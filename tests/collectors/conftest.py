"""Fixtures for the collectors: a small hub pack, a real loopback HTTP server, a runner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from syncdoctor import KnowledgeBase, load_kb
from syncdoctor.collectors.runner import Collectors

from support import CANARY_TOKEN, FIXTURES

TOKEN = CANARY_TOKEN


@pytest.fixture(scope="session")
def hub_kb() -> KnowledgeBase:
    """The hub pack of tests/fixtures/collect_kb: three collectors on one source (limit 1)."""
    return load_kb([FIXTURES / "collect_kb"], bundled=False)


@pytest.fixture
def hub() -> Iterator[HTTPServer]:
    """A real HTTP server on 127.0.0.1 that answers as each test tells it (threaded)."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def runner(hub: HTTPServer) -> Iterator[Collectors]:
    """A runner whose environment points the hub source at the test server."""
    env = {"TEST_HUB_URL": hub.url_for("/"), "TEST_HUB_TOKEN": TOKEN}
    with Collectors(env=env) as opened:
        yield opened
