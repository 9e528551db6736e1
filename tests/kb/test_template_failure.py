"""A template that fails on a case says so in the author's terms, with its line."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from syncdoctor.kb.template_failure import render_failure
from syncdoctor.kb.templates import ENVIRONMENT, Renderer

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def _failure(source: str, **facts: object) -> tuple[int | None, str]:
    renderer = Renderer(source, ENVIRONMENT.parse(source))
    with pytest.raises(Exception) as caught:
        renderer.render({"facts": facts, "record": {}, "now": NOW})
    assert isinstance(caught.value, Exception)
    return renderer.failed_line(caught.value), render_failure(caught.value, {"known.fact", "a"})


def test_a_missing_fact_names_the_fact_and_the_guard() -> None:
    line, why = _failure('One.\n{% if true %}\nIt is {{ facts["known.fact"] }}.\n{% endif %}')
    assert line == 3
    assert why == ("fact 'known.fact' is not known in this case; test it first: "
                   '{% if "known.fact" in facts %}…{% endif %}')


def test_a_missing_record_field_is_not_called_a_fact() -> None:
    line, why = _failure('Row {{ record["amount"] }}')
    assert (line, why) == (1, "'amount' is not given in this case (a record field or a key "
                              "the value lacks); test it first with `in`")


@pytest.mark.parametrize(("source", "value", "said"), [
    ('{{ facts["a"] | money }}', "twelve", "|money needs a number (a decimal or integer fact), "
                                          "got text 'twelve'"),
    ('{{ facts["a"] | money }}', None, "|money needs a number (a decimal or integer fact), "
                                       "got no value"),
    ('{{ facts["a"] | dt }}', "2024-05-01", "|dt needs a datetime fact, got text '2024-05-01'"),
    ('{{ facts["a"] | ago }}', 3, "|ago needs a datetime fact, got integer 3"),
    ('{{ facts["a"] | duration }}', "soon", "|duration needs a number of seconds, got text 'soon'"),
])
def test_a_filter_given_the_wrong_kind_of_value_says_what_it_needs(
    source: str, value: object, said: str
) -> None:
    assert _failure(source, a=value)[1] == said


def test_python_errors_lose_their_class_name() -> None:
    line, why = _failure("A\n{{ now + 1 }}")
    assert line == 2
    assert why.startswith("an expression cannot be computed: unsupported operand type(s) for +")


def test_the_own_filters_still_take_what_they_always_took() -> None:
    source = '{{ facts["a"] | money }} {{ facts["b"] | money }} {{ facts["c"] | duration }}'
    renderer = Renderer(source, ENVIRONMENT.parse(source))
    text = renderer.render({"facts": {"a": Decimal("1234.5"), "b": "12.5", "c": "90"},
                            "record": {}, "now": NOW})
    assert text == "1,234.50 12.50 1 min 30 s"
