"""The direct render (kb/template_direct.py) gives Jinja2's text, or leaves the template to it.

Every bundled template it takes, and a set written to reach each node and bound, is rendered
both ways on the examples' values and on values of the wrong type, missing or too long.
"""

from __future__ import annotations

import functools
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from syncdoctor.casefile import read_case
from syncdoctor.diagnosis.case import extract, prepare
from syncdoctor.engine.knowledge import default_kb
from syncdoctor.kb.template_direct import Fallback, compile_direct
from syncdoctor.kb.templates import DIRECT_FILTERS, ENVIRONMENT, Renderer

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*/*.yaml"))
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
HOSTILE: list[object] = [
    None, "", "a_b c", "{{ 7 * 7 }}", "x" * 5_000, 0, -3, 10**30, 2.5, True, False,
    Decimal("1234.5"), Decimal("-0.001"), NOW, NOW - timedelta(days=3, hours=2), date(2024, 1, 2),
    timedelta(hours=5), [], {}, [{"id": "a", "app_ui": Decimal("1")}], {"get": 1}, ("a", "b"),
]
WRITTEN = [
    '{{ facts["a"] | upper }} {{ facts["b"] | lower }} {{ facts["a"] | capitalize }}',
    '{{ facts["a"] | trim }}|{{ facts.get("a") }}|{{ facts.get("b", "none") }}',
    '{{ facts["a"].strftime("%Y-%m-%d %H") }} {{ facts["a"] | dt }} {{ facts["a"] | ago }}',
    '{{ facts["a"][0] }} {{ facts["a"][1] }} {{ record["id"] }} {{ record.get("id", 1) }}',
    '{% if facts["a"] > 3 %}big{% elif facts["a"] == 3 %}three{% else %}small{% endif %}',
    '{% if 1 < facts["a"] <= 5 and not "b" in facts or "c" not in record %}x{% endif %}',
    '{{ "yes" if "a" in facts else "no" }} {{ facts["a"] or facts["b"] }} {{ now }}',
    '{{ facts["a"] | replace("a", "b") }} {{ facts["a"] | money }} {{ facts["a"] | yesno }}',
    '{{ facts["a"] | duration }} {{ facts["items"] }} {{ facts["a"]["get"] }} {{ facts["b"] }}',
    '{{ facts["a"] | replace("x", "yyyyyyyyyy") }}',
    '{{ facts["a"] }}{{ facts["a"] }}{{ facts["b"] }}{{ facts["b"] }}{{ facts["b"] }}',
    '{{ facts["a"].strftime(facts["b"]) }}',
    '{% set k = {"x": "ex", "a_b c": facts["b"]} %}{{ k[facts["a"]] }} {{ k.get(facts["a"], "-") }}',
    '{% set t = ("v " ~ facts["a"] ~ " w") if "a" in facts else "none" %}{% if "b" in facts %}'
    '{% set t = t ~ facts["b"] %}{% endif %}{{ t }} {{ u }}{% set u = 1 %}{{ u }}',
    '{% set what %}{% if "a" in facts %}[{{ facts["a"] }}]{% else %}none{% endif %}{% endset %}'
    '{{ what }}|{{ what | upper }}|{{ facts["b"] | length }}|{{ facts["b"] | int }}',
    '{{ facts["a"] - facts["b"] }} {{ facts["a"] / facts["b"] }} {{ facts["a"][-1] }} {{ -2.5 }}',
    '{% if "a" in facts %}{% set x = facts["a"] %}{% endif %}{{ x }}',
    '{{ facts["a"][:1] | upper }}{{ facts["a"][1:] }}|{{ facts["a"][::-1] }}|{{ facts["a"][1:3:2] }}'
    '|{{ facts["a"][facts["b"]:] }}',
    '{{ facts["a"] | round }}|{{ facts["a"] | round(1) }}|{{ facts["a"] | round(facts["b"]) }}'
    '|{{ facts["a"] | round(2, "floor") }}|{{ facts["a"] | round(0, facts["b"]) }}',
    '{{ facts["a"] * facts["b"] }}|{{ (100 * facts["a"] / facts["b"]) | round(1) }}|{{ 2.5 * 4 }}',
    '{% if facts["a"] in ("x", 0, "a_b c") %}t{% elif facts["a"] in [True, "", facts["b"]] %}l'
    '{% endif %}|{{ [facts["a"], 1] }}|{{ ("v", facts["b"]) }}|{{ () }}|{{ [] }}',
]


def _outcome(renderer: Renderer, context: dict[str, object], direct: bool) -> tuple[str, str]:
    try:
        return "text", renderer.render(context, direct=direct)
    except Exception as error:
        return type(error).__name__, str(error)


@functools.cache
def _renderer(source: str) -> Renderer:
    return Renderer(source, ENVIRONMENT.parse(source))


def _check(source: str, context: dict[str, object]) -> bool:
    """Both renders agree; True when the direct one gave the text itself."""
    renderer = _renderer(source)
    jinja = _outcome(renderer, context, direct=False)
    direct = renderer._direct
    assert direct is not None, source  # the render with direct=False compiled it too
    try:
        text = direct(context)
    except Fallback:
        assert _outcome(renderer, context, direct=True) == jinja
        return False
    assert ("text", text) == jinja, source
    return True


def _example_values() -> tuple[list[object], list[dict[str, object]]]:
    kb = default_kb()
    values: list[object] = []
    records: list[dict[str, object]] = [{}]
    for path in EXAMPLES:
        case_file = read_case(path)
        if case_file.pack is None:
            continue
        case = prepare(kb.packs[case_file.pack], case_file.facts, NOW, ())
        extract(case)
        for value in case.facts.values():
            values.append(value)
            if isinstance(value, list):
                records.extend(item for item in value if isinstance(item, dict))
    return values, records


def _direct_sources() -> list[str]:
    sources = {
        renderer.source
        for pack in default_kb().packs.values()
        for renderer in pack.templates.renderers
        if "{" in renderer.source
    }
    return sorted(s for s in sources if compile_direct(ENVIRONMENT.parse(s), DIRECT_FILTERS))


def test_most_bundled_templates_render_directly() -> None:
    assert len(_direct_sources()) >= 100


def test_bundled_templates_agree_with_jinja() -> None:
    values, records = _example_values()
    pool = values + HOSTILE
    chance = random.Random(17)
    direct = 0
    for source in _direct_sources():
        named = sorted(Renderer(source, ENVIRONMENT.parse(source)).facts)
        for trial in range(8):
            if trial < 4:  # the examples' own values, the fact ids as they are
                facts = {f: v for f in named for v in (chance.choice(values),)
                         if chance.random() < 0.8}
            else:
                facts = {f: chance.choice(pool) for f in named if chance.random() < 0.7}
            context = {"facts": facts, "now": NOW, "record": chance.choice(records)}
            direct += _check(source, context)
    assert direct > 200  # most of them render without Jinja2, not all fall back


@pytest.mark.parametrize("source", WRITTEN)
def test_written_templates_agree_with_jinja(source: str) -> None:
    chance = random.Random(source)
    for _ in range(150):
        facts = {f: chance.choice(HOSTILE) for f in ("a", "b") if chance.random() < 0.8}
        record = chance.choice([{}, {"id": "r1"}, {"c": 1}, {"id": None}])
        _check(source, {"facts": facts, "now": chance.choice([NOW, None]), "record": record})


def test_bounds_leave_the_template_to_jinja() -> None:
    many = "{{ facts['a'] }}" * 2
    context: dict[str, object] = {"facts": {"a": "x" * 600_000}, "now": NOW, "record": {}}
    assert not _check("{{ facts['a'] | replace('x', 'yy') }}", context)
    assert not _check(many, context)  # past MAX_TEXT: Jinja2 raises its error
    assert _outcome(_renderer(many), context, True)[0] == \
        "TemplateLimitError"
    huge: dict[str, object] = {"facts": {"a": 2**1000, "b": 2**30}, "now": NOW, "record": {}}
    assert not _check('{{ facts["a"] * facts["b"] }}', huge)  # past MAX_INT_BITS
    assert _outcome(_renderer('{{ facts["a"] * facts["b"] }}'), huge, True)[0] == \
        "TemplateLimitError"
    assert not _check('{{ 1.5 | round(29) }}', huge)  # past MAX_PRECISION
    assert _check('{{ 1.25 | round(28) }}|{{ facts["a"] * 2 }}', huge)


@pytest.mark.parametrize("source", [
    "{% for x in facts['a'] %}{{ x }}{% endfor %}",
    "{% set facts = 1 %}{{ facts }}",
    "{% set x %}{% set y = 1 %}{{ y }}{% endset %}{{ x }}",
    "{% set x | upper %}a{% endset %}{{ x }}",
    "{% set a, b = 1, 2 %}{{ a }}",
    "{{ facts['a'] * 2 }}" * 64,  # one step each: as many as the clock's period
    "{{ facts['a'] | join(',') }}",
    "{{ facts['a'] | round(precision=2) }}",
    "{{ facts['a'].upper() }}",
    "{{ facts['a'] is defined }}",
    "{{ facts['a'] + 1 }}",
    "{{ 'x' if facts['a'] }}",
    "{{ facts['a'].year }}",
    "{{ facts['a'] | default('x') }}",
    "{% filter upper %}x{% endfilter %}",
    "{{ facts['a'] | upper }}" * 64,  # as many steps as the clock's period
    "{{ facts['a'] ~ 'b' }}" * 32,  # two steps each
])
def test_what_it_leaves_to_jinja(source: str) -> None:
    assert compile_direct(ENVIRONMENT.parse(source), DIRECT_FILTERS) is None
