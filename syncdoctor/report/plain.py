r"""A remediation's Markdown as plain text, for a terminal that shows no formatting, or a pipe.

The text report printed the Markdown source: ``press **Resync Invoice**``, a case value written
``\*`` to keep it literal, code in backticks. Here the source is parsed as the page parses it
(markdown-it, the same preset, links and images off) and written back without the markup:
emphasis and code marks dropped, escapes resolved, list numbers and nesting kept, lines whole
(no wrapping: a pipe or a ticket wraps them); a table's rows are a line each, cells between bars.
Link reference definitions are off, as on the page: a pasted ``[x]: http://...`` stays text.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from syncdoctor.report.plainfast import simple_text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

__all__ = ["markdown_as_text"]

_LISTS = frozenset({"bullet_list", "ordered_list"})


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Imported on first use: about 13 ms of a command's start, paid only by one that prints a
    # remediation that simple_text cannot read.
    from markdown_it import MarkdownIt

    return MarkdownIt("js-default").disable(["link", "autolink", "image", "reference"])


def markdown_as_text(source: str) -> str:
    """``source`` (CommonMark) as plain text, without a trailing newline."""
    # Lines as markdown-it counts them: only \n ends one (str.splitlines also splits on NEL,
    # U+2028 and others, which would shift every line number after a pasted one).
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    simple = simple_text(source)  # most remediations: the same text, without markdown-it
    if simple is not None:
        return simple
    return _parsed_text(source)


def _parsed_text(source: str) -> str:
    """``source`` read by markdown-it, written back as plain text."""
    from markdown_it.tree import SyntaxTreeNode

    lines = source.split("\n")
    tree = SyntaxTreeNode(_parser().parse(source))
    return "\n\n".join(_block(node, lines) for node in tree.children).strip("\n")


def _block(node: SyntaxTreeNode, lines: list[str]) -> str:
    kind = node.type
    if kind in ("paragraph", "heading"):
        return "".join(_inline(child) for child in node.children[0].children)
    if kind in _LISTS:
        return _list(node, lines)
    if kind == "blockquote":
        inner = "\n\n".join(_block(child, lines) for child in node.children)
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if kind in ("code_block", "fence"):
        return "\n".join(f"    {line}" for line in node.content.rstrip("\n").split("\n"))
    if kind == "hr":
        return "---"
    if kind == "table":  # a row a line, its cells between bars
        return "\n".join(
            " | ".join("".join(_inline(part) for cell_inline in cell.children
                               for part in cell_inline.children) for cell in row.children)
            for section in node.children for row in section.children)
    start, end = node.map or (0, 0)
    return "\n".join(lines[start:end])  # what a later preset adds: as written


def _list(node: SyntaxTreeNode, lines: list[str]) -> str:
    ordered = node.type == "ordered_list"
    tight = all(
        paragraph.hidden for item in node.children for paragraph in item.children
        if paragraph.type == "paragraph"
    )
    items: list[str] = []
    for position, item in enumerate(node.children, start=1):
        number = item.info if item.info.isdigit() else str(position)
        marker = f"{number}{item.markup} " if ordered else "- "
        body = ("\n" if tight else "\n\n").join(_block(child, lines) for child in item.children)
        indent = " " * len(marker)
        shown = [marker + first for first in body.split("\n")[:1]]
        shown += [indent + line if line else "" for line in body.split("\n")[1:]]
        items.append("\n".join(shown))
    return ("\n" if tight else "\n\n").join(items)


def _inline(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind in ("softbreak", "hardbreak"):
        return "\n"
    if kind in ("text", "code_inline", "html_inline"):
        return node.content
    return "".join(_inline(child) for child in node.children)  # strong, em, s: their text
