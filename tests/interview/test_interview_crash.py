"""12 SIGKILLs, at random moments, of a process answering through Interview on a SqliteStore.

No acknowledged step (printed by the writer only once ``answer()``/``skip()``/``undo()`` has
returned) may be lost, the file must pass ``PRAGMA integrity_check``, and the session must
resume to the Diagnosis its events give.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from syncdoctor import Interview, SqliteStore, diagnose

CHILD = Path(__file__).with_name("interview_child.py")
KILLS = 12
WATCHDOG_SECONDS = 90  # a hung writer fails the test instead of hanging the suite
NOW = "2024-05-01T12:00:00Z"


def kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork() and SIGKILL")
def test_no_acknowledged_answer_is_lost_to_sigkill(tmp_path: Path, bundled_kb) -> None:
    seed = random.randrange(2**32)
    chance = random.Random(seed)
    path = tmp_path / "sessions.db"
    with SqliteStore(path) as store:
        session = Interview.start(store=store, pack="impac", now=NOW, kb=bundled_kb).id
    acknowledged: list[tuple[int, str, str, object]] = []
    writers: list[int] = []
    with subprocess.Popen(
        [sys.executable, str(CHILD), "serve", str(path), session],
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
                got, wanted = 0, chance.randint(1, 6)
                while True:
                    line = server.stdout.readline()
                    assert line, f"seed {seed}: the server ended: {server.stderr.read()}"
                    if line.startswith("pid"):
                        writers.append(int(line.split()[1]))
                    elif line == "reaped\n":
                        break
                    else:
                        _, seq, kind, fact, value = line.rstrip("\n").split(" ", 4)
                        acknowledged.append((int(seq), kind, fact, json.loads(value)))
                        got += 1
                        if got == wanted:
                            time.sleep(chance.uniform(0, 0.004))  # anywhere in the next step
                            os.kill(writers[-1], signal.SIGKILL)
            server.stdin.close()
            assert server.wait(timeout=30) == 0, server.stderr.read()
        finally:
            watchdog.cancel()
            stop_everything()

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    message = f"seed {seed}"
    with SqliteStore(path) as store:
        iv = Interview.resume(session, store=store, kb=bundled_kb)
        events = {e.seq: (e.kind, str(e.fact), e.value) for e in iv.events}
    assert len(writers) == KILLS and len(acknowledged) >= KILLS, message
    lost = [a for a in acknowledged if events.get(a[0]) != a[1:]]
    assert not lost, f"{message}: acknowledged but not stored: {lost}"
    assert sorted(events) == list(range(1, len(events) + 1)), message
    assert len(events) - len(acknowledged) <= KILLS, message  # at most one unprinted per kill
    again = diagnose(iv.facts, pack="impac", kb=bundled_kb, now=NOW, unknown=[
        a.fact for a in iv.answers if a.unknown and a.fact not in iv.facts])
    assert again.model_dump_json() == iv.diagnosis.model_dump_json(), message
