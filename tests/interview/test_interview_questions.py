"""The interview asks only what can still change the outcome, over the bundled examples.

Each example is walked from no facts: every question is answered from the example's facts, or
skipped when the example lacks the fact. At every step the question asked must be unknown so
far, never skipped, and read by a rule that can still fire (neither fired nor with a condition
shown false) for a cause not ruled out, directly, through a rule deriving what such a rule
reads, or as the error text whose patterns set such a fact.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from syncdoctor import Interview, MemoryStore
from syncdoctor.casefile import read_case
from syncdoctor.diagnosis.pipeline import run_case

from support import NOW, REPO

EXAMPLES = sorted((REPO / "examples").glob("*/*.yaml"))[::4]
"""Every fourth example (every pack): each walk re-runs the pipeline twice per question."""


def could_still_matter(iv: Interview, fact: str, causes: list[str]) -> bool:
    pack = iv.kb.packs[str(iv.pack)]
    skipped = [a.fact for a in iv.answers if a.unknown and a.fact not in iv.facts]
    run = run_case(pack, iv.facts, kb=iv.kb, now=iv.now, trace=True, unknown=skipped)
    assert run.firings is not None
    settled = run.firings.blocked | run.firings.rules.keys()
    ruled_out = {r.id for r in run.diagnosis.ruled_out}
    index = pack.index
    live = [rule for rule, cause in index.cause_rules
            if rule not in settled and cause not in ruled_out and cause in causes]
    readers = set(live)
    for rule in live:  # the rules deriving what a live rule reads, transitively
        stack = [rule]
        while stack:
            for derived in index.derived_read[stack.pop()]:
                for deriver in index.derivers.get(derived, ()):
                    if deriver not in settled and deriver not in readers:
                        readers.add(deriver)
                        stack.append(deriver)
    read = {f for rule in readers for f in index.asked_facts[rule]}
    return fact in read or any(t in read for t in index.extracted_from.get(fact, ()))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_question_is_new_and_can_still_change_the_outcome(path: Path, bundled_kb) -> None:
    case = read_case(path)
    iv = Interview.start(store=MemoryStore(), pack=case.pack, now=case.now or NOW,
                         kb=bundled_kb, facts=None if case.pack else case.facts)
    asked: list[str] = []
    while (question := iv.next_question()) is not None:
        assert question.fact not in iv.facts, "a known fact"
        assert question.fact not in asked, "asked twice (a skipped fact is never asked again)"
        assert question.causes, "a question bears on some cause"
        assert could_still_matter(iv, question.fact, question.causes), question.fact
        asked.append(question.fact)
        value = case.facts.get(question.fact)
        if value is None:
            iv.skip(question.fact)
        else:
            iv.answer(question.fact, value, source="case")
    assert iv.finished
