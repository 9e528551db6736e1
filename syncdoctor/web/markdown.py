"""Remediation Markdown as HTML for the page: CommonMark with raw HTML off.

A remediation is playbook Markdown with the case's values in it, and a value may be hostile (an
error message is pasted text). markdown-it-py escapes every character of text it does not
parse as Markdown, ``html=False`` (its "js-default" preset) leaves any tag in the source as
text. Links, autolinks and images are switched off too: no bundled playbook has one, and a
pasted message must not become a link on the agent's page (or an image fetched from elsewhere);
so are link reference definitions, which would make a pasted ``[x]: http://...`` line vanish.
What is left is formatting: lists, emphasis, code, paragraphs.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["markdown_html"]


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("js-default").disable(["link", "autolink", "image", "reference"])


def markdown_html(text: str) -> Markup:
    """The HTML of one remediation (safe to insert: the renderer escaped everything else)."""
    return Markup(_parser().render(text))
