"""The Diagnosis JSON of every bundled example, pinned byte for byte.

A refactor must not change a byte of what callers receive. When a change is meant to alter the
output, regenerate the pinned files and review the diff like any other change:

    SYNCDOCTOR_UPDATE_PINNED=1 .venv/bin/pytest tests/test_pinned.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syncdoctor import diagnose
from syncdoctor.casefile import read_case

from support import REPO

EXAMPLES = sorted((REPO / "examples").glob("*/*.yaml"))
PINNED = Path(__file__).parent / "pinned"
UPDATE = os.environ.get("SYNCDOCTOR_UPDATE_PINNED") == "1"


def _pinned_path(example: Path) -> Path:
    return PINNED / example.parent.name / f"{example.stem}.json"


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", EXAMPLES, ids=_id)
def test_example_diagnosis_is_byte_identical_to_its_pinned_json(path: Path, bundled_kb) -> None:
    case = read_case(path)
    result = diagnose(case.facts, pack=case.pack, kb=bundled_kb, now=case.now)
    text = result.model_dump_json(indent=2) + "\n"
    pinned = _pinned_path(path)
    if UPDATE:
        pinned.parent.mkdir(parents=True, exist_ok=True)
        pinned.write_text(text, encoding="utf-8", newline="\n")
    assert pinned.is_file(), f"{pinned} is missing: run with SYNCDOCTOR_UPDATE_PINNED=1"
    assert pinned.read_text(encoding="utf-8") == text


def test_every_pinned_file_belongs_to_an_example() -> None:
    expected = {_pinned_path(path) for path in EXAMPLES}
    stale = sorted(str(p) for p in PINNED.glob("*/*.json") if p not in expected)
    assert stale == [], "pinned files with no example: delete them"
