"""The plain text of the simple Markdown most remediations are, without markdown-it.

Importing markdown-it costs about 13 ms, a sixth of what a ``syncdoctor diagnose`` process
adds to its dependencies' own import. Most remediations are numbered steps with some
``**bold**`` and ``code``: their plain text is their source with those marks taken out.
:func:`simple_text` gives that text for a source made only of such lines, and None for anything
else (a heading, a quote, a loose list, an emphasis it is not sure of...), which markdown-it
then reads. It is not a second reading of Markdown: tests/test_report.py holds it to
markdown-it's result on every bundled remediation and on generated sources, wherever it answers.

What it takes: paragraphs at the left margin; tight lists (``1.``, ``1)`` or ``-`` and one
space) nested under their parent's text, with continuation lines at that text's column; blocks
separated by blank lines; ``**strong**`` between spaces or punctuation, and code spans.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["simple_text"]

_DEEPEST: Final = 8
"""The most list levels read here."""
_ITEM: Final = re.compile(r"(\d{1,9}([.)])|-) (?=\S)")
"""A list item's marker and the one space after it (content must follow)."""
_UNSURE_START: Final = re.compile(r"[#>+|=~:\-\d ]|\*(?!\*)|```")
"""A first character of an item's content, or of a line, that may begin another construct."""
_CODE: Final = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_STRONG: Final = re.compile(
    r"(?<![^\s(\"'])\*\*(?=[^\s*])([^*\n]*?[^\s*])\*\*(?![^\s.,:;!?)\"'])")
"""Strong emphasis whose marks are flanking as CommonMark wants, with no other mark inside."""
_UNSURE_TEXT: Final = re.compile(
    r"[\t\\<`*~\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]|&(?:#|[A-Za-z][A-Za-z0-9]*;)"
    r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|\[|\]"
)
"""What may still be Markdown once code and strong marks are out: another mark, an escape, an
entity, an ``_`` at a word's edge, a bracket (a link's or a footnote's)."""


def simple_text(source: str) -> str | None:
    """The plain text of ``source``, or None when it is not simple enough to be sure."""
    out: list[str] = []
    lists: list[tuple[int, str]] = []  # per open list item: its content column, marker kind
    blank = False  # a blank line since the last line kept
    in_paragraph = False  # the last line kept was a top-level paragraph's
    for raw in source.split("\n"):
        line = raw.rstrip(" ")
        if not line:
            blank = bool(out)
            continue
        if line[-1].isspace() or line.lstrip(" ")[:1].isspace():
            return None  # a no-break or other Unicode space at an edge: markdown-it trims it
        indent = len(line) - len(line.lstrip(" "))
        item = _ITEM.match(line, indent)
        if item is not None:
            kind = item.group(2) or "-"
            if (in_paragraph and not blank) or (blank and lists):
                return None  # a list interrupting a paragraph, or a loose list
            open_items = [entry for entry in lists if entry[0] <= indent]
            if indent != (open_items[-1][0] if open_items else 0):
                return None  # nested other than under its parent item's text
            siblings = [entry for entry in lists if entry[0] > indent]
            if siblings and siblings[0][1] != kind:
                return None  # another kind of marker starts another list
            if _UNSURE_START.match(line, item.end()):
                return None  # an item that opens with another construct
            if open_items and not siblings and kind != "-" and item.group(1)[:-1] != "1":
                return None  # an ordered list that does not start at 1 cannot interrupt text
            if len(open_items) >= _DEEPEST:
                return None  # markdown-it stops nesting somewhere: let it say where
            lists = [*open_items, (item.end(), kind)]
            in_paragraph = False
        elif lists and not blank and indent == lists[-1][0]:
            if _UNSURE_START.match(line, indent):
                return None  # the item's text goes on, unless the line opens something else
        elif in_paragraph and not blank and indent == 0 and not _UNSURE_START.match(line):
            pass  # the paragraph goes on
        elif indent == 0 and (blank or not out) and not _UNSURE_START.match(line):
            lists = []
            in_paragraph = True
        else:
            return None  # a lazy continuation, an indented block, a paragraph indented
        text = _inline(line)
        if text is None:
            return None
        if blank:
            out.append("")
        out.append(text)
        blank = False
    return "\n".join(out)


def _inline(line: str) -> str | None:
    """One line with its code spans' text and strong marks out; None if anything is left.

    Each stretch between code spans is read alone: a strong pair that a code span would split
    (``**a `x` b**``) leaves its marks in a stretch, and that stretch refuses.
    """
    pieces: list[str] = []
    at = 0
    for code in _CODE.finditer(line):
        pieces.append(_STRONG.sub(r"\1", line[at:code.start()]))
        content = code.group(1)
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        pieces.append(content)
        at = code.end()
    pieces.append(_STRONG.sub(r"\1", line[at:]))
    stretches = pieces[0::2]
    if any(_UNSURE_TEXT.search(stretch) for stretch in stretches):
        return None
    if any(stretch[-1:] in ("_", "*") or stretch[:1] in ("_", "*") for stretch in stretches):
        return None  # a mark against a code span (a_`x`_): emphasis around it, maybe
    return "".join(pieces)
