"""Forking only between cases: a child must never inherit a lock a vanished thread held.

A case does lazy work the first times it meets a pack: templates parsed and compiled, pydantic
models built on first validation, modules imported (Jinja2's lexer imports a codec; pydantic
imports while it builds a schema). Each holds a lock meanwhile, an import lock among them.
``os.fork()`` copies the process with those locks held by threads that do not exist in the
child: the child's first case then waits for them forever (tests/engine/test_long_running.py
saw it in about one run of three). So a fork waits, at most :data:`FORK_WAIT_SECONDS`, until
no case is running, and no case starts until the fork is done. A case costs milliseconds; a
case that outlives the wait (a huge one) lets the fork go ahead, as it did before this gate.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = [
    "FORK_WAIT_SECONDS", "also_hold", "before_fork", "between_forks", "in_child", "in_parent",
]

FORK_WAIT_SECONDS = 10.0
"""How long a fork waits for the cases running to end."""

P = ParamSpec("P")
T = TypeVar("T")


class _CaseGate:
    """Counts the cases running; a fork closes the gate and waits for the count to reach 0."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._ready = threading.Condition(threading.Lock())
        self._running = 0
        self._closed = False
        self._inside = threading.local()  # a case run inside a case never waits for a fork

    def enter(self) -> None:
        depth = getattr(self._inside, "depth", 0)
        with self._ready:
            while self._closed and depth == 0:
                self._ready.wait()
            self._running += 1
        self._inside.depth = depth + 1

    def leave(self) -> None:
        self._inside.depth -= 1
        with self._ready:
            self._running -= 1
            if self._closed and self._running == 0:
                self._ready.notify_all()

    def close(self, timeout: float) -> None:
        # Held from here to the end of the fork: nothing changes the count meanwhile, and the
        # child gets a lock no thread of its own holds.
        self._ready.acquire()
        self._closed = True
        self._ready.wait_for(lambda: self._running == 0, timeout)

    def reopen(self) -> None:
        self._closed = False
        self._ready.notify_all()
        self._ready.release()


_GATE = _CaseGate()


def between_forks(function: Callable[P, T]) -> Callable[P, T]:
    """Run ``function`` as a case: a fork waits for it to end, and it waits for a fork."""

    @functools.wraps(function)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        _GATE.enter()
        try:
            return function(*args, **kwargs)
        finally:
            _GATE.leave()

    return guarded


_HELD: list[tuple[Callable[[], object], Callable[[], object]]] = []


def also_hold(acquire: Callable[[], object], release: Callable[[], object]) -> None:
    """Hold a lock of the engine through every fork, taken once the gate is closed.

    In this order because a case waiting for that lock holds its place in the gate: taken
    first, the fork would wait for a case that waits for the fork.
    """
    _HELD.append((acquire, release))


def before_fork() -> None:
    """Wait for the cases running to end (at most FORK_WAIT_SECONDS); hold new ones back."""
    _GATE.close(FORK_WAIT_SECONDS)
    for acquire, _ in _HELD:
        acquire()


def in_parent() -> None:
    """Let the cases held back go on."""
    for _, release in reversed(_HELD):
        release()
    _GATE.reopen()


def in_child() -> None:
    """A gate of the child's own: the parent's threads and their cases are not here."""
    for _, release in reversed(_HELD):
        release()
    _GATE._reset()


os.register_at_fork(before=before_fork, after_in_parent=in_parent, after_in_child=in_child)
