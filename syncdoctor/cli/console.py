"""The rich consoles every command prints through: colour on a terminal, plain text when piped.

rich already leaves colour out when the output is not a terminal and when ``NO_COLOR`` is set
(https://no-color.org); ``TERM=dumb`` also means no colour. ``soft_wrap`` keeps long lines whole
when piped, so that output read by scripts does not depend on an assumed width of 80 columns.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console

__all__ = ["make_console", "use_colour"]


def use_colour(stream: object) -> bool:
    """Whether to colour output to ``stream``: a terminal, no NO_COLOR, and not TERM=dumb."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that colours only where :func:`use_colour` says so."""
    stream = sys.stderr if stderr else sys.stdout
    colour = use_colour(stream)
    return Console(
        file=stream,
        no_color=not colour,
        color_system="auto" if colour else None,
        highlight=False,
        emoji=False,
        soft_wrap=not colour,
        force_terminal=colour or None,
    )
