"""Processes that append to a session store, for the concurrency and crash tests.

    python store_child.py append URL SESSION TAG COUNT [READY_DIR PEERS]
    python store_child.py serve URL SESSION TAG
    python store_child.py start URL
    python store_child.py carry-on URL SESSION

URL is a store URL (``sqlite:///path``, ``postgresql://...``), opened with ``open_store``.

``append`` adds COUNT answer events (COUNT 0: without end) whose value is ``[TAG, PID, n]``,
n = 1, 2, 3, ..., and prints ``seq n`` for each, flushed, only once ``append()`` has returned.
The pid makes every writer's values its own: an event acknowledged but lost can never be
replaced unnoticed by a later writer's. With READY_DIR it first waits until PEERS processes have written their ready file
there, so that the writers overlap.

``serve`` is a fork server for the crash test: for each line read from stdin it prints
``pid N`` and forks a writer that appends without end (``append`` with COUNT 0); once that
writer is dead (the test SIGKILLs it) it prints ``reaped``. Forking from a process that has
already imported syncdoctor keeps each of the test's twelve writers from paying for the imports.

``start`` creates a session with one answer and prints its id; ``carry-on`` (another process,
maybe another machine) loads it, prints ``seen`` and the facts answered so far, then answers one
more fact.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from pathlib import Path

from syncdoctor.interview import open_store

from store_support import make_header


def say(line: str) -> None:
    """One line in one write(2) to the pipe, so a writer killed mid-line leaves no half line.

    Below PIPE_BUF bytes a pipe write is atomic; ``print`` (or ``sys.stdout.write`` under
    PYTHONUNBUFFERED, as CI runs) may issue several writes for one line.
    """
    os.write(sys.stdout.fileno(), (line + "\n").encode())


def append(url: str, session: str, tag: str, count: int, ready: Path | None, peers: int) -> None:
    with open_store(url) as store:
        if ready is not None:
            (ready / tag).touch()
            while len(list(ready.iterdir())) < peers:
                time.sleep(0.001)
        pid = os.getpid()
        for n in itertools.count(1) if count == 0 else range(1, count + 1):
            event = store.append(session, "answer", fact="step.n", value=[tag, pid, n], source="bot")
            say(f"{event.seq} {n}")


def serve(url: str, session: str, tag: str) -> None:
    if url.startswith("postgres"):
        import syncdoctor.interview.postgres_store  # noqa: F401  (psycopg loads once, not per writer)
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                append(url, session, tag, 0, None, 0)
            finally:
                os._exit(1)  # only reached if the writer fails: never run the server's code
        say(f"pid {pid}")
        os.waitpid(pid, 0)
        say("reaped")


def start(url: str) -> None:
    header = make_header()
    with open_store(url) as store:
        store.create(header)
        store.append(header.id, "answer", fact="sync.error_code", value="E42", source="agent")
    say(header.id)


def carry_on(url: str, session: str) -> None:
    with open_store(url) as store:
        seen = [event.fact or "" for event in store.load(session).answers]
        say("seen " + " ".join(seen))
        store.append(session, "skip", fact="payment.method", source="agent")


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "start":
        start(*arguments)
    elif command == "carry-on":
        carry_on(*arguments)
    elif command == "serve":
        serve(*arguments)
    else:
        append(arguments[0], arguments[1], arguments[2], int(arguments[3]),
               Path(arguments[4]) if len(arguments) > 4 else None,
               int(arguments[5]) if len(arguments) > 5 else 0)
