"""Running the service: uvicorn with N worker processes, each building the app from the env.

Each worker is a process of its own (durable_rules serialises engine calls within a process);
on Linux each listens on a socket of its own, bound to the same port, so that the kernel
spreads connections over them (:mod:`syncdoctor.service.listeners`). The configuration
reaches them as JSON in ``SYNCDOCTOR_SERVICE_CONFIG``; API keys reach them through the
environment or the key file, as they reached the parent, never through the configuration.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from syncdoctor._gc import building_for_good
from syncdoctor.service.config import CONFIG_ENV, ApiKeys, ServiceConfig, ServiceError
from syncdoctor.service.listeners import WorkerListener, balances_connections
from syncdoctor.web.security import is_loopback

if TYPE_CHECKING:
    import uvicorn

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


APP = "syncdoctor.service.run:app_from_env"
"""The app every worker builds for itself (an import string: uvicorn imports it in each)."""

HTTP_PROTOCOL = "syncdoctor.service.protocol:CoalescingHttpToolsProtocol"
"""uvicorn's httptools protocol, a response written with one system call (an import string:
each worker process imports it)."""


def app_from_env() -> FastAPI:
    """The app a worker process serves, from the configuration its parent left in the env."""
    # The app, its knowledge base and its warmed templates live as long as the worker: they
    # are frozen out of the collector's reach (syncdoctor._gc), so that no full collection
    # walks them again while requests wait (a pause of ~14 ms over 30,000 objects otherwise).
    with building_for_good():
        from syncdoctor.service.app import create_app
        from syncdoctor.service.browser import service_routes

        config = ServiceConfig.from_env()
        app = create_app(config, keys=ApiKeys.from_env(), extend=service_routes(config))
        # A worker warms up before it listens: packs are built and templates compiled on
        # first use, which would make each worker's first requests of each pack the slow ones.
        app.state.engine.kb.warm()
    return app


def run_service(config: ServiceConfig, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until SIGINT or SIGTERM; in-flight requests finish first (graceful shutdown).

    Raises:
        ServiceError: the API key file cannot be read, or (several workers, on Linux) the
            address is in use or cannot be bound.
    """
    import uvicorn

    keys = ApiKeys.from_env()  # fail here, once, rather than in every worker
    os.environ[CONFIG_ENV] = config.to_env()
    settings: dict[str, Any] = dict(
        factory=True, host=host, port=port, workers=workers, access_log=False,
        log_config=LOG_CONFIG, server_header=False,
        timeout_graceful_shutdown=int(config.deadline_seconds) + 5, lifespan="on",
        proxy_headers=False, http=HTTP_PROTOCOL,
    )
    server_config = uvicorn.Config(APP, **settings)  # sets up logging (LOG_CONFIG)
    logging.getLogger("syncdoctor.service").info("workers: %d", workers)
    if not keys.enabled and not is_loopback(host):
        logging.getLogger("syncdoctor.service").warning(
            "listening on %s with no API key: anyone who reaches this address can read and "
            "change every session; set SYNCDOCTOR_API_KEYS_FILE (or bind 127.0.0.1)", host)
    if workers > 1 and balances_connections():
        _run_workers(server_config, host, port)
    else:
        uvicorn.run(APP, **settings)
    sys.stderr.flush()


def _run_workers(config: uvicorn.Config, host: str, port: int) -> None:
    """Run uvicorn's worker supervisor, each worker listening on a socket of its own.

    (:mod:`syncdoctor.service.listeners`; ``uvicorn.run`` would share one.)

    Raises:
        ServiceError: the address cannot be bound.
    """
    from uvicorn.supervisors import Multiprocess

    try:
        listener = WorkerListener(host, port)
    except OSError as error:
        raise ServiceError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    bound = listener.getsockname()
    shown = f"[{bound[0]}]" if listener.family == socket.AF_INET6 else bound[0]
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s:%d (Press CTRL+C to quit)", shown, bound[1])
    with listener, contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run
        Multiprocess(config, sockets=[listener]).run()
