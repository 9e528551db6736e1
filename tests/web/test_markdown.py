"""Remediation Markdown on the page: formatting only; every tag, link or image in it is text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from syncdoctor.web.markdown import markdown_html

FORMATTING_TAGS = {"p", "ol", "ul", "li", "strong", "em", "s", "code", "pre", "br", "hr", "blockquote",
                   "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}
PIECES = st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[a](javascript:alert(1))",
    "![i](http://evil.example/p.png)", "<https://evil.example>", "http://evil.example",
    '" onmouseover="x', "**bold**", "1. step\n2. step", "- item", "`code`", "\n\n", "&amp;",
    "<b>F48</b>", "{{ 7*7 }}", "\u202e", "> quote", "# title", "|a|b|\n|-|-|\n|1|2|",
    "3. third", "```js onload=x\ncode\n```", "|a|\n|:-:|\n|1|", "~~struck~~",
])


def test_numbered_steps_and_emphasis_become_html() -> None:
    html = markdown_html("1. Add terms code **F48**.\n2. Press **Resync Invoice**.")
    assert html == ("<ol>\n<li>Add terms code <strong>F48</strong>.</li>\n"
                    "<li>Press <strong>Resync Invoice</strong>.</li>\n</ol>\n")


def test_a_pasted_tag_link_or_image_stays_text() -> None:
    html = markdown_html('Error "<b>F48</b>" [docs](javascript:alert(1)) ![x](http://e.x/p.png)')
    assert "<b>" not in html and "&lt;b&gt;F48&lt;/b&gt;" in html
    assert "<a" not in html and "<img" not in html
    assert "[docs](javascript:alert(1))" in html


@given(st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=12).map("".join))
def test_any_text_yields_only_formatting_tags(text: str) -> None:
    html = str(markdown_html(text))
    tags = {name.lower() for name in re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", html)}
    assert tags <= FORMATTING_TAGS, tags
    # Markdown's own attributes only: a list's start number, a fenced block's language class.
    attributes = set(re.findall(r"<[a-zA-Z0-9]+\s+([a-z-]+)=", html))
    assert attributes <= {"start", "class", "style"}, attributes
    assert not re.search(r'style="(?!text-align:(left|right|center)")', html)
