"""A listening socket of its own for each worker process, so that the kernel spreads connections.

uvicorn's ``--workers N`` binds one socket in the parent and hands a copy to every worker. A
worker woken by new connections accepts every one that is waiting before it looks again, so a
burst of keep-alive connections (a load balancer's pool, a bot's client, bench/service.py's eight)
often lands on a single worker and stays there: in three 4-second runs of eight clients on two
workers, one gave every request to one worker (2,043 requests a second, against 3,462 and 3,499
when they were shared). With ``SO_REUSEPORT`` each worker listens on a socket of its own bound to
the same address, and Linux picks the socket for each new connection by a hash of its addresses.

The parent keeps a socket bound with the same option but never listens on it: it holds the port,
and Linux gives connections only to listening sockets. Before it binds, a plain socket tries the
address: ``SO_REUSEPORT`` would let a second service of the same user join the port and take half
its connections, where the operator meant "address already in use".
Each worker receives it as uvicorn sends sockets to its processes, by pickling; this socket's
pickle stands for "a new socket bound to this address", so the worker unpickles one of its own.

Elsewhere than on Linux (no balancing by ``SO_REUSEPORT``), the service keeps uvicorn's shared
socket.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

__all__ = ["WorkerListener", "balances_connections", "worker_listener"]


def balances_connections() -> bool:
    """Whether this system spreads connections over sockets that share a port (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


class WorkerListener(socket.socket):
    """A bound, not listening, TCP socket that each worker process gets a fresh copy of.

    Raises:
        OSError: the address cannot be bound (taken, or not an address of this machine).
    """

    def __init__(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if port:
            with socket.socket(family, socket.SOCK_STREAM) as probe:  # is the port free?
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((host, port))
        super().__init__(family, socket.SOCK_STREAM)
        try:
            _share_port(self)
            self.bind((host, port))
        except OSError:
            self.close()
            raise

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as the address it is bound to: a worker binds a socket of its own there."""
        return worker_listener, (self.family, self.getsockname()[:2])


def worker_listener(family: int, address: tuple[str, int]) -> socket.socket:
    """A new socket bound to ``address`` beside the others (uvicorn's worker listens on it).

    Raises:
        OSError: the address cannot be bound.
    """
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        _share_port(sock)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _share_port(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
