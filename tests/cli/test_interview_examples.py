"""Every example's problem, diagnosed through `syncdoctor interview` without knowing a fact id.

The agent starts with no pack, picks the integration from the list, then answers each question
shown from the example's facts ("skip" when the example lacks the fact). When the questions
end, the causes shown must be those diagnose() finds from the example's whole case file, in the
same order; the agent answers "did this fix it?" with "no" until an expected cause comes first,
and "yes" to it. Every expected cause must hold.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from terminal_support import AgentAtPrompts, Screen

from syncdoctor import diagnose
from syncdoctor.casefile import read_case
from syncdoctor.cli.app import app
from syncdoctor.engine.knowledge import default_kb
from syncdoctor.interview import Interview, MemoryStore

from support import REPO

EXAMPLES = sorted((REPO / "examples").glob("*/*.yaml"))


class KeptMemoryStore(MemoryStore):
    """A memory store that the command's ``with`` does not close, to read it back after."""

    def close(self) -> None:
        return None


def drive(example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[
        AgentAtPrompts, Screen, MemoryStore]:
    case = read_case(example)
    pack = case.pack or example.parent.name
    screen = Screen()
    playbook = default_kb().pack(pack).playbook
    expected = case.expect.causes if case.expect is not None else []
    fixed_by = frozenset(playbook.causes[c].title for c in expected)
    agent = AgentAtPrompts(screen, pack, case.facts, fixed_by)
    monkeypatch.setattr("sys.stdin", agent)
    monkeypatch.setattr("sys.stdout", screen)
    # One memory store that outlives the command, to read the session back (the SQLite store
    # has its own tests; here 105 interviews need not wait for fsync).
    store = KeptMemoryStore()
    monkeypatch.setattr("syncdoctor.interview.open_store", lambda url=None: store)
    args = ["interview", "--store", "memory:"]
    if case.now is not None:
        args += ["--now", case.now if isinstance(case.now, str) else case.now.isoformat()]
    try:
        app(args, standalone_mode=False)
    except SystemExit as done:  # typer.Exit in standalone_mode=False returns; keep both
        assert done.code in (0, None)
    return agent, screen, store


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_an_agent_reaches_the_expected_cause(example: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    expected = read_case(example).expect
    assert expected is not None, "every example states what it expects"
    agent, screen, store = drive(example, tmp_path, monkeypatch)
    out = screen.getvalue()
    assert "Traceback" not in out
    assert agent.typed <= agent.limit, out[-2000:]
    (summary,) = store.list()
    session = Interview.resume(summary.id, store=store)
    assert session.next_question() is None, "the interview stopped before its end"
    case = read_case(example)
    whole = diagnose(case.facts, pack=session.pack, now=case.now, unknown=case.unknown)
    ruled_by_agent = list(session.not_fixed_causes)
    assert ruled_by_agent + session.diagnosis.cause_ids == whole.cause_ids, agent.asked
    for cause in expected.causes:
        assert cause in whole.cause_ids
    for cause in expected.absent:
        assert cause not in session.diagnosis.cause_ids
    if expected.causes:
        assert session.diagnosis.cause_ids[0] in expected.causes
        assert "Fixed:" in out
        assert session.fixed_cause == session.diagnosis.cause_ids[0]  # kept, not only said
        assert len(agent.not_fixed) == len(ruled_by_agent)
    else:
        assert not session.diagnosis.cause_ids
