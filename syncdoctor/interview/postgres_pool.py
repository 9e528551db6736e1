"""A small, bounded pool of psycopg connections for PostgresStore.

Why a pool of our own rather than ``psycopg_pool``: the store needs four things only (a bound on
connections, waiting with a deadline, dropping a broken connection, refusing use after fork), and
one dependency less is one lock line less. Connections are opened lazily, one at a time, up to
``size``; a thread that finds them all in use waits up to ``wait`` seconds.

After ``fork()`` the child must not touch the parent's connections: they share its sockets, and
even closing one would end the parent's server session. Every borrow checks the pid, and
``close()`` in a child only forgets the connections (psycopg itself never sends a goodbye on a
socket it inherited).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import suppress

import psycopg
from psycopg.rows import TupleRow

from syncdoctor.interview.errors import StoreError

Connection = psycopg.Connection[TupleRow]


class ConnectionPool:
    """Up to ``size`` connections made by ``connect``, shared by every thread of one process."""

    def __init__(
        self, connect: Callable[[], Connection], *, size: int, wait: float, name: str
    ) -> None:
        if not (isinstance(size, int) and size >= 1):
            raise StoreError("max_connections must be 1 or more", store=name)
        self._connect = connect
        self._size = size
        self._wait = wait
        self._name = name
        self._idle: list[Connection] = []
        self._opened = 0  # idle and borrowed together
        self._changed = threading.Condition()
        self._closed = False
        self._pid = os.getpid()

    def borrow(self) -> tuple[Connection, bool]:
        """A connection for this thread alone, and whether it was used before (may be stale).

        Raises StoreError when the pool is closed, was made before fork(), stays exhausted for
        ``wait`` seconds, or a new connection cannot be opened.
        """
        with self._changed:
            self._check_usable()
            if not self._changed.wait_for(
                lambda: self._closed or self._idle or self._opened < self._size, self._wait
            ):
                raise StoreError(
                    f"all {self._size} connections stayed busy for {self._wait:g} s",
                    store=self._name, hint="raise max_connections or lower the load",
                )
            self._check_usable()
            if self._idle:
                return self._idle.pop(), True
            self._opened += 1  # reserved before connecting, so that the bound holds meanwhile
        try:
            return self._connect(), False
        except BaseException:
            with self._changed:
                self._opened -= 1
                self._changed.notify()
            raise

    def give_back(self, connection: Connection, *, discard: bool = False) -> None:
        """Return a borrowed connection; a discarded, broken or closed one is closed instead."""
        keep = not (discard or connection.closed or connection.broken)
        with self._changed:
            if keep and not self._closed and os.getpid() == self._pid:
                self._idle.append(connection)
                self._changed.notify()
                return
            self._opened -= 1
            self._changed.notify()
        self._close_quietly(connection)

    def close(self) -> None:
        """Close every idle connection now and each borrowed one when it comes back."""
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._opened -= len(idle)
            self._changed.notify_all()
        for connection in idle:
            self._close_quietly(connection)

    def _check_usable(self) -> None:
        if self._closed:
            raise StoreError("the store is closed", store=self._name)
        if os.getpid() != self._pid:
            raise StoreError(
                "this store was opened before fork()", store=self._name,
                hint="open the store again in the child process",
            )

    def _close_quietly(self, connection: Connection) -> None:
        if os.getpid() != self._pid:
            return  # the parent's socket: forgetting it is all a child may do
        with suppress(psycopg.Error):  # a connection already broken has nothing left to close
            connection.close()
