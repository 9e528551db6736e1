"""The rich consoles every command prints through: colour on a terminal, plain text when piped.

rich already leaves colour out when the output is not a terminal and when ``NO_COLOR`` is set
(https://no-color.org); ``TERM=dumb`` also means no colour. ``soft_wrap`` keeps long lines whole
when piped, so that output read by scripts does not depend on an assumed width of 80 columns.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from syncdoctor._safe_text import shown_safely

__all__ = ["SafeConsole", "make_console", "use_colour"]


class SafeConsole(Console):
    """A rich Console whose text is shown safely; its own control codes still work.

    Strings (what is printed, table cells) are made safe before rich measures and lays them out
    (:meth:`render_str`): rich counts ESC and the C1 controls as zero wide, and would crop a
    cell whose controls became visible afterwards. Whatever reaches the terminal by another road
    (a ``Text`` built by hand) is made safe segment by segment (:meth:`render`). rich would drop
    BEL, BS, VT, FF and CR silently; here they show too.
    """

    def render_str(self, text: str, **options: Any) -> Text:  # noqa: ANN401  (rich's own options)
        """As rich's, on ``text`` shown safely."""
        return super().render_str(shown_safely(text), **options)

    def render(self, renderable: RenderableType,
               options: ConsoleOptions | None = None) -> Iterable[Segment]:
        """As rich renders it, each text segment shown safely.

        The segments rich writes for cursor moves and the like are left alone.
        """
        for segment in super().render(renderable, options):
            if segment.control is None and not segment.text.isprintable() and segment.text:
                yield Segment(shown_safely(segment.text), segment.style, None)
            else:
                yield segment


def use_colour(stream: object) -> bool:
    """Whether to colour output to ``stream``: a terminal, no NO_COLOR, and not TERM=dumb."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def make_console(*, stderr: bool = False) -> SafeConsole:
    """A console on stdout (or stderr) that colours only where :func:`use_colour` says so.

    It shows control characters from facts rather than letting the terminal obey them.
    """
    stream = sys.stderr if stderr else sys.stdout
    colour = use_colour(stream)
    return SafeConsole(
        file=stream,
        no_color=not colour,
        color_system="auto" if colour else None,
        highlight=False,
        emoji=False,
        soft_wrap=not colour,
        force_terminal=colour or None,
    )
