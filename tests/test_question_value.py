"""Only questions whose answer could change the causes held, by value, then step, then cost.

A small pack makes each case exact: two causes (a held first cause, another still possible), a
rule that would only confirm the first cause, a rule ruling out a cause not held, and a rule
waiting on a fact the user cannot answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from syncdoctor import Interview, MemoryStore, diagnose, load_kb
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.engine.refute import compile_program, truth

FACTS = """\
pack: value
facts:
  status: {type: enum, values: [ok, failed], ask: Status?}
  code: {type: integer, ask: Error code?}
  linked: {type: bool, ask: Linked?}
  confirm: {type: bool, ask: Would only confirm the outage?}
  quota: {type: bool, ask: Quota reached?}
  region: {type: text, ask: Region?}
  cheap: {type: bool, ask: Cheap to check?, cost: 1}
  dear: {type: bool, ask: Dear to check?, cost: 5}
  token: {type: bool, ask: Token valid?}
  portal.linked: {type: bool, ask: Does the portal show it linked?}
"""
PLAYBOOK = """\
id: value
title: Question value
steps: [{id: s1, title: First}, {id: s2, title: Second}]
causes:
  outage: {title: Outage, step: s1, remediation: Wait.}
  unlinked: {title: Not linked, step: s1, remediation: Link it.}
  throttled: {title: Throttled, step: s2, remediation: Slow down.}
  misc: {title: Something else, step: s2, remediation: Look.}
"""
RULES = """\
pack: value
rules:
  - {id: v.outage, step: s1, cause: outage, certainty: 0.8, because: failed,
     when: {fact: status, eq: failed}}
  - {id: v.outage-confirm, step: s1, cause: outage, certainty: 0.5, because: confirmed,
     when: {all: [{fact: status, eq: failed}, {fact: confirm, eq: true}]}}
  - {id: v.unlinked, step: s1, cause: unlinked, because: not linked,
     when: {all: [{fact: linked, eq: false}, {fact: code, eq: 401}]}}
  - {id: v.unlinked-token, step: s1, cause: unlinked, certainty: 0.9, because: token,
     when: {fact: token, eq: false}}
  - {id: v.unlinked-not, step: s1, cause: unlinked, effect: rules_out, because: linked,
     when: {fact: portal.linked, eq: true}}
  - {id: v.throttled, step: s2, cause: throttled, because: quota,
     when: {all: [{fact: quota, eq: true}, {fact: region, known: true}]}}
  - {id: v.misc-quota, step: s2, cause: misc, because: quota, when: {fact: quota, eq: true}}
  - {id: v.misc-cheap, step: s2, cause: misc, because: cheap, when: {fact: cheap, eq: true}}
  - {id: v.misc-dear, step: s2, cause: misc, because: dear, when: {fact: dear, eq: true}}
