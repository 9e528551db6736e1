"""RE2 patterns: linear time whatever the text, so hostile error messages cannot hang them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol, cast

import re2

__all__ = [
    "GroupReader", "PatternError", "PatternSet", "TextMatch", "TextPattern", "compile_pattern",
    "pattern_error_text",
]

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
    options.log_errors = False  # the error is raised and reported; RE2's own log is noise
    return cast(TextPattern, re2.compile(pattern, options))


def pattern_error_text(error: Exception) -> str:
    """RE2's reason, as text ("missing ): (abc"; the module gives it as bytes)."""
    reason = error.args[0] if error.args else error
    return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)


class PatternSet:
    """Many patterns over the same texts, searched in one pass per text (an RE2 ``Set``).

    Which patterns match a text is what extraction, pack choice and ``matches`` tests ask
    first, of every pattern reading it; one search each through the re2 module costs about
    20 times one pass of a Set over all of them (its Python layer re-encodes the text and maps
    offsets on every call). A Set answers "does it match" exactly as a search does; captured
    groups still come from the pattern's own search, only for the patterns that matched.

    Building a pack's Sets costs 7-16 ms, a one-shot CLI process's whole diagnosis: so the
    first text of each fact is searched pattern by pattern, and its Sets are built at the
    second (or by :meth:`prepare`).

    ``patterns``: per pattern number, the text fact it reads, the compiled pattern, its source
    and its case sensitivity (each fact, and each case sensitivity, gets its Set).
    """

    __slots__ = ("_groups", "_seen")

    def __init__(self, patterns: Iterable[tuple[str, TextPattern, str, bool]]) -> None:
        grouped: dict[tuple[str, bool], list[tuple[int, TextPattern, str]]] = {}
        for number, (fact, compiled, source, case_sensitive) in enumerate(patterns):
            grouped.setdefault((fact, case_sensitive), []).append((number, compiled, source))
        self._groups: dict[str, list[_Group]] = {}
        for (fact, case_sensitive), members in sorted(grouped.items()):
            self._groups.setdefault(fact, []).append(_Group(
                tuple(m[0] for m in members), tuple(m[1] for m in members),
                tuple(m[2] for m in members), case_sensitive,
            ))
        self._seen: set[str] = set()

    def prepare(self) -> None:
        """Build every Set now (a long-running server, at start)."""
        self._seen.update(self._groups)
        for groups in self._groups.values():
            for group in groups:
                group.build()

    def matching(self, fact: str, text: str) -> set[int]:
        """The numbers of the patterns reading ``fact`` that match ``text``."""
        numbers: set[int] = set()
        groups = self._groups.get(fact, ())
        if fact not in self._seen:
            self._seen.add(fact)
            for group in groups:
                numbers.update(group.one_by_one(text))
            return numbers
        for group in groups:
            numbers.update(group.matching(text))
        return numbers


class _Group:
    """The patterns reading one fact with one case sensitivity, and their Set once built."""

    __slots__ = ("case_sensitive", "compiled", "numbers", "set", "sources")

    def __init__(
        self, numbers: tuple[int, ...], compiled: tuple[TextPattern, ...],
        sources: tuple[str, ...], case_sensitive: bool,
    ) -> None:
        self.numbers = numbers
        self.compiled = compiled
        self.sources = sources
        self.case_sensitive = case_sensitive
        self.set: Any = None
        """The compiled RE2 Set; False when it could not be built."""

    def build(self) -> None:
        """Compile the Set (once).

        Each pattern compiled alone already, yet their union could exceed its memory budget:
        the patterns are then searched one by one, with the same answers.
        """
        if self.set is not None:
            return
        options = re2.Options()
        options.case_sensitive = self.case_sensitive
        # The budget of one pattern, per pattern: their union needs about the sum.
        options.max_mem = MAX_PATTERN_MEMORY * len(self.sources)
        options.log_errors = False
        found = re2.Set.SearchSet(options)
        try:
            for source in self.sources:
                found.Add(source)  # numbered 0, 1, ... in the order added
            found.Compile()
        except re2.error:
            found = False
        self.set = found

    def one_by_one(self, text: str) -> Iterator[int]:
        """The numbers of the patterns that match, one search each."""
        for number, pattern in zip(self.numbers, self.compiled, strict=True):
            if pattern.search(text) is not None:
                yield number

    def matching(self, text: str) -> Iterator[int]:
        """The numbers of the patterns that match, through the Set."""
        self.build()
        if self.set is False:
            yield from self.one_by_one(text)
            return
        numbers = self.numbers
        for index in self.set.Match(text) or ():
            yield numbers[index]


_NO_SPAN = (-1, -1)
"""The span RE2 gives a group that took no part in the match."""


class GroupReader:
    """A pattern's named groups in its first match, read from RE2's own spans.

    The same texts as ``pattern.search(text).group(name)``: the re2 module's search maps every
    byte offset of the match back to a character offset and builds a match object, and each
    ``group`` looks its name up in a dict built anew per call; extraction reads a few groups
    of a long message per matching extractor. RE2 matches UTF-8 on character boundaries, so a
    group's bytes decode to that very text. A pattern object without the module's compiled RE2
    inside (another version of the module) is searched the public way.
    """

    __slots__ = ("_groups", "_pattern", "_regexp")

    def __init__(self, pattern: TextPattern, names: Iterable[str]) -> None:
        self._pattern = pattern
        regexp = getattr(pattern, "_regexp", None)
        self._regexp: Any = regexp if hasattr(regexp, "Match") else None
        self._groups = tuple((name, pattern.groupindex[name]) for name in names)

    def read(self, text: str, encoded: bytes) -> dict[str, str | None] | None:
        """Group name -> its text (None: it took no part); None when the pattern does not match.

        ``encoded``: ``text`` in UTF-8 (a text read by several patterns is encoded once).
        """
        if self._regexp is None:
            match = self._pattern.search(text)
            if match is None:
                return None
            return {name: match.group(name) for name, _ in self._groups}
        spans = self._regexp.Match(re2._Anchor.UNANCHORED, encoded, 0, len(encoded))
        if spans[0] == _NO_SPAN:
            return None
        found: dict[str, str | None] = {}
        for name, number in self._groups:
            start, end = spans[number]
            found[name] = None if (start, end) == _NO_SPAN else encoded[start:end].decode()
        return found
