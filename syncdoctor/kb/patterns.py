"""RE2 patterns: linear time whatever the text, so hostile error messages cannot hang them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol, cast

import re2

__all__ = ["PatternError", "TextMatch", "TextPattern", "compile_pattern"]

PatternError = re2.error
"""What RE2 raises for a pattern it cannot compile."""
MAX_PATTERN_MEMORY = 8 << 20
"""A pattern may not grow a huge automaton."""


class TextMatch(Protocol):
    """A match of a :class:`TextPattern`."""

    def group(self, name: str, /) -> str | None:
        """The text of a named group, None when it took no part."""


class TextPattern(Protocol):
    """A compiled RE2 pattern (the re2 module has no type hints)."""

    @property
    def groupindex(self) -> Mapping[str, int]:
        """Named group -> its number."""

    def search(self, text: str, /) -> TextMatch | None:
        """The first match anywhere in the text."""

    def finditer(self, text: str, /) -> Iterator[TextMatch]:
        """Every non-overlapping match, left to right."""


def compile_pattern(pattern: str, *, case_sensitive: bool = False) -> TextPattern:
    """Compile with RE2, case-insensitively unless asked.

    Raises:
        PatternError: the pattern is not valid RE2.
    """
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.max_mem = MAX_PATTERN_MEMORY
    return cast(TextPattern, re2.compile(pattern, options))
