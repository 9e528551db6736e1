"""Causes in the order to fix them: roots before their consequences, then certainty, step, id."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from syncdoctor import KnowledgeBaseError, diagnose, load_kb
from syncdoctor.diagnosis.ranking import rank_causes
from syncdoctor.diagnosis.result import Diagnosis
from syncdoctor.report import render_ticket, ticket_from_case, to_text

from support import FIXTURES


def test_retries_exhausted_never_outranks_the_setup_error_it_follows() -> None:
    result = diagnose(
        {"error.message": '1020 - Terms Code "F48" is not defined in A/R Terms',
         "sales_order.erp_sync_status": "failed"},
        pack="sage300", now="2024-05-01T12:00:00Z",
    )
    ids = [c.id for c in result.causes]
    assert "retries_exhausted" in ids and "terms_missing_in_sage" in ids
    assert ids.index("terms_missing_in_sage") < ids.index("retries_exhausted")
    exhausted = next(c for c in result.causes if c.id == "retries_exhausted")
    root = next(c for c in result.causes if c.id == "terms_missing_in_sage")
    assert exhausted.follows == ["terms_missing_in_sage"]
    assert root.follows == []
    assert root.remediation is not None and "Resync Invoice" in root.remediation
    assert "Then, for what follows from it" in root.remediation


def test_independent_causes_come_by_certainty_then_step() -> None:
    result = diagnose({"app.linked": False, "sync.status": "pending", "app.realtime_sync": False,
                       "app.shares_data": False},
                      pack="impac", now="2024-05-01T12:00:00Z")
    certainties = [c.certainty for c in result.causes]
    assert certainties == sorted(certainties, reverse=True)
    assert [c.id for c in result.causes][:2] == ["app_not_linked", "data_not_shared"]


def test_follows_must_name_another_cause(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURES / "demo_kb", root)
    book = root / "playbooks" / "demo.yaml"
    book.write_text(book.read_text().replace(
        "pending: {title: Pending, step: s1,", "pending: {title: Pending, step: s1, follows: [stael],"))
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([root], bundled=False)
    (problem,) = [p for p in caught.value.problems if p.code == "KB105"]
    assert "stael" in problem.message and problem.suggestion == "stale"


SAGE_CASE = {"error.message": '1020 - Terms Code "F48" is not defined in A/R Terms',
             "sales_order.erp_sync_status": "failed"}
EXHAUSTED_STEP = "After 5 attempts the scheduler never retries it"


def test_a_consequence_steps_are_shown_once_at_the_end_of_its_root() -> None:
    result = diagnose(SAGE_CASE, pack="sage300", now="2024-05-01T12:00:00Z")
    root, exhausted = result.causes[0], result.causes[1]
    assert exhausted.id == "retries_exhausted"
    assert result.folded_into(exhausted) == root
    assert result.folded_into(root) is None
    assert exhausted.remediation is not None and EXHAUSTED_STEP in exhausted.remediation  # JSON
    text = to_text(result)
    markdown = render_ticket(ticket_from_case(result, SAGE_CASE))
    for report in (text, markdown):
        assert report.count(EXHAUSTED_STEP) == 1, report
    assert f"The steps of cause 1 above ({root.title}) end with this one's." in text
    assert f'The steps of "{root.title}" above end with this one\'s.' in markdown


def _cause(cause_id: str, follows: list[str], remediation: str | None) -> dict[str, object]:
    return {"id": cause_id, "title": cause_id.upper(), "step": "s", "step_title": "S",
            "certainty": 0.5, "evidence": [], "remediation": remediation, "escalation": None,
            "follows": follows}


def test_a_chain_of_consequences_is_folded_whole_into_the_first_root() -> None:
    specs = {"a": SimpleNamespace(follows=[]), "b": SimpleNamespace(follows=["a"]),
             "c": SimpleNamespace(follows=["b"])}
    causes = [_cause("c", [], "Step C."), _cause("b", [], "Step B."), _cause("a", [], "Step A.")]
    ranked = rank_causes(causes, specs, {"s": 0})  # type: ignore[arg-type]
    assert [c["id"] for c in ranked] == ["a", "b", "c"]
    first = str(ranked[0]["remediation"])
    assert first.index("Step A.") < first.index("Step B.") < first.index("Step C.")
    result = Diagnosis.model_validate({
        "pack": "p", "pack_title": "P", "pack_choices": [], "causes": ranked, "ruled_out": [],
        "questions": [], "inferred": {}, "unknown": [], "rules_fired": [], "warnings": [],
        "kb_version": "x", "packs": [], "now": "2024-05-01T12:00:00Z"})
    assert [result.folded_into(c) for c in result.causes] == [None, result.causes[0],
                                                              result.causes[0]]


def test_a_cycle_a_root_listed_later_or_a_root_without_steps_folds_nothing() -> None:
    causes = [_cause("a", ["b"], "Step A."), _cause("b", ["a"], "Step B."),
              _cause("c", ["d"], "Step C."), _cause("d", [], None), _cause("e", ["d"], "E.")]
    result = Diagnosis.model_validate({
        "pack": "p", "pack_title": "P", "pack_choices": [], "causes": causes, "ruled_out": [],
        "questions": [], "inferred": {}, "unknown": [], "rules_fired": [], "warnings": [],
        "kb_version": "x", "packs": [], "now": "2024-05-01T12:00:00Z"})
    assert result.folded_into(result.causes[0]) is None  # its "root" is listed after it
    assert result.folded_into(result.causes[1]) == result.causes[0]
    assert result.folded_into(result.causes[2]) is None  # its root is listed after it
    assert result.folded_into(result.causes[4]) is None  # its root could not render
    assert "Step C." in to_text(result) and "E." in to_text(result)