"""
NOW = "2024-05-15T12:00:00Z"


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root: Path = tmp_path_factory.mktemp("value")
    for folder, text in (("facts", FACTS), ("rules", RULES), ("playbooks", PLAYBOOK)):
        (root / folder).mkdir()
        (root / folder / "value.yaml").write_text(text)
    return load_kb([root], bundled=False)


def asked(kb: KnowledgeBase, facts: dict[str, object], unknown: tuple[str, ...] = ()) -> list[str]:
    result = diagnose(facts, pack="value", kb=kb, now=NOW, unknown=unknown)
    return [q.fact for q in result.questions]


def test_a_question_that_would_only_confirm_the_first_cause_is_not_listed(kb) -> None:
    result = diagnose({"status": "failed"}, pack="value", kb=kb, now=NOW)
    assert result.cause_ids == ["outage"]
    questions = [q.fact for q in result.questions]
    assert "confirm" not in questions  # it could only make the first cause surer
    assert {"linked", "code", "quota", "region"} <= set(questions)


def test_a_supporting_question_for_a_held_cause_that_is_not_first_is_listed(kb) -> None:
    # unlinked (certainty 1.0) comes first; outage (0.8) is held but could still rise to first
    # only by certainty, so "confirm" is worth asking while outage is not first.
    result = diagnose({"status": "failed", "linked": False, "code": 401}, pack="value", kb=kb,
                      now=NOW)
    assert result.cause_ids == ["unlinked", "outage"]
    assert "confirm" in [q.fact for q in result.questions]


def test_ruling_out_a_cause_not_held_is_not_asked_for_but_a_held_one_is(kb) -> None:
    # portal.linked can only rule "unlinked" out: worth nothing while unlinked is not held.
    assert "portal.linked" not in asked(kb, {})
    held = diagnose({"token": False}, pack="value", kb=kb, now=NOW)
    assert held.cause_ids == ["unlinked"]
    question = next(q for q in held.questions if q.fact == "portal.linked")
    assert question.causes == ["unlinked"]  # "true" would take the cause held out of the set


def test_a_rule_waiting_on_an_unanswerable_fact_asks_nothing_more(kb) -> None:
    assert "region" in asked(kb, {})
    # The user cannot say whether the quota was reached: the throttled rule can never fire,
    # so its other fact is not asked any more.
    assert "region" not in asked(kb, {}, unknown=("quota",))
    # Not knowing a fact a known: false test reads is no obstacle.


def test_questions_come_by_value_then_step_then_cost(kb) -> None:
    order = asked(kb, {})
    # quota bears on two live causes (throttled, misc): first, though its step is s2.
    assert order[0] == "quota"
    # Then one cause each: step s1 before s2, then the cheaper, then by id.
    assert order.index("linked") < order.index("region")
    assert order.index("cheap") < order.index("dear")
    first_step = {"code", "confirm", "linked", "status", "token"}
    assert order[1:] == sorted(order[1:], key=lambda f: (
        f not in first_step, 5 if f == "dear" else 1, f))


def test_the_interview_asks_the_first_listed_question(kb) -> None:
    iv = Interview.start(store=MemoryStore(), pack="value", now=NOW, kb=kb)
    for fact, value in (("status", "ok"), ("linked", False)):
        question = iv.next_question()
        assert question is not None
        assert question == iv.diagnosis.questions[0]
        iv.answer(fact, value)
    assert iv.next_question() == diagnose(
        {"status": "ok", "linked": False}, pack="value", kb=kb, now=NOW).questions[0]


@pytest.mark.parametrize(
    ("program", "message", "frozen", "expected"),
    [
        (("known", "f0", True, ("a",)), {}, (), (True, True)),  # open: either way
        (("known", "f0", True, ("a",)), {}, ("a",), (False, True)),  # stays unknown
        (("known", "f0", False, ("a",)), {}, ("a",), (True, False)),
        (("known", "f0", False, ("a",)), {"f0": 1}, (), (False, True)),
        (("test", "f0", "in", (1, 2), ("a",)), {"f0": 2}, (), (True, False)),
        (("test", "f0", "not_in", (1, 2), ("a",)), {"f0": 2}, (), (False, True)),
        (("test", "f0", "in", (1,), ("a",)), {}, ("a",), (False, False)),  # never decided
        (("test", "f0", "gt", 10, ("a",)), {"f0": 11}, (), (True, False)),
        (("test", "f0", "lt_field", "f1", ("a", "b")), {"f0": 1, "f1": 2}, (), (True, False)),
        (("test", "f0", "eq_field", "f1", ("a", "b")), {"f0": 1}, ("b",), (False, False)),
        (("not", ("test", "f0", "in", (1,), ("a",))), {"f0": 1}, (), (False, True)),
        (("all", (("test", "f0", "in", (1,), ("a",)), ("known", "f1", True, ("b",)))),
         {"f0": 1}, (), (True, True)),
        (("all", (("test", "f0", "in", (1,), ("a",)), ("known", "f1", True, ("b",)))),
         {"f0": 2}, (), (False, True)),
        (("any", (("test", "f0", "in", (1,), ("a",)), ("known", "f1", True, ("b",)))),
         {"f0": 2}, ("b",), (False, True)),
        (("open",), {}, ("a",), (True, True)),
    ],
)
def test_a_program_says_whether_its_condition_can_still_be_true_or_false(
    program: tuple[object, ...], message: dict[str, object], frozen: tuple[str, ...],
    expected: tuple[bool, bool],
) -> None:
    assert truth(program, message, frozen) == expected
    assert compile_program(program)(message, frozen) == expected


def test_every_compiled_program_answers_as_the_interpreted_one(bundled_kb) -> None:
    # On every example's case message, reading the facts as open and as staying unknown.
    from pathlib import Path

    from syncdoctor.casefile import read_case
    from syncdoctor.diagnosis.case import clock
    from syncdoctor.diagnosis.pipeline import run_case

    checked = 0
    examples = Path(__file__).resolve().parent.parent / "examples"
    for case in (read_case(path) for path in sorted(examples.glob("*/*.yaml"))):
        if case.pack is None:
            continue
        pack = bundled_kb.pack(case.pack)
        run = run_case(pack, case.facts, kb=bundled_kb, now=clock(case.now), trace=True)
        for message in ({}, run.messages[0]):
            for program, check, read in zip(
                pack.compiled.refutations.programs, pack.prepared.refuter.checks, pack.compiled.refutations.facts,
                strict=True,
            ):
                for frozen in ((), read):
                    assert check(message, frozen) == truth(program, message, frozen), program
                    checked += 1
    assert checked > 1000


def test_no_durable_rule_stands_for_a_refutation_any_more(bundled_kb) -> None:
    # The "definitely false" tests are plain programs now; the network holds rules only.
    for pack in bundled_kb.packs.values():
        kinds = {pack.compiled.entries[name].kind for rs in pack.compiled.rulesets for name in rs}
        assert kinds == {"rule", "sentinel"}, pack.id
        refutations = pack.compiled.refutations
        assert refutations.programs, pack.id
        for fact, mask in refutations.by_fact.items():  # each bit names a program reading it
            readers = {i for i in range(len(refutations.programs)) if mask >> i & 1}
            assert readers == {i for i, read in enumerate(refutations.facts) if fact in read}
