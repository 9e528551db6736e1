"""A template's unknown fact is pointed at where it is written, not at the key's column."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncdoctor.authoring.scaffold import scaffold
from syncdoctor.engine.knowledge import load_kb
from syncdoctor.errors import KnowledgeBaseError


def test_the_caret_is_under_the_misspelt_fact(tmp_path: Path) -> None:
    scaffold("caret_pk", tmp_path, None)
    rules = tmp_path / "rules" / "caret_pk.yaml"
    text = rules.read_text(encoding="utf-8")
    assert "because: A failed run" in text
    rules.write_text(text.replace("because: A failed run",
                                  'because: The status {{ facts["sync.stauts"] }} - a failed run', 1),
                     encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_kb([tmp_path], bundled=False)
    problem = caught.value.problems[0]
    assert problem.code == "KB108" and problem.suggestion == "sync.status"
    assert problem.source_line is not None
    assert problem.source_line[problem.column - 1:].startswith("sync.stauts")
