"""Every bundled example case diagnoses as it says it should, and every cause is covered."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncdoctor import diagnose
from syncdoctor.casefile import CaseFile, read_case

from support import REPO

EXAMPLES = sorted((REPO / "examples").glob("*/*.yaml"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def check_expectations(case: CaseFile, kb: object) -> list[str]:
    """What the diagnosis got wrong against the case's expectations; empty when all hold."""
    assert case.expect is not None
    result = diagnose(case.facts, pack=case.pack, kb=kb, now=case.now)  # type: ignore[arg-type]
    expect = case.expect
    wrong: list[str] = []
    found = {c.id: c for c in result.causes}
    for cause in expect.causes:
        if cause not in found:
            wrong.append(f"expected cause {cause}; got {sorted(found)}")
    for cause in expect.absent:
        if cause in found:
            wrong.append(f"cause {cause} must not hold")
    ruled = {r.id for r in result.ruled_out}
    for cause in expect.ruled_out:
        if cause not in ruled:
            wrong.append(f"expected {cause} ruled out; got {sorted(ruled)}")
    for cause, least in expect.min_certainty.items():
        if cause in found and found[cause].certainty < least:
            wrong.append(f"{cause} certainty {found[cause].certainty} < {least}")
    asked = [q.fact for q in result.questions]
    for fact in expect.questions:
        if fact not in asked:
            wrong.append(f"expected question {fact}; got {asked}")
    for fact in expect.not_asked:
        if fact in asked:
            wrong.append(f"question {fact} must not be asked")
    if expect.first_question is not None and asked[:1] != [expect.first_question]:
        wrong.append(f"expected first question {expect.first_question}; got {asked[:1]}")
    for cause, words in expect.remediation_contains.items():
        text = (found[cause].remediation or "") if cause in found else ""
        for word in words:
            if word not in text:
                wrong.append(f"remediation of {cause} lacks {word!r}")
    return wrong


@pytest.mark.parametrize("path", EXAMPLES, ids=_id)
def test_example_meets_its_expectations(path: Path, bundled_kb) -> None:
    case = read_case(path)
    assert case.expect is not None, "every example states what it expects"
    assert case.now is not None, "examples fix their clock, so their output never changes"
    assert check_expectations(case, bundled_kb) == []


def test_every_cause_has_an_example_that_fires_it_and_one_that_keeps_it_silent(
    bundled_kb,
) -> None:
    fired: set[tuple[str, str]] = set()
    silent: set[tuple[str, str]] = set()
    for path in EXAMPLES:
        case = read_case(path)
        result = diagnose(case.facts, pack=case.pack, kb=bundled_kb, now=case.now)
        assert result.pack is not None
        found = set(result.cause_ids)
        for cause in bundled_kb.packs[result.pack].playbook.causes:
            (fired if cause in found else silent).add((result.pack, cause))
    every = {(p, c) for p, pack in bundled_kb.packs.items() for c in pack.playbook.causes}
    assert every - fired == set(), "causes no example fires"
    assert every - silent == set(), "causes no example keeps silent"
