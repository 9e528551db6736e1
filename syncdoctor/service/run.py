"""Running the service: uvicorn with N worker processes, each building the app from the env.

Each worker is a process of its own (durable_rules serialises engine calls within a process);
they share one listening socket. The configuration reaches them as JSON in
``SYNCDOCTOR_SERVICE_CONFIG``; API keys reach them through the environment or the key file, as
they reached the parent, never through the configuration.
"""

from __future__ import annotations

import logging
import os
import sys

from fastapi import FastAPI

from syncdoctor.service.config import CONFIG_ENV, ApiKeys, ServiceConfig

__all__ = ["app_from_env", "run_service"]

LOG_CONFIG: dict[str, object] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(message)s"},
                   "server": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "access": {"class": "syncdoctor.service.accesslog.BatchedLineHandler",
                   "formatter": "plain", "stream": "ext://sys.stderr"},
        "server": {"class": "logging.StreamHandler", "formatter": "server",
                   "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "syncdoctor.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "syncdoctor.service": {"handlers": ["server"], "level": "INFO", "propagate": False},
        "uvicorn": {"handlers": ["server"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
    },
}
"""uvicorn's own access log is off (it would log query strings); ours is JSON lines, written in
batches (syncdoctor.service.accesslog)."""


HTTP_PROTOCOL = "syncdoctor.service.protocol:CoalescingHttpToolsProtocol"
"""uvicorn's httptools protocol, a response written with one system call (an import string:
each worker process imports it)."""


def app_from_env() -> FastAPI:
    """The app a worker process serves, from the configuration its parent left in the env."""
    from syncdoctor.service.app import create_app
    from syncdoctor.service.browser import service_routes

    config = ServiceConfig.from_env()
    app = create_app(config, keys=ApiKeys.from_env(), extend=service_routes(config))
    # A worker warms up before it listens: packs are built and templates compiled on first
    # use, which would make each worker's first requests of each pack the slow ones.
    app.state.engine.kb.warm()
    return app


def run_service(config: ServiceConfig, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until SIGINT or SIGTERM; in-flight requests finish first (graceful shutdown).

    Raises:
        ServiceError: the API key file cannot be read.
    """
    import uvicorn

    ApiKeys.from_env()  # fail here, once, rather than in every worker
    os.environ[CONFIG_ENV] = config.to_env()
    logging.getLogger("syncdoctor.service").info("workers: %d", workers)
    uvicorn.run(
        "syncdoctor.service.run:app_from_env", factory=True, host=host, port=port,
        workers=workers, access_log=False, log_config=LOG_CONFIG, server_header=False,
        timeout_graceful_shutdown=int(config.deadline_seconds) + 5, lifespan="on",
        proxy_headers=False, http=HTTP_PROTOCOL,
    )
    sys.stderr.flush()
