"""Benchmark: how many questions the interview asks, against a linear walk of the playbook.

Usage: python bench/interview.py [--json]

For every test case of the bundled knowledge base (the tests beside the rules, and examples/),
two walks start from no facts (the case's pack and clock only) and answer each question from the
case's facts, or "unknown" when the case lacks the fact:

- questions_asked: ``Interview.next_question()`` until the case's expected cause is first in the
  Diagnosis (for a case expecting no cause: until no question is left);
- questions_linear: every askable fact of the pack in playbook step order (a fact's step is the
  earliest step of a rule that reads it, or of a fact its extractors set), until the expected
  cause is first (no cause expected: every fact).

The expected cause is the first cause (the one to fix first) of the Diagnosis of the case's full
facts that the case expects. Printed per pack and overall, with the ratio asked / linear (goal:
below 1 in every pack, at most 0.6 overall) and the cases a walk never brought to their cause.

Also per pack and overall: questions_listed_mean and questions_listed_max, the questions the
Diagnosis of a case's full facts still lists (what an agent or a bot is left to consider once
everything the case knows is given; only questions whose answer could change the outcome).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from syncdoctor import Diagnosis, Interview, MemoryStore, diagnose
from syncdoctor.authoring.testcheck import find_test_files, load_test_file
from syncdoctor.casefile import read_case
from syncdoctor.engine.knowledge import KnowledgeBase, Pack, default_kb

REPO = Path(__file__).resolve().parent.parent
FIXED_CLOCK = "2024-05-01T12:00:00Z"
"""The clock of an example that states none (its ages then do not depend on the day run)."""


@dataclass(frozen=True)
class Case:
    name: str
    pack: str
    now: datetime | str
    facts: Mapping[str, object]
    expected: tuple[str, ...]


def bundled_cases(kb: KnowledgeBase) -> list[Case]:
    cases: list[Case] = []
    for path in find_test_files(kb):
        test_file = load_test_file(path)
        for test in test_file.cases:
            cases.append(Case(f"{path.name}: {test.name}", test_file.pack, test.now, test.facts,
                              tuple(test.expect.causes)))
    for path in sorted((REPO / "examples").glob("*/*.yaml")):
        case = read_case(path)
        expect = case.expect.causes if case.expect else []
        now = case.now or FIXED_CLOCK
        pack = case.pack or diagnose(case.facts, kb=kb, now=now).pack
        assert pack is not None, f"{path}: its facts choose no pack"
        cases.append(Case(str(path.relative_to(REPO)), pack, now, case.facts, tuple(expect)))
    return cases


def full_diagnosis(case: Case, kb: KnowledgeBase) -> Diagnosis:
    return diagnose(case.facts, pack=case.pack, kb=kb, now=case.now)


def target_cause(full: Diagnosis, case: Case) -> str | None:
    return next((c for c in full.cause_ids if c in case.expected), None)


def reached(diagnosis: Diagnosis, target: str | None) -> bool:
    return target is not None and diagnosis.cause_ids[:1] == [target]


def interview_walk(case: Case, kb: KnowledgeBase, target: str | None) -> tuple[int, bool]:
    iv = Interview.start(store=MemoryStore(), pack=case.pack, now=case.now, kb=kb)
    asked = 0
    while not reached(iv.diagnosis, target):
        question = iv.next_question()
        if question is None:
            return asked, target is None
        asked += 1
        value = case.facts.get(question.fact)
        if value is None:
            iv.skip(question.fact)
        else:
            iv.answer(question.fact, value, source="case")
    return asked, True


def linear_order(pack: Pack) -> list[str]:
    index = pack.index
    steps: dict[str, int] = {}
    for rule, facts in enumerate(index.asked_facts):
        for fact in facts:
            steps[fact] = min(steps.get(fact, rule_step := index.rule_steps[rule]), rule_step)
    for source, targets in index.extracted_from.items():
        found = [steps[t] for t in targets if t in steps]
        if found:
            steps[source] = min(steps.get(source, min(found)), min(found))
    last = len(pack.playbook.steps)
    catalogue = [f for f, spec in pack.facts.items() if not spec.derived]
    return sorted(catalogue, key=lambda f: (steps.get(f, last), catalogue.index(f)))


def linear_walk(case: Case, kb: KnowledgeBase, target: str | None) -> tuple[int, bool]:
    facts: dict[str, object] = {}
    unknown: list[str] = []
    diagnosis = diagnose(facts, pack=case.pack, kb=kb, now=case.now)
    asked = 0
    for fact in linear_order(kb.packs[case.pack]):
        if reached(diagnosis, target):
            return asked, True
        asked += 1
        if case.facts.get(fact) is None:
            unknown.append(fact)
        else:
            facts[fact] = case.facts[fact]
        diagnosis = diagnose(facts, pack=case.pack, kb=kb, now=case.now, unknown=unknown)
    return asked, reached(diagnosis, target) or target is None


def measure() -> dict[str, object]:
    kb = default_kb()
    packs: dict[str, dict[str, object]] = {}
    total_asked = total_linear = 0
    listed: dict[str, list[int]] = {}
    for case in bundled_cases(kb):
        full = full_diagnosis(case, kb)
        listed.setdefault(case.pack, []).append(len(full.questions))
        target = target_cause(full, case)
        asked, asked_ok = interview_walk(case, kb, target)
        linear, linear_ok = linear_walk(case, kb, target)
        row = packs.setdefault(case.pack, {"cases": 0, "questions_asked": 0,
                                           "questions_linear": 0, "not_reached": []})
        row["cases"] = int(str(row["cases"])) + 1
        row["questions_asked"] = int(str(row["questions_asked"])) + asked
        row["questions_linear"] = int(str(row["questions_linear"])) + linear
        if not asked_ok:
            row["not_reached"].append(f"interview: {case.name}")  # type: ignore[attr-defined]
        if not linear_ok:
            row["not_reached"].append(f"linear: {case.name}")  # type: ignore[attr-defined]
        total_asked += asked
        total_linear += linear
    for pack_id, row in packs.items():
        row["ratio"] = round(int(str(row["questions_asked"]))
                             / max(1, int(str(row["questions_linear"]))), 3)
        row["questions_listed_mean"] = round(sum(listed[pack_id]) / len(listed[pack_id]), 2)
        row["questions_listed_max"] = max(listed[pack_id])
    ratio = round(total_asked / max(1, total_linear), 3)
    every = [count for counts in listed.values() for count in counts]
    return {
        "questions_listed_mean": round(sum(every) / max(1, len(every)), 2),
        "questions_listed_max": max(every, default=0),
        "packs": dict(sorted(packs.items())),
        "questions_asked": total_asked,
        "questions_linear": total_linear,
        "ratio": ratio,
        "goal_met": ratio <= 0.6 and all(
            int(str(r["questions_asked"])) < int(str(r["questions_linear"]))
            for r in packs.values()
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    arguments = parser.parse_args()
    result = measure()
    if arguments.json:
        print(json.dumps(result, sort_keys=True))
    else:
        for pack, row in result["packs"].items():  # type: ignore[attr-defined]
            print(f"{pack:<18} cases {row['cases']:>3}  asked {row['questions_asked']:>4}  "
                  f"linear {row['questions_linear']:>4}  ratio {row['ratio']:.3f}  "
                  f"listed mean {row['questions_listed_mean']:.2f} "
                  f"max {row['questions_listed_max']}")
            for missed in row["not_reached"]:
                print(f"    not reached: {missed}")
        print(f"overall: asked {result['questions_asked']}, linear {result['questions_linear']}, "
              f"ratio {result['ratio']:.3f}, goal met: {result['goal_met']}; listed mean "
              f"{result['questions_listed_mean']:.2f}, max {result['questions_listed_max']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
