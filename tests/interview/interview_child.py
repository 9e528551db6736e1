"""A fork server of processes answering through Interview on a SQLite store (crash test).

    python interview_child.py serve PATH SESSION

For each line read from stdin it prints ``pid N`` and forks a writer that resumes the session
and answers without end: the next question (a valid answer of its type, or a skip), or an undo
when none is left. After each step returns it prints ``ack SEQ KIND FACT VALUE-JSON``, flushed:
the step is acknowledged only then. Once the writer is dead (the test SIGKILLs it) it prints
``reaped``. The server loads syncdoctor and the knowledge base once, before forking.
"""

from __future__ import annotations

import json
import os
import sys

from syncdoctor import Interview, SqliteStore
from syncdoctor.engine.knowledge import default_kb


def say(line: str) -> None:
    """One line in one write(2): under PYTHONUNBUFFERED (as CI runs) ``print`` writes each piece
    separately, and a writer killed between two of them left half a line before ``reaped``."""
    os.write(sys.stdout.fileno(), (line + "\n").encode())


def answer_for(kind: str, values: list[str] | None, turn: int) -> object | None:
    if kind == "bool":
        return turn % 2 == 0
    if kind == "enum" and values:
        return values[turn % len(values)]
    if kind in ("integer", "decimal"):
        return turn % 50
    if kind == "datetime":
        return f"{1 + turn % 12} hours ago"
    return None  # text, duration, records: skipped


def write(path: str, session: str) -> None:
    kb = default_kb()
    with SqliteStore(path) as store:
        iv = Interview.resume(session, store=store, kb=kb)
        turn = 0
        while True:
            turn += 1
            question = iv.next_question()
            if question is None:
                iv.undo()
            else:
                value = answer_for(question.type, question.values, turn)
                if value is None:
                    iv.skip(question.fact)
                else:
                    iv.answer(question.fact, value)
            event = iv.events[-1]
            say(f"ack {event.seq} {event.kind} {event.fact} {json.dumps(event.value)}")


def serve(path: str, session: str) -> None:
    default_kb()  # compiled once, inherited by every writer
    for _ in sys.stdin:
        pid = os.fork()
        if pid == 0:
            try:
                write(path, session)
            finally:
                os._exit(1)  # only reached if the writer fails: never run the server's code
        say(f"pid {pid}")
        os.waitpid(pid, 0)
        say("reaped")


if __name__ == "__main__":
    serve(sys.argv[2], sys.argv[3])
