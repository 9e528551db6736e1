"""Templates made only of text and ``{{ facts['id'] }}``: checked without a parse, same result."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncdoctor.errors import Problem
from syncdoctor.kb.checks import Checker
from syncdoctor.kb.problems import Origin
from syncdoctor.kb.spec import FactSpec
from syncdoctor.kb.templates import prepare
from syncdoctor.kb.yamlfile import load_yaml_text

FACTS = {name: FactSpec.model_validate({"type": "text", "ask": f"{name}?"})
         for name in ("sync.status", "sync.error", "err-code")}
CONTEXT = {"facts": {"sync.status": "failed", "sync.error": "HTTP 500", "err-code": "E1"},
           "record": {}, "now": datetime(2024, 5, 1, 12, tzinfo=UTC)}


def _checked(source: str) -> tuple[object, list[Problem]]:
    problems: list[Problem] = []
    located = load_yaml_text("because: x\n", "rules/demo.yaml")
    renderer = Checker(FACTS, problems).template(Origin(located, ()), ("because",), source)
    return renderer, problems


@pytest.mark.parametrize("source", [
    "status {{ facts['sync.status'] }}",
    "{{facts[\"sync.error\"]}} and {{ facts['err-code'] }} (rule 7)",
    "status {{ facts['sync.status'] }}\nerror {{ facts['sync.error'] }}\n",
])
def test_a_quoted_template_waits_for_its_first_render_and_renders_the_same(source: str) -> None:
    renderer, problems = _checked(source)
    issues, parsed = prepare(source, FACTS)
    assert problems == [] and issues == [] and parsed is not None and renderer is not None
    assert renderer._unparsed  # type: ignore[attr-defined]  # the parse did wait
    assert renderer.facts == parsed.facts  # type: ignore[attr-defined]
    assert renderer.render(CONTEXT) == parsed.render(CONTEXT)  # type: ignore[attr-defined]


@pytest.mark.parametrize("source", [
    "status {{ facts['sync.stauts'] }}",  # unknown: reported, with its suggestion
    "status {{ facts['sync.status'] | upper }}",
    "status {{ facts.sync }}",
    "{% if 'sync.status' in facts %}x{% endif %} {{ facts['sync.status'] }}",
    "status {{ facts['sync.status'] }} }",
])
def test_anything_else_is_parsed_and_checked_at_once(source: str) -> None:
    renderer, problems = _checked(source)
    issues, _ = prepare(source, FACTS)
    assert [p.message for p in problems] == [i.message for i in issues]
    if renderer is not None:
        assert not renderer._unparsed  # type: ignore[attr-defined]
