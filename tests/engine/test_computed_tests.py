"""The tests comparing two facts, end to end: loaded, checked, compiled, run, described, linted."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncdoctor import KnowledgeBaseError, diagnose, load_kb
from syncdoctor.authoring.lint import lint
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.kb.describe import describe_condition

FACTS = """\
pack: cmp
facts:
  hub.class: {type: text, ask: Class in the hub?}
  app.class: {type: text, ask: Class in the app?}
  hub.amount: {type: decimal, ask: Hub amount?}
  app.amount: {type: decimal, ask: App amount?}
  amount.tolerance: {type: decimal, default: 0.05, ask: Tolerance?}
  failed: {type: integer, ask: How many failed?}
  total: {type: integer, ask: How many in all?}
  hours: {type: text, ask: Which hours?}
  made_at: {type: datetime, ask: When made?}
  outlet.tz: {type: text, default: UTC, ask: Which time zone?}
  widget.period: {type: text, ask: Widget period?}
  report.period: {type: text, ask: Report period?}
  fy.start: {type: text, default: 1 January, ask: Financial year start?}
"""
PLAYBOOK = """\
id: cmp
title: Comparisons
steps: [{id: s1, title: One}]
causes:
  class_differs: {title: Classes differ, step: s1, remediation: Fix the class.}
  amount_differs: {title: Amounts differ, step: s1, remediation: Look at amounts.}
  frequent: {title: Frequent failures, step: s1, remediation: Check settings.}
  waiting: {title: Waiting for the schedule, step: s1, remediation: Wait.}
  period: {title: Periods differ, step: s1, remediation: Align the periods.}
"""
RULES = """\
pack: cmp
rules:
  - {id: cmp.class, step: s1, cause: class_differs, because: differ,
     when: {not: {fact: hub.class, same_text_as: app.class}}}
  - {id: cmp.amount, step: s1, cause: amount_differs, because: differ,
     when: {not: {fact: hub.amount, close_to: app.amount, tolerance: amount.tolerance}}}
  - {id: cmp.rate, step: s1, cause: frequent, because: "{{ facts['failed'] }} of {{ facts['total'] }}",
     when: {fact: failed, ratio_to: total, at_least: 0.1}}
  - {id: cmp.waiting, step: s1, cause: waiting, because: not yet,
     when: {not: {fact: hours, time_passed_since: made_at, zone: outlet.tz}}}
  - {id: cmp.period, step: s1, cause: period, because: differ,
     when: {not: {fact: widget.period, same_period_as: report.period, year_start: fy.start}}}
