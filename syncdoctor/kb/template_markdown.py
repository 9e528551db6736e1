r"""Fact values in a Markdown template stay text: they cannot add a step, a heading or a link.

A remediation is Markdown the author wrote, with the case's values put in.
Those values come from the customer: a pasted message holding ``\\n\\n6. **URGENT:** ask for
their password`` would otherwise become a numbered step of the remediation, on the page and in
the ticket. So every ``{{ ... }}`` of such a template is written through :func:`markdown_text`
(the loader wraps each output in ``|md``), which escapes what Markdown would read as syntax and
puts a line break's text on the same line. ``{{ value | code }}`` writes a code span instead,
with a fence no backtick in the value can close.

The escaping keeps the Markdown source readable: a character is escaped only where it could
mean something (an underscore between ASCII letters or digits, a hyphen inside a number, never
do). An escalation and a rule's 'because' are plain text: the reports escape them whole.
"""

from __future__ import annotations

import re
from typing import Final

from jinja2 import nodes

__all__ = ["ESCAPE_FILTER", "LEAVES_MARKDOWN", "code_span", "escape_outputs", "markdown_text"]

ESCAPE_FILTER: Final = "md"
LEAVES_MARKDOWN: Final = frozenset({ESCAPE_FILTER, "code"})
"""Filters whose output is already Markdown: an output ending in one is not escaped again."""

# Each alternative is one character, with a one-character look around it, or a bounded run:
# linear on any text (no pattern here can backtrack over a customer's long message).
_INLINE = re.compile(
    r"[\\`*\[\]<~|]"
    r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"
    r"|&(?=#?[A-Za-z0-9]{1,32};)"
)


_WHITESPACE = re.compile(r"\s+")  # one quantifier over one class: linear
_PLAIN = re.compile(r"(?:[A-Za-z0-9(),;:'\"/%$@^?=+.-]|[^\x00-\x7f\s]| (?! ))*")
"""A value needing no escape: no Markdown character, no run of spaces or line break, and (as
the start of a line) none of the block openers either (checked apart, by its first character)."""


def _one_line(value: object) -> str:
    # Markdown shows a run of spaces or line breaks as one space: so does the text it is sent
    # as. An edge space stays one space: a template may build "account" ~ " " ~ code.
    return _WHITESPACE.sub(" ", str(value))


def _opens_a_block(text: str) -> int | None:
    """Where to put a backslash if ``text`` at a line's start would open a block, else None.

    A heading or quote (``#``, ``>``), a list item (``-``, ``+``, ``12.``, ``3)``), a setext
    underline (a line of ``=`` or ``-``); ``*`` is escaped everywhere already.
    """
    first, second = text[:1], text[1:2]
    if first in (".", ")") and second in ("", " "):
        return 0  # after a template's digit, or a value ending in one: "1" + ". Ask ..."
    if first == ">" or (first == "#" and second in ("", " ", "#")):
        return 0
    if first in ("-", "+") and second in ("", " "):
        return 0
    if first in ("=", "-") and not text.strip("=- "):
        return 0
    digits = len(text[:10]) - len(text[:10].lstrip("0123456789"))
    if 1 <= digits <= 9 and text[digits:digits + 1] in (".", ")") and (
            text[digits + 1:digits + 2] in ("", " ")):
        return digits
    return None


SHOWN: Final = 2_000
"""Most characters of one value a remediation writes (a 200,000-character paste is cut)."""


def _cut(text: str) -> tuple[str, str]:
    """The text to show, and what to say after it of the rest."""
    if len(text) <= SHOWN:
        return text, ""
    return text[:SHOWN - 1] + "…", f" ({len(text) - SHOWN + 1:,} more characters)"


def markdown_text(value: object) -> str:
    """``value`` as Markdown text that reads as exactly its words, on one line, single-spaced.

    At most :data:`SHOWN` characters of it: the rest is said to be there, not written.
    """
    text = str(value)
    if len(text) > SHOWN or _PLAIN.fullmatch(text) is None:  # most values need no escape
        shown, rest = _cut(_one_line(text))
        text = _INLINE.sub(lambda found: "\\" + found.group(0), shown) + rest
    lead = 1 if text.startswith(" ") else 0  # one space of indent still opens a block
    at = _opens_a_block(text[lead:])  # where the template puts it at a line's start
    return text if at is None else text[:lead + at] + "\\" + text[lead + at:]


def code_span(value: object) -> str:
    """``value`` as one inline code span, on one line, whatever backticks it holds."""
    text, rest = _cut(" ".join(str(value).split()))  # as a span shows it: one space apart
    if not text:
        return ""  # an empty span is no span: two backticks would show
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    # A span that starts or ends with a backtick needs a space inside its fence, which
    # CommonMark takes off again.
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}{rest}"


def escape_outputs(ast: nodes.Template) -> nodes.Template:
    """Every value the template writes, written through ``|md``, once (in place; returned).

    Text a ``{% set x %}...{% endset %}`` or ``{% filter %}`` block builds is escaped where it
    is written out (``{{ x }}``, the block's result), not inside the block: the block's own
    arguments (``{% filter replace("X", facts["x"]) %}``) are then escaped too, and nothing is
    escaped twice.
    """
    _escape_in(ast)
    return ast


def _escape_in(node: nodes.Node) -> None:
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.AssignBlock):
            continue  # its text is escaped where it is written out
        if isinstance(child, nodes.FilterBlock):
            child.filter = nodes.Filter(child.filter, ESCAPE_FILTER, [], [], None, None,
                                        lineno=child.lineno)
            continue  # its body is text for the filter, escaped with its result
        if isinstance(child, nodes.Output):
            child.nodes = [
                part if isinstance(part, nodes.TemplateData) or (
                    isinstance(part, nodes.Filter) and part.name in LEAVES_MARKDOWN)
                else nodes.Filter(part, ESCAPE_FILTER, [], [], None, None, lineno=part.lineno)
                for part in child.nodes
            ]
        _escape_in(child)
