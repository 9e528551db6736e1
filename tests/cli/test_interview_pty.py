"""`syncdoctor interview` end to end through a real pseudo-terminal (pexpect), one per pack.

Each run is what an agent does at prompt_toolkit's prompts: choose the pack from the list (or
paste the error message), ask `?` at the first question, take the second answer back with
`back`, `skip` a question the case cannot answer, answer the rest from an example's facts, say
"no" to the first "did this fix it?" and "yes" to the next. Then the saved session is read back
and checked: the skip, the cause ruled out by the "no", the answers.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest
from terminal_support import as_typed

from syncdoctor.casefile import read_case
from syncdoctor.interview import Interview, SqliteStore

from support import REPO

CASES = {
    "connectbooster": "manual-receipts-and-ten-percent",
    "impac": "several-causes-stale-and-widget",
    "iseller_accurate": "refreshing-newer-before-older",
    "mambu_xero": "several-today-and-not-in-ledger",
    "sage300": "raw-message-terms-code",
}
PROMPT = re.compile(  # after an escape sequence (prompt_toolkit's rendering) or a blank
    r"(?:\x1b\[[0-9;?]*[A-Za-z]|\s)([a-z_][a-z0-9_.]*) "
    r"\((yes/no|enum|text|integer|decimal|datetime|duration|records)(?:, [^)]+)?\) >"
)
NEXT = [r"Question \d+", r"Did this fix it\? \((.*?)\) \[yes/no\] >", r"No cause found",
        pexpect.EOF]
HANG_GUARD = 60  # seconds: a hung prompt fails the test instead of blocking the suite


def spawn(*args: str, tmp_path: Path, screen: str = "screen.txt") -> pexpect.spawn:
    env = {**os.environ, "NO_COLOR": "1", "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm",
           "SYNCDOCTOR_STORE": f"sqlite:{tmp_path / 'sessions.db'}"}
    child = pexpect.spawn(sys.executable, ["-m", "syncdoctor", *args], cwd=str(REPO), env=env,
                          encoding="utf-8", timeout=HANG_GUARD, dimensions=(60, 220))
    child.logfile_read = open(tmp_path / screen, "w", encoding="utf-8")  # noqa: SIM115
    return child


def answer(child: pexpect.spawn, value: object) -> None:
    for line in as_typed(value):
        child.send(line + "\r")
    if isinstance(value, str):
        child.send("\r")  # a text answer ends with an empty line


def follow(child: pexpect.spawn, said_no: str | None) -> tuple[bool, str | None, bool]:
    """After an answer: the next question (False), or the end (True, EOF read).

    The first "did this fix it?" gets "no" (its title is returned), the next one "yes".
    """
    while True:
        got = child.expect(NEXT)
        if got == 0:
            return False, said_no, False
        if got == 1 and said_no is None:
            said_no = child.match.group(1)
            child.send("no\r")
            child.expect("going on to the next hypothesis")
            continue
        fixed = got == 1
        if fixed:
            child.send("yes\r")
            child.expect("Fixed")
        if got != 3:
            child.expect(pexpect.EOF)
        return True, said_no, fixed


@pytest.mark.parametrize("pack", sorted(CASES))
def test_one_interview_per_pack(pack: str, tmp_path: Path) -> None:
    example = REPO / "examples" / pack / f"{CASES[pack]}.yaml"
    case = read_case(example)
    facts = dict(case.facts)
    now = case.now if isinstance(case.now, str) else case.now.isoformat()  # type: ignore[union-attr]
    child = spawn("interview", "--now", now, tmp_path=tmp_path)
    child.expect("error message or pack >")
    message = facts.pop("error.message", None) if pack == "sage300" else None
    if message is not None:
        child.send(str(message) + "\r\r")
        child.expect("recognised as pack sage300")
    else:
        child.send(pack + "\r")
    asked: list[str] = []
    skipped: list[str] = []
    said_no: str | None = None
    fixed = False
    went_back = False
    child.expect(NEXT[0])
    while True:
        child.expect(PROMPT)
        fact = child.match.group(1)
        if not asked:
            child.send("?\r")
            child.expect("Why this question")
            child.expect(PROMPT)
            assert child.match.group(1) == fact
        if len(asked) == 1 and not went_back:
            went_back = True
            child.send("back\r")
            child.expect(f"took back {re.escape(asked[0])}")
            if skipped == asked:
                skipped.pop()
            asked.pop()
            continue
        asked.append(fact)
        if fact in facts:
            answer(child, facts[fact])
        else:
            child.send("skip\r")
            child.expect("noted: don't know")
            skipped.append(fact)
        ended, said_no, fixed = follow(child, said_no)
        if ended:
            break
    child.close()
    child.logfile_read.close()
    screen = (tmp_path / "screen.txt").read_text(encoding="utf-8")
    assert child.exitstatus == 0, screen[-3000:]
    assert "Traceback" not in screen
    assert went_back and said_no is not None and skipped, asked
    with SqliteStore(tmp_path / "sessions.db") as store:
        (summary,) = store.list()
        session = Interview.resume(summary.id, store=store)
    assert session.pack == pack
    assert [a.fact for a in session.answers if a.unknown] == skipped
    assert len(session.not_fixed_causes) == 1
    assert session.kb.pack(pack).playbook.causes[session.not_fixed_causes[0]].title == said_no
    for given in session.answers:
        if not given.unknown:
            assert given.fact in facts and given.source == "agent"
    if fixed:
        assert "Fixed" in screen


def test_ctrl_c_and_ctrl_d_quit_with_the_session_saved_and_resume_goes_on(tmp_path: Path) -> None:
    child = spawn("interview", "--pack", "impac", "--now", "2024-05-01T12:00:00Z",
                  tmp_path=tmp_path)
    child.expect(PROMPT)
    first = child.match.group(1)
    child.send({"yes/no": "no", "enum": "1"}.get(child.match.group(2), "skip") + "\r")
    child.expect(NEXT[0])
    child.expect(PROMPT)
    second = child.match.group(1)
    child.sendcontrol("c")
    child.expect(r"Session saved\. Resume it with: syncdoctor sessions resume ([0-9a-f]{32})")
    session_id = child.match.group(1)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    again = spawn("sessions", "resume", session_id, tmp_path=tmp_path, screen="again.txt")
    again.expect(r"resumed session [0-9a-f]{32} \(1 answer\)")
    again.expect(PROMPT)
    assert again.match.group(1) == second != first
    again.sendcontrol("d")
    again.expect(r"Session saved\. Resume it with")
    again.expect(pexpect.EOF)
    again.close()
    child.logfile_read.close()
    again.logfile_read.close()
    assert again.exitstatus == 0
    screen = (tmp_path / "screen.txt").read_text(encoding="utf-8")
    assert "Traceback" not in screen


def test_a_refused_answer_can_be_cleared_and_typed_again(tmp_path: Path) -> None:
    """After a refusal the cursor stays at the end: Ctrl-U clears the line (it cleared nothing,
    and what was typed next went in front of the refused text)."""
    child = spawn("interview", "--pack", "impac", "--now", "2024-05-01T12:00:00Z",
                  tmp_path=tmp_path, screen="refused.txt")
    try:
        child.expect(PROMPT)
        fact, kind = child.match.group(1), child.match.group(2)
        assert kind in ("yes/no", "enum"), kind  # impac's first question
        child.send("zzz\r")
        child.expect("yes or no" if kind == "yes/no" else "choose one of")
        child.sendcontrol("u")
        child.send({"yes/no": "no", "enum": "1"}[kind] + "\r")
        child.expect(NEXT[0])  # taken: the next question
        child.expect(PROMPT)
        child.sendcontrol("c")
        child.expect(r"Session saved\. Resume it with: syncdoctor sessions resume ([0-9a-f]{32})")
        session_id = child.match.group(1)
        child.expect(pexpect.EOF)
    finally:
        child.close()
        child.logfile_read.close()
    with SqliteStore(tmp_path / "sessions.db") as store:
        (given,) = Interview.resume(session_id, store=store).answers
    assert (given.fact == fact and given.value in (False, "no")) or kind == "enum"
