"""Crash safety: SIGKILL a process appending to a store at random moments, 12 times.

SQLite and PostgreSQL alike: every event whose append() returned (the writer prints its seq only
then) must be in the store, with the value that writer gave it, in order; a SQLite file must
pass SQLite's integrity check.
An event committed in the instant before a kill but not yet printed may be there too, at most
one per kill.

Each writer is a fresh process forked by a small server (tests/interview/store_child.py) that
has already imported syncdoctor, so that twelve writers cost milliseconds, not seconds.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from syncdoctor.interview import open_store

from store_support import make_header

CHILD = Path(__file__).with_name("store_child.py")
KILLS = 12
WATCHDOG_SECONDS = 60  # a hung writer fails the test instead of hanging the suite


def kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already dead
        os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork() and SIGKILL")
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_no_acknowledged_event_is_lost_to_sigkill(
    kind: str, tmp_path: Path, shared_store_url: Callable[[str], str]
) -> None:
    seed = random.randrange(2**32)
    chance = random.Random(seed)
    url = shared_store_url(kind)
    header = make_header()
    with open_store(url) as store:
        store.create(header)
    # (seq, value) in the order acknowledged; a list, not a dict: a seq acknowledged twice (by a
    # writer that lost it and by the next) must not hide the first
    acknowledged: list[tuple[int, list[object]]] = []
    writers: list[int] = []
    with subprocess.Popen(
        [sys.executable, str(CHILD), "serve", url, header.id, "K"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as server:
        assert server.stdin is not None and server.stdout is not None and server.stderr is not None

        def stop_everything() -> None:
            for pid in writers[-1:]:
                kill_quietly(pid)
            kill_quietly(server.pid)

        watchdog = threading.Timer(WATCHDOG_SECONDS, stop_everything)
        watchdog.start()
        try:
            for _ in range(KILLS):
                server.stdin.write("go\n")
                server.stdin.flush()
                got, wanted = 0, chance.randint(1, 12)  # acknowledgements before the kill
                while True:
                    line = server.stdout.readline()
                    assert line, f"seed {seed}: the writer server ended: {server.stderr.read()}"
                    if line.startswith("pid"):
                        writers.append(int(line.split()[1]))
                    elif line == "reaped\n":
                        break
                    else:  # "seq n": printed by the newest writer, whose pid came first
                        assert len(line.split()) == 2, f"seed {seed}: unexpected line {line!r}"
                        seq, n = map(int, line.split())
                        acknowledged.append((seq, ["K", writers[-1], n]))
                        got += 1
                        if got == wanted:
                            time.sleep(chance.uniform(0, 0.004))  # anywhere in the next append
                            os.kill(writers[-1], signal.SIGKILL)
            server.stdin.close()
            assert server.wait(timeout=30) == 0, server.stderr.read()
        finally:
            watchdog.cancel()
            stop_everything()

    if kind == "sqlite":
        with sqlite3.connect(tmp_path / "sessions.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with open_store(url) as store:
        events = store.load(header.id).events
    message = f"seed {seed}"
    assert len(writers) == KILLS and len(acknowledged) >= KILLS, message
    assert [event.seq for event in events] == list(range(1, len(events) + 1)), message
    stored = {event.seq: event.value for event in events}
    lost = [(seq, value) for seq, value in acknowledged if stored.get(seq) != value]
    assert not lost, f"{message}: acknowledged but not stored: {lost}"
    assert [seq for seq, _ in acknowledged] == sorted({seq for seq, _ in acknowledged}), message
    # in order: the writers one after another, each with its n = 1, 2, 3, ...
    expected = [["K", pid, n] for pid in writers
                for n in range(1, 1 + sum(1 for e in events if e.value[1] == pid))]  # type: ignore[index]
    assert [event.value for event in events] == expected, message
    assert len(events) - len(acknowledged) <= KILLS, message
