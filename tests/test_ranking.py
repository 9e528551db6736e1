"""Causes in the order to fix them: roots before their consequences, then certainty, step, id."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from syncdoctor import KnowledgeBaseError, diagnose, load_kb

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
