"""A listening socket of its own for each worker process, so that the kernel spreads connections.

uvicorn's ``--workers N`` binds one socket in the parent and hands a copy to every worker. A
worker woken by new connections accepts every one that is waiting before it looks again, so a
burst of keep-alive connections (a load balancer's pool, a bot's client, bench/service.py's eight)
often lands on a single worker and stays there: in three 4-second runs of eight clients on two
workers, one gave every request to one worker (2,043 requests a second, against 3,462 and 3,499
when they were shared). With ``SO_REUSEPORT`` each worker listens on a socket of its own bound to
the same address, and Linux picks the socket for each new connection by a hash of its addresses.

The parent keeps a socket bound with ``SO_REUSEPORT`` alone but never listens on it: Linux gives
connections only to listening sockets, and this one holds the port while workers start and
restart. Before it binds, a probe with ``SO_REUSEADDR`` alone tries the address: it fails if
anything listens there, or if another service's parent holds it (``SO_REUSEPORT`` would
otherwise let a second service of the same user join the port and take half its connections,
where the operator meant "address already in use"). Each worker receives the parent's socket as
uvicorn sends sockets to its processes, by pickling; this socket's pickle stands for "a new
socket bound to this address", so the worker unpickles one of its own.

The price: each worker has its own queue of connections not yet accepted, and a worker that
stops (a restart, a crash) resets those; with ``sysctl net.ipv4.tcp_migrate_req=1`` Linux moves
them to another worker instead. Elsewhere than on Linux (no balancing by ``SO_REUSEPORT``), the
service keeps uvicorn's shared socket.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

__all__ = ["STARTUP_FAILURE", "WorkerListener", "balances_connections", "worker_listener"]

STARTUP_FAILURE = 3
"""The exit status with which uvicorn's supervisor stops, rather than restarts, a worker."""


def balances_connections() -> bool:
    """Whether this system spreads connections over sockets that share a port (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


class WorkerListener(socket.socket):
    """A bound, not listening, TCP socket that each worker process gets a fresh copy of.

    Raises:
        OSError: the address is in use (by anything listening there, or another service's
            parent), or cannot be bound (not an address of this machine).
    """

    def __init__(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if port:
            with socket.socket(family, socket.SOCK_STREAM) as probe:  # is the port free?
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((host, port))
        super().__init__(family, socket.SOCK_STREAM)
        try:
            # SO_REUSEPORT alone: with SO_REUSEADDR too, another service's probe could bind
            # beside this socket while it does not listen.
            self.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            self.bind((host, port))
        except OSError:
            self.close()
            raise

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the address it is bound to: a worker binds a socket of its own there."""
        return worker_listener, (self.family, self.getsockname()[:2])


def worker_listener(family: int, address: tuple[str, int]) -> socket.socket:
    """A new socket bound to ``address`` beside the others (uvicorn's worker listens on it).

    Runs in a starting worker, before logging is set up. A worker that cannot bind says why on
    stderr and exits with :data:`STARTUP_FAILURE`, so that the supervisor stops instead of
    starting it again every half second.
    """
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        print(f"error: a worker cannot listen on {address[0]}:{address[1]}: "
              f"{error.strerror or error}", file=sys.stderr, flush=True)
        raise SystemExit(STARTUP_FAILURE) from None
    return sock
