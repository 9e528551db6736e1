"""The web page for support agents at ``/``, beside the JSON API, over the same store and keys."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from syncdoctor.service.app import Engine
from syncdoctor.service.config import ServiceConfig
from syncdoctor.service.sessions import session_routes
from syncdoctor.web import web_router
from syncdoctor.web.pages import error_page

__all__ = ["service_routes"]


def service_routes(config: ServiceConfig) -> Callable[[FastAPI, Engine], None]:
    """What ``syncdoctor serve`` adds to the app: /v1/sessions, then the page at ``/``."""
    sessions = session_routes(config)

    def extend(app: FastAPI, engine: Engine) -> None:
        sessions(app, engine)
        app.include_router(web_router(store=app.state.session_store, kb=engine.kb,
                                      run=engine.run, keys=app.state.api_keys))
        app.state.checkpoint.page = error_page  # a browser's errors are pages from now on

    return extend
