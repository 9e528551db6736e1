"""Every bundled example case diagnoses as it says it should, and every cause is covered."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncdoctor import diagnose
from syncdoctor.authoring.testids import expectation_ids, strangers
from syncdoctor.authoring.testing import check_expectations
from syncdoctor.casefile import read_case

from support import REPO

EXAMPLES = sorted((REPO / "examples").glob("*/*.yaml"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", EXAMPLES, ids=_id)
def test_example_meets_its_expectations(path: Path, bundled_kb) -> None:
    case = read_case(path)
    assert case.expect is not None, "every example states what it expects"
    assert case.now is not None, "examples fix their clock, so their output never changes"
    result = diagnose(case.facts, pack=case.pack, kb=bundled_kb, now=case.now)
    assert check_expectations(case.expect, result, path.parent) == ([], None)


@pytest.mark.parametrize("path", EXAMPLES, ids=_id)
def test_example_expectations_name_real_ids(path: Path, bundled_kb) -> None:
    # A misspelt cause under absent: (or a fact under not_asked:) would pass for ever.
    case = read_case(path)
    assert case.expect is not None and case._located is not None
    pack = bundled_kb.packs[case.pack or diagnose(case.facts, kb=bundled_kb, now=case.now).pack]
    found = expectation_ids(case.expect, ("expect",))
    assert [p.headline() for p in strangers(found, case._located, pack)] == []


def test_a_misspelt_example_id_is_caught(tmp_path: Path, bundled_kb) -> None:
    source = next(p for p in EXAMPLES if "absent: [" in p.read_text())
    example = tmp_path / "case.yaml"
    example.write_text(source.read_text().replace("absent: [", "absent: [sync_faillure, ", 1))
    case = read_case(example)
    assert case.expect is not None and case._located is not None
    pack = bundled_kb.packs[case.pack or diagnose(case.facts, kb=bundled_kb, now=case.now).pack]
    problems = strangers(expectation_ids(case.expect, ("expect",)), case._located, pack)
    assert [p.code for p in problems] == ["KB105"]
    assert "unknown cause 'sync_faillure'" in problems[0].message


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
