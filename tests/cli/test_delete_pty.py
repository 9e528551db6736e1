"""`sessions delete` at a terminal asks first; a script (or --yes) is not asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect

from syncdoctor.interview import Interview, SqliteStore

from support import NOW


def _session(path: Path) -> str:
    with SqliteStore(path) as store:
        return Interview.start(store=store, pack="sage300", now=NOW,
                               message="1020 - Terms Code F48 is not defined in A/R Terms").id


def _delete(path: Path, session: str, *extra: str) -> pexpect.spawn:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "xterm"}
    return pexpect.spawn(sys.executable, ["-m", "syncdoctor", "sessions", "delete", session[:6],
                                          "--store", f"sqlite:{path}", *extra],
                         env=env, encoding="utf-8", timeout=60)


def test_a_terminal_is_asked_and_no_keeps_the_session(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    session = _session(path)
    child = _delete(path, session)
    child.expect(rf"Delete session {session} \(1020 - Terms Code F48 is not defined in A/R "
                 r"Terms\) and every answer in it\? \[y/N\]: ")
    child.sendline("n")
    child.expect("nothing deleted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    with SqliteStore(path) as store:
        assert store.load(session).header.id == session
    child = _delete(path, session)
    child.expect(r"\[y/N\]: ")
    child.sendline("y")
    child.expect(f"deleted session {session}")
    child.expect(pexpect.EOF)


def test_a_script_and_yes_are_not_asked(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first, second = _session(path), _session(path)
    piped = subprocess.run([sys.executable, "-m", "syncdoctor", "sessions", "delete", first,
                            "--store", f"sqlite:{path}"], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=60)
    assert piped.returncode == 0 and f"deleted session {first}" in piped.stdout
    child = _delete(path, second, "--yes")
    child.expect(f"deleted session {second}")
    child.expect(pexpect.EOF)
