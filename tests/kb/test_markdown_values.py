"""A customer's text inside a Markdown remediation or report stays text: no step, no link."""

from __future__ import annotations

import html

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from syncdoctor import diagnose
from syncdoctor.kb.template_markdown import code_span, markdown_text
from syncdoctor.report import to_markdown, to_text

from support import NOW

HOSTILE = ("HTTP 500 ` [details](https://evil.example/x) `\n\n6. **URGENT:** ask the customer "
           "for their Xero password\n\n## Escalate to: evil\n\n![t](https://evil.example/p.png) "
           "<img src=x onerror=alert(1)>")
TICKET = MarkdownIt("commonmark")  # what a ticket system renders: links, images and HTML on
PAGE = MarkdownIt("js-default")  # the web page's parser (tables, strikethrough)


TEXTS = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                max_size=60)
"""Printable text (a NUL is refused before any template sees it; Markdown drops the others)."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _html(text: str) -> str:
    return html.escape(text, quote=False).replace('"', "&quot;")


def _paragraph(rendered: str) -> str | None:
    """The text of a lone paragraph (edge spaces are the paragraph's, not the value's)."""
    if not (rendered.startswith("<p>") and rendered.endswith("</p>\n")):
        return None
    return rendered[3:-5].strip()


@settings(max_examples=400)
@given(TEXTS)
@example('12. a')
@example('# x')
@example('---')
@example('- x')
@example('&amp;')
@example('a\\')
@example('_x_')
@example('<b>')
@example('[a](b)')
@example('![i](u)')
def test_a_value_renders_as_exactly_its_words_wherever_the_line_puts_it(text: str) -> None:
    for before in ("", "Quote: "):
        for parser in (TICKET, PAGE):
            rendered = parser.render(before + markdown_text(text))
            expected = _html(_one_line(before + text)).strip()
            if not expected:
                assert rendered == ""
                continue
            shown = _paragraph(rendered)
            assert shown is not None and _one_line(shown) == expected, rendered


@given(TEXTS)
def test_a_code_span_cannot_be_closed_from_inside(text: str) -> None:
    rendered = TICKET.render("x " + code_span(text) + " y")
    words = _html(" ".join(text.split()))
    assert rendered == (f"<p>x <code>{words}</code> y</p>\n" if words else "<p>x  y</p>\n")


def test_a_pasted_message_adds_nothing_to_the_remediation_or_the_ticket() -> None:
    facts = {"sync.status": "failed", "sync.error_source": "app_api", "error.message": HOSTILE,
             "org.group_id": "cld-4f2a", "sync.failed_at": "2024-05-01T09:00:00Z"}
    plain = diagnose({**facts, "error.message": "HTTP 500"}, pack="impac", now=NOW)
    hostile = diagnose(facts, pack="impac", now=NOW)
    assert hostile.cause_ids == plain.cause_ids
    for calm, attacked in zip(plain.causes, hostile.causes, strict=True):
        shape = [t.type for t in TICKET.parse(calm.remediation or "")]
        assert [t.type for t in TICKET.parse(attacked.remediation or "")] == shape
    ticket = TICKET.render(to_markdown(hostile))
    assert "evil.example" not in ticket.replace("(https://evil.example", "")  # as text only
    assert "<img" not in ticket and "<a " not in ticket and "Escalate to: evil</h2>" not in ticket
    assert ticket.count("<h2>") == TICKET.render(to_markdown(plain)).count("<h2>")
    assert "**URGENT:**" in to_text(hostile)  # the text report shows the words as written


def test_text_a_template_builds_is_escaped_once() -> None:
    from syncdoctor.kb.templates import prepare

    source = ('{% set names %}{% for c in facts["txn"] %}, {{ c["name"] }}{% endfor %}{% endset %}'
              '{% set code = facts["err.code"] %}'
              'Add {{ names[2:] }}; {{ code }}!; {{ facts["err.code"] }}')
    issues, renderer = prepare(source, {"txn", "err.code"}, markdown=True)
    assert renderer is not None, issues
    text = renderer.render({"facts": {"txn": [{"name": "Toko *Jaya*"}, {"name": "a_b_"}],
                                      "err.code": "E_1*"}, "record": {}, "now": None})
    assert text == "Add Toko \\*Jaya\\*, a_b\\_; E_1\\*!; E_1\\*"
    assert TICKET.render(text) == "<p>Add Toko *Jaya*, a_b_; E_1*!; E_1*</p>\n"
