"""The service with the page, as ``syncdoctor serve`` builds it, on uvicorn on a free port."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from servers import uvicorn_thread

from syncdoctor.service.app import create_app
from syncdoctor.service.browser import service_routes
from syncdoctor.service.config import ApiKeys, ServiceConfig


@contextlib.contextmanager
def serve(store: str, keys: ApiKeys | None = None, *, max_body: int = 1_000_000
          ) -> Iterator[str]:
    """Yields the base URL of a real server over ``store``."""
    config = ServiceConfig(store=store, access_log=False, max_body_bytes=max_body)
    app = create_app(config, keys=keys or ApiKeys([]), extend=service_routes(config))
    with uvicorn_thread(app) as url:
        yield url
