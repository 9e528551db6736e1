"""One run lists every problem: a file that fails its schema does not hide the others' errors.

The failed file is left out of the cross-checks; what its absence alone would cause (its facts
or causes unknown, a pack without rules) is not reported, and everything else is, in file and
line order.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from syncdoctor import KnowledgeBaseError, load_kb

from support import FIXTURES


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURES / "demo_kb", root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _codes(kb: Path) -> list[tuple[str, str]]:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([kb], bundled=False)
    problems = caught.value.problems
    order = [(p.file, p.line, p.column) for p in problems]
    assert order == sorted(order)
    return [(Path(p.file).parent.name, p.code) for p in problems]


def test_a_broken_facts_file_does_not_hide_a_misspelt_cause(kb: Path) -> None:
    _edit(kb / "facts" / "demo.yaml", "{type: text, ask: What error?}",
          "{type: string, ask: What error?}")
    _edit(kb / "rules" / "demo.yaml", "cause: pending", "cause: pendnig")
    # Not one KB104 for the rules' facts, although the facts file was left out.
    assert _codes(kb) == [("facts", "KB101"), ("rules", "KB105")]


def test_a_broken_rules_file_does_not_hide_a_playbook_template_error(kb: Path) -> None:
    _edit(kb / "rules" / "demo.yaml", "certainty: 0.9", "certainty: high")
    _edit(kb / "playbooks" / "demo.yaml", "remediation: Wait.",
          "remediation: '{{ facts[\"sync.stauts\"] }}'")
    # And no KB110 "pack has no rules".
    assert _codes(kb) == [("playbooks", "KB108"), ("rules", "KB101")]


def test_a_broken_playbook_does_not_hide_an_unknown_fact_in_the_rules(kb: Path) -> None:
    _edit(kb / "playbooks" / "demo.yaml", "title: Demo", "title: [Demo, Two]")
    _edit(kb / "rules" / "demo.yaml", "when: {fact: sync.status, eq: pending}",
          "when: {fact: sync.stauts, eq: pending}")
    # No KB105 or KB106 for the rules' causes and steps, which the playbook would declare.
    assert _codes(kb) == [("playbooks", "KB101"), ("rules", "KB104")]


def test_a_file_that_does_not_parse_leaves_the_others_checked(kb: Path) -> None:
    (kb / "facts" / "demo.yaml").write_text("pack: demo\nfacts: {a: [\n")
    _edit(kb / "rules" / "demo.yaml", "step: s2", "step: s3")
    assert _codes(kb) == [("facts", "KB001"), ("rules", "KB106")]


def test_each_pack_of_several_reports_its_own(kb: Path) -> None:
    for section in ("facts", "rules", "playbooks"):
        text = (kb / section / "demo.yaml").read_text()
        text = text.replace("pack: demo", "pack: other").replace("id: demo\n", "id: other\n")
        (kb / section / "other.yaml").write_text(text.replace("demo.", "other."))
    _edit(kb / "rules" / "demo.yaml", "certainty: 0.9", "certainty: high")
    _edit(kb / "rules" / "other.yaml", "cause: pending", "cause: pendnig")
    assert _codes(kb) == [("rules", "KB101"), ("rules", "KB105")]


def test_a_real_typo_still_shows_beside_a_broken_facts_file(kb: Path) -> None:
    # The broken file still says which facts it declares: a rule naming one of them is not
    # reported, a rule naming none of them is a typo.
    _edit(kb / "facts" / "demo.yaml", "{type: text, ask: What error?}",
          "{type: string, ask: What error?}")
    _edit(kb / "rules" / "demo.yaml", "when: {fact: sync.status, eq: pending}",
          "when: {fact: sync.stauts, eq: pending}")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([kb], bundled=False)
    headlines = [p.headline() for p in caught.value.problems]
    assert [h.split(" ")[1] for h in headlines] == ["KB101", "KB104"], headlines
    assert "unknown fact 'sync.stauts'" in headlines[1]


def test_a_real_typo_of_a_cause_still_shows_beside_a_broken_playbook(kb: Path) -> None:
    _edit(kb / "playbooks" / "demo.yaml", "title: Demo", "title: [Demo, Two]")
    _edit(kb / "rules" / "demo.yaml", "cause: pending", "cause: pendnig")
    _edit(kb / "rules" / "demo.yaml", "step: s2", "step: s3")
    assert _codes(kb) == [("playbooks", "KB101"), ("rules", "KB105"), ("rules", "KB106")]
