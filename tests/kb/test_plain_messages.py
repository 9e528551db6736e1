"""KB101 and KB102 in an author's words: the caret on the wrong value, and the value meant."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from syncdoctor import KnowledgeBaseError, load_kb
from syncdoctor.errors import Problem

from support import FIXTURES


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURES / "demo_kb", root)
    return root


def _only_problem(
    kb: Path, section: str, old: str, new: str, mark: str | None = None
) -> tuple[Problem, int, str]:
    """The one problem after replacing ``old``, and the line holding ``mark`` (in ``new``)."""
    path = kb / section / "demo.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([kb], bundled=False)
    problems = caught.value.problems
    assert len(problems) == 1, [p.headline() for p in problems]
    target = next(ln for ln in new.splitlines() if mark is None or mark in ln)
    line = next(n for n, ln in enumerate(path.read_text().splitlines(), 1) if target in ln)
    return problems[0], line, path.read_text().splitlines()[line - 1]


@pytest.mark.parametrize(
    ("section", "old", "new", "value", "message", "suggestion"),
    [
        ("facts", "sync.stale: {type: bool,", "sync.stale: {type: boolean,", "boolean",
         "'type' must be one of bool, enum, text, integer, decimal, datetime, duration, "
         "records; not 'boolean'", "bool"),
        ("facts", "sync.error: {type: text,", "sync.error: {type: string,", "string",
         "'type' must be one of bool,", "text"),
        ("facts", "err.code: {type: integer}", "err.code: {type: int}", "int",
         "'type' must be one of", "integer"),
        ("rules", "    certainty: 0.9\n", "    certainty: high\n", "high",
         "'certainty' must be a number, not 'high'", None),
        ("rules", "    certainty: 0.9\n", "    certainty: 2\n", "2",
         "'certainty' must be at most 1.0, not 2 (a number)", None),
        ("rules", "    effect: rules_out\n", "    effect: rule_out\n", "rule_out",
         "'effect' must be one of supports, rules_out; not 'rule_out'", "rules_out"),
        ("rules", "  - id: demo.pending\n", "  - id: Demo Pending\n", "Demo Pending",
         "'id' must be an id: lower-case letters, digits and underscores", None),
        ("rules", "  - id: demo.pending\n    step: s1\n",
         "  - id: demo.pending\n    status: stabel\n    step: s1\n", "stabel",
         "'status' must be one of experimental, stable, deprecated; not 'stabel'", "stable"),
        ("playbooks", "title: Demo", "title: [Demo, Two]", "[Demo, Two]",
         "'title' must be text, not a list", None),
        ("facts", "{type: text, ask: What error?}", "{type: text, ask: 42}", "42",
         "'ask' must be text, not 42 (a number): quote it", None),
        ("facts", "values: [pending, failed, success]", "values: [pending, 3, success]", "3",
         "item 2 of 'values' must be text, not 3 (a number): quote it", None),
        ("rules", "when: {fact: sync.status, eq: pending}",
         "when: {fact: sync.status, eq: [pending]}", "[pending]",
         "'eq' must be true or false, a whole number, a number or text; not a list", None),
        ("facts", "sync.stale: {type: bool, derived: true}",
         "sync.stale: {type: bool, derived: maybe}", "maybe",
         "'derived' must be true or false, not 'maybe'", None),
    ],
)
def test_a_wrong_value_is_pointed_at_and_explained(
    kb: Path, section: str, old: str, new: str, value: str, message: str, suggestion: str | None
) -> None:
    problem, line, source = _only_problem(kb, section, old, new, value)
    assert problem.code == "KB101"
    assert problem.message.startswith(message), problem.message
    assert "Input should" not in problem.message
    assert (problem.line, problem.column) == (line, source.index(value) + 1), problem.render()
    assert problem.suggestion == suggestion


def test_a_value_on_the_next_line_is_pointed_at_there(kb: Path) -> None:
    problem, line, _ = _only_problem(kb, "rules", "    certainty: 0.9\n",
                                     "    certainty:\n      - 0.9\n")
    assert problem.message.startswith("'certainty' must be a number, not a list")
    assert (problem.line, problem.column) == (line + 1, 7)


@pytest.mark.parametrize(
    ("old", "new", "key", "suggestion"),
    [
        ("    certainty: 0.9\n", "    certinty: 0.9\n", "certinty", "certainty"),
        ("when: {fact: sync.status, eq: pending}", "when: {fakt: sync.status, eq: pending}",
         "fakt", "fact"),
        # 'extra' is near 'extractors', a key of facts files: never offered inside a condition.
        ("when: {fact: sync.status, eq: pending}",
         "when: {fact: sync.status, eq: pending, extra: 1}", "extra", None),
        ("    because: changed after sync\n",
         "    because: changed after sync\n    becuase: twice\n", "becuase", "because"),
    ],
)
def test_an_unknown_key_is_pointed_at_with_the_nearest_key_allowed_there(
    kb: Path, old: str, new: str, key: str, suggestion: str | None
) -> None:
    problem, line, source = _only_problem(kb, "rules", old, new, key)
    assert problem.code == "KB102"
    assert problem.message == f"unknown key {key!r}"
    assert (problem.line, problem.column) == (line, source.index(key) + 1)
    assert problem.suggestion == suggestion