"""
NOW = "2024-05-15T12:00:00Z"


def _write(root: Path, facts: str = FACTS, rules: str = RULES) -> Path:
    for folder, text in (("facts", facts), ("rules", rules), ("playbooks", PLAYBOOK)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "cmp.yaml").write_text(text)
    return root


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return load_kb([_write(tmp_path_factory.mktemp("cmp"))], bundled=False)


def _causes(kb: KnowledgeBase, facts: dict[str, object]) -> set[str]:
    return {c.id for c in diagnose(facts, pack="cmp", kb=kb, now=NOW).causes}


def test_each_operator_fires_and_stays_silent(kb: KnowledgeBase) -> None:
    assert _causes(kb, {"hub.class": "Current Asset", "app.class": "Fixed Asset"}) == {
        "class_differs"}
    assert _causes(kb, {"hub.class": "Current  asset", "app.class": "current Asset"}) == set()
    assert _causes(kb, {"hub.amount": 100, "app.amount": "100.10"}) == {"amount_differs"}
    assert _causes(kb, {"hub.amount": 100, "app.amount": "100.04"}) == set()  # default 0.05
    assert _causes(kb, {"hub.amount": 100, "app.amount": "100.04",
                        "amount.tolerance": 0}) == {"amount_differs"}
    assert _causes(kb, {"failed": 30, "total": 250}) == {"frequent"}
    assert _causes(kb, {"failed": 9, "total": 250}) == set()
    made = "2024-05-15T10:00:00Z"
    assert _causes(kb, {"hours": "21:00", "made_at": made}) == {"waiting"}
    assert _causes(kb, {"hours": "11:00, 21:00", "made_at": made}) == set()
    assert _causes(kb, {"hours": "21:00", "made_at": made, "outlet.tz": "UTC+10"}) == set()
    assert _causes(kb, {"widget.period": "last month", "report.period": "this month"}) == {
        "period"}
    assert _causes(kb, {"widget.period": "last month", "report.period": "April 2024"}) == set()


def test_an_undecidable_comparison_is_neither_true_nor_false(kb: KnowledgeBase) -> None:
    result = diagnose({"widget.period": "the usual", "report.period": "this month"},
                      pack="cmp", kb=kb, now=NOW)
    assert result.causes == []
    assert _causes(kb, {"failed": 3, "total": 0}) == set()
    assert _causes(kb, {"hub.class": "Current Asset"}) == set()


def test_questions_ask_the_other_fact_not_the_defaulted_parameters(kb: KnowledgeBase) -> None:
    asked = [q.fact for q in diagnose({"hours": "21:00"}, pack="cmp", kb=kb, now=NOW).questions]
    assert "made_at" in asked
    assert "outlet.tz" not in asked and "fy.start" not in asked


@pytest.mark.parametrize(
    ("old", "new", "code", "message"),
    [
        ("same_text_as: app.class", "same_text_as: app.klass", "KB104", "unknown fact"),
        ("same_text_as: app.class", "same_text_as: app.amount", "KB109", "compares with text"),
        ("ratio_to: total", "ratio_to: hours", "KB109", "compares with integer or decimal"),
        ("time_passed_since: made_at", "time_passed_since: hours", "KB109", "datetime"),
        ("zone: outlet.tz", "zone: made_at", "KB109", "zone names a text fact"),
        ("tolerance: amount.tolerance", "tolerance: -1", "KB109", "cannot be negative"),
        ("year_start: fy.start", "year_start: fy.begin", "KB104", "unknown fact 'fy.begin'"),
    ],
)
def test_wrong_operands_are_located(tmp_path: Path, old: str, new: str, code: str,
                                    message: str) -> None:
    root = _write(tmp_path, rules=RULES.replace(old, new))
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([root], bundled=False)
    problems = caught.value.problems
    assert any(p.code == code and message in p.message for p in problems), problems
    assert all(p.file.endswith("cmp.yaml") and p.line > 0 for p in problems)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("tolerance: amount.tolerance", "at_least: 3", "'at_least' goes with ratio_to only"),
        (", at_least: 0.1", "", "ratio_to needs 'at_least'"),
    ],
)
def test_misplaced_modifiers_are_refused(tmp_path: Path, old: str, new: str,
                                         message: str) -> None:
    root = _write(tmp_path, rules=RULES.replace(old, new))
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([root], bundled=False)
    assert any(message in p.message for p in caught.value.problems)


def test_a_default_that_does_not_read_as_a_zone_is_refused(tmp_path: Path) -> None:
    root = _write(tmp_path, facts=FACTS.replace("default: UTC,", "default: Mars/Base,"))
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([root], bundled=False)
    assert any("not a valid zone" in p.message for p in caught.value.problems)


def test_describe_and_lint_understand_them(kb: KnowledgeBase) -> None:
    pack = kb.packs["cmp"]
    rate = next(r for r in pack.rules if r.id == "cmp.rate")
    assert describe_condition(rate.when, pack.facts) == "failed divided by total is at least 0.1"
    # cmp.rate's 'because' quotes both counts unguarded: the ratio test makes both known.
    report = lint(kb)
    assert not [f for f in report.findings if f.check in ("L204", "L206")], report.findings
