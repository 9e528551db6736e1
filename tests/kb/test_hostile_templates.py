"""Templates written by an untrusted KB author: every payload stops at load or at render.

The payloads live in fixtures/hostile_templates.yaml (bench/templates.py measures the same ones
for time and memory). Stopping at render means a SecurityError from the sandbox, which a
diagnosis reports as a "could not render" warning; never a hang, a MemoryError or a crash.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from jinja2.exceptions import SecurityError

from syncdoctor import KnowledgeBaseError, diagnose, load_kb
from syncdoctor.authoring.lint import lint
from syncdoctor.kb.template_checks import bound_risks
from syncdoctor.kb.template_limits import MAX_STEPS, TemplateLimitError, render_budget
from syncdoctor.kb.templates import ENVIRONMENT, prepare

from support import FIXTURES, NOW

SPEC = yaml.safe_load((FIXTURES / "hostile_templates.yaml").read_text())["payloads"]
PAYLOADS = {
    p["name"]: p["head"] + p.get("body", "") * p.get("times", 1) + p.get("tail", "") for p in SPEC
}
STOPS = {p["name"]: p["stops"] for p in SPEC}
LONG_TEXT = "x" * 100_000
DEMO_FACTS = {"sync.status", "sync.error", "sync.last_at", "app.changed_at", "sync.stale",
              "err.code", "txn"}


def _context(**facts: Any) -> dict[str, Any]:
    return {"facts": {"sync.error": LONG_TEXT, **facts}, "record": {},
            "now": datetime(2024, 5, 1, 12, tzinfo=UTC)}


def _render(template: str, **facts: Any) -> str:
    issues, renderer = prepare(template, DEMO_FACTS)
    assert renderer is not None, [issue.message for issue in issues]
    return renderer.render(_context(**facts))


def test_every_payload_class_of_the_issue_is_covered() -> None:
    assert {p["class"] for p in SPEC} >= {
        "size-argument", "format", "integer", "loop", "doubling", "output", "allow-list",
        "determinism",
    }


@pytest.mark.parametrize("name", [n for n in PAYLOADS if STOPS[n] == "load"])
def test_payload_is_refused_when_the_kb_loads(name: str) -> None:
    issues, renderer = prepare(PAYLOADS[name], DEMO_FACTS)
    assert renderer is None
    assert issues and all(issue.line >= 1 for issue in issues)


@pytest.mark.parametrize("name", [n for n in PAYLOADS if STOPS[n] == "render"])
def test_payload_is_stopped_by_the_sandbox_when_it_renders(name: str) -> None:
    issues, renderer = prepare(PAYLOADS[name], DEMO_FACTS)
    assert renderer is not None, [issue.message for issue in issues]
    with pytest.raises(SecurityError):
        renderer.render(_context())


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(FIXTURES / "demo_kb", target)
    return target


def _with_remediation(kb_dir: Path, template: str) -> None:
    playbook = kb_dir / "playbooks" / "demo.yaml"
    text = playbook.read_text()
    assert "remediation: Wait." in text
    playbook.write_text(text.replace("remediation: Wait.", f"remediation: {json.dumps(template)}"))


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_payload_in_a_kb_is_a_load_error_or_a_warning(kb_copy: Path, name: str) -> None:
    _with_remediation(kb_copy, PAYLOADS[name])
    if STOPS[name] == "load":
        with pytest.raises(KnowledgeBaseError) as caught:
            load_kb([kb_copy], bundled=False)
        assert caught.value.problems[0].code == "KB108"
        return
    kb = load_kb([kb_copy], bundled=False)
    result = diagnose({"sync.status": "pending", "sync.error": LONG_TEXT}, kb=kb, now=NOW)
    assert result.causes[0].remediation is None
    assert any(w.startswith("cause pending: remediation could not render") for w in result.warnings)


def test_a_bounded_failure_says_which_bound() -> None:
    with pytest.raises(TemplateLimitError, match=f"budget of {MAX_STEPS:,} steps"):
        _render(PAYLOADS["nested-loops-10k"])
    with pytest.raises(TemplateLimitError, match="integers past"):
        _render(PAYLOADS["square-thirty-times"])
    with pytest.raises(TemplateLimitError, match="text longer than"):
        _render(PAYLOADS["tilde-doubling"])
    with pytest.raises(SecurityError, match="'format' of 'str' object is unsafe"):
        _render(PAYLOADS["format-runtime-key"])


# What a real template does must keep working inside the bounds.


def test_a_loop_over_ten_thousand_records_renders() -> None:
    records = [{"id": f"T{i}", "ui": i, "api": i + 1} for i in range(10_000)]
    text = _render("{% for r in facts['txn'] %}{{ r['id'] }} {{ r.ui + 1 }}; {% endfor %}",
                   txn=records)
    assert text.count(";") == 10_000 and text.startswith("T0 1; T1 2;")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ 'a'.ljust(3, '.') }}|{{ 'ab'.zfill(4) }}|{{ 'a\tb'.expandtabs(2) }}", "a..|00ab|a b"),
        ("{{ ', '.join(['a', 'b']) }} {{ 'a-b'.split('-') | join('+') }}", "a, b a+b"),
        ("{{ 'ab' ~ 1 ~ none }} {{ 'a' + 'b' }} {{ [1] + [2] }} {{ 6 * 7 }}", "ab1None ab [1, 2] 42"),
        ("{{ now.strftime('%Y-%m-%d') }} {{ now.year }} {{ now | dt }}", "2024-05-01 2024 2024-05-01 12:00 UTC"),
        ("{{ [1, 2, 3] | slice(2) | list }} {{ [1, 2, 3] | batch(2) | list }}", "[[1, 2], [3]] [[1, 2], [3]]"),
        ("{{ 2.567 | round(2) }} {{ 'abcdef' | truncate(4, true, '', 0) }}", "2.57 abcd"),
        ("{% set s %}ab{% endset %}{{ s ~ s }} {{ ['a'] | map('upper') | join }}", "abab A"),
        ("{% for a in [[1, [2]]] recursive %}{{ a if a is number else loop(a) }}{% endfor %}", "12"),
    ],
)
def test_ordinary_templates_render_as_before(template: str, expected: str) -> None:
    assert _render(template) == expected


# The allow-lists, and format refused at run time rather than only by the loader.


@pytest.mark.parametrize(
    "template",
    ["{{ 'a'.encode() }}", "{{ 'a'.maketrans('a', 'b') }}", "{{ now.today() }}",
     "{{ now.timestamp() }}", "{% set f = 'x{}' %}{{ f['format'](1) }}",
     "{{ {'a': 1}.copy() }}", "{{ (1).as_integer_ratio() }}"],
)
def test_attributes_off_the_allow_lists_are_refused_at_render(template: str) -> None:
    with pytest.raises(SecurityError):
        _render(template)


def test_format_is_refused_by_the_sandbox_itself() -> None:
    template = ENVIRONMENT.from_string("{{ ('{0}' ~ '')['form' ~ 'at'] }}")
    with pytest.raises(SecurityError, match="format"), render_budget():
        template.render()


def test_templates_render_only_inside_a_budget() -> None:
    with pytest.raises(TemplateLimitError, match="render budget"):
        ENVIRONMENT.from_string("{{ 'a' ~ 'b' }}").render()


def test_random_and_other_unlisted_filters_are_absent_from_the_sandbox() -> None:
    assert "random" not in ENVIRONMENT.filters
    assert {"format", "attr", "pprint", "urlize", "tojson"}.isdisjoint(ENVIRONMENT.filters)
    assert {"dt", "money", "replace", "round", "upper", "capitalize"} <= set(ENVIRONMENT.filters)


# Lint: what can be seen without rendering.


@pytest.mark.parametrize(
    ("name", "check"),
    [("ljust", "L212"), ("zfill", "L212"), ("slice", "L212"), ("round-floor", "L212"),
     ("repeat", "L212"), ("clock", "L212"), ("encode", "L212"), ("nested-loops-10k", "L213"),
     ("square-thirty-times", "L213"), ("tilde-doubling", "L213"), ("recursive-loop", "L213")],
)
def test_lint_sees_the_payload(name: str, check: str) -> None:
    assert check in {risk[0] for risk in bound_risks(ENVIRONMENT.parse(PAYLOADS[name]))}


def test_lint_reports_bound_findings_on_a_kb(kb_copy: Path) -> None:
    _with_remediation(kb_copy, "{% for a in facts['sync.error'] %}{% for b in 'xy' %}"
                               "{{ b.center(2000000) }}{% endfor %}{% endfor %}")
    findings = lint(load_kb([kb_copy], bundled=False)).findings
    found = {(f.check, f.id) for f in findings}
    assert {("L212", "pending"), ("L213", "pending")} <= found
    l212 = next(f for f in findings if f.check == "L212")
    assert l212.problem.severity == "error" and "template line 1" in l212.problem.message


def test_lint_is_quiet_on_ordinary_templates() -> None:
    template = "{% for r in facts['txn'] %}{{ r['id'] | upper }}{% endfor %}{{ 'a'.ljust(9) }}"
    assert bound_risks(ENVIRONMENT.parse(template)) == []
