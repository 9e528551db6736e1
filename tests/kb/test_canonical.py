"""The KB's canonical text, conditions written out directly, is the text json.dumps writes."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from syncdoctor.kb.canonical import condition_text, rule_text
from syncdoctor.kb.condition import Condition
from syncdoctor.kb.loader import load_sources

REPO = Path(__file__).resolve().parents[2]


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _version_as_it_was(packs: Any) -> str:
    """The content version as the loader computed it before conditions were written out."""
    canonical = {
        pack_id: {
            "playbook": pack.playbook.model_dump(mode="json", by_alias=True),
            "facts": {
                k: v.model_dump(mode="json", exclude=None if v.secret else {"secret"})
                for k, v in pack.facts.items()
            },
            "rules": [r.model_dump(mode="json", by_alias=True) for r in pack.rules],
            "extractors": [e.model_dump(mode="json", by_alias=True) for e in pack.extractors],
        }
        for pack_id, pack in packs.items()
    }
    return hashlib.sha256(_dumps(canonical).encode()).hexdigest()[:12]


def test_the_bundled_kb_keeps_its_version_and_every_rule_its_text() -> None:
    source = load_sources()
    assert source.version == _version_as_it_was(source.packs)
    for pack in source.packs.values():
        for rule in pack.rules:
            assert rule_text(rule) == _dumps(rule.model_dump(mode="json", by_alias=True))


def test_a_synthetic_kb_keeps_its_version(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from diagnose import synthetic_kb
    finally:
        sys.path.remove(str(REPO / "bench"))
    source = load_sources([synthetic_kb(tmp_path / "kb", 300)], bundled=False)
    assert source.version == _version_as_it_was(source.packs)


@pytest.mark.parametrize("written", [
    {"fact": "a", "eq": True}, {"fact": "a", "eq": 1}, {"fact": "a", "eq": 1.0},
    {"fact": "a", "eq": "ünïcode \"quoted\" \\ \n"}, {"fact": "a", "lt": float("inf")},
    {"fact": "a", "in": [1, "x", False, 2.5]}, {"fact": "a", "known": False},
    {"fact": "a", "close_to": "b", "tolerance": 0.5},
    {"fact": "a", "close_to": "b", "tolerance": "tol"},
    {"fact": "a", "ratio_to": "b", "at_least": 1}, {"not": {"fact": "a", "eq": "x"}},
    {"fact": "a", "eq": "x", "or_unknown": True},
    {"fact": "r", "any_record": {"all": [{"field": "f", "ge": 3}, {"field": "g", "eq": "x"}]}},
    {"any": [{"all": [{"fact": "a", "eq": 1}]}, {"fact": "b", "older_than": "1d"}]},
])
def test_a_condition_s_text_is_its_dump_s(written: dict[str, Any]) -> None:
    condition = Condition.model_validate(written)
    assert condition_text(condition) == _dumps(condition.model_dump(mode="json", by_alias=True))
