"""Safe, location-keeping YAML reading for knowledge-base files.

Knowledge-base files are written by people and reviewed in pull requests, so a mistake has to
come back as ``file:line:col`` with the offending line, never as a traceback. They may also come
from people we do not trust, so reading one must be bounded in time and memory whatever it holds.

:func:`load_yaml_text` and :func:`load_yaml_file` therefore build plain Python data straight from
PyYAML's event stream, in one loop with an explicit stack, and record where every key and
sequence item starts. Plain scalars are resolved by the YAML 1.2 core schema
(:mod:`syncdoctor.kb.yamlcore`: no base 60, no ``_`` in numbers, ``yes``/``no`` are text; ISO
dates still read as dates), only the standard tags are accepted, keys must be unique strings
or integers, nesting and alias expansion are capped, and oversized or binary input is refused
before parsing.

Every refusal is a :class:`~syncdoctor.errors.KnowledgeBaseError` holding one
:class:`~syncdoctor.errors.Problem` with one of these codes:

======  ==========================================================================
KB001   YAML syntax error, several documents in one file, or an unreadable scalar
KB002   nesting deeper than 64 levels (aliases included)
KB003   a tag other than the standard str/int/float/bool/null/timestamp/map/seq
KB004   duplicate key in one mapping
KB005   key that is not a string or an integer (including ``<<`` merge keys)
KB006   alias expansion over budget, or an alias inside the node it names
KB007   file larger than 2 MiB, or too many deeply nested values in it
KB008   not UTF-8 text (undecodable bytes, NUL or other control characters)
KB009   the file cannot be read at all (missing, a directory, no permission)
======  ==========================================================================
"""

from __future__ import annotations

import errno
import os
import pathlib
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Final, NoReturn

from syncdoctor.errors import KnowledgeBaseError, Problem
from syncdoctor.kb.yamlevents import _Builder
from syncdoctor.kb.yamlnodes import (
    MAX_ALIAS_VALUES,
    MAX_BYTES,
    MAX_DEPTH,
    MAX_PATH_STEPS,
    Path_,
    _position_of,
    _source_line,
)

__all__ = [
    "MAX_ALIAS_VALUES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_PATH_STEPS",
    "Located",
    "Path_",
    "load_yaml_file",
    "load_yaml_text",
]


# The same set PyYAML's reader refuses; checking it first lets us say "binary" with a position
# instead of a parser error, and it also catches lone surrogates that cannot be UTF-8.
_NOT_TEXT: Final = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


@dataclass(frozen=True)
class Located:
    """Data loaded from one YAML file, with the position of every key and sequence item.

    Attributes:
        data: Plain Python data: ``dict`` (in file order), ``list``, ``str``, ``int``,
            ``float``, ``bool``, ``None``, :class:`datetime.date` or
            :class:`datetime.datetime`. Aliases share the object of their anchor, as with
            :func:`yaml.safe_load`.
        file: The display name of the file, used in every problem.
        lines: The source lines, without line breaks, for carets.
        marks: 1-based ``(line, column)`` per key path. A mapping entry is marked at its key,
            a sequence item at the start of the item, the root (``()``) at its first
            character. Values reached only through an alias are not marked; :meth:`locate`
            then answers with the alias itself.
    """

    data: Any
    file: str
    lines: tuple[str, ...]
    marks: dict[Path_, tuple[int, int]]

    def locate(self, path: Sequence[str | int]) -> tuple[int, int]:
        """Where ``path`` is written, or its nearest marked ancestor.

        Args:
            path: Key path, e.g. ``("rules", 3, "when")``.

        Returns:
            1-based ``(line, column)``; ``(1, 1)`` when nothing on the path is known (for
            example in an empty file).
        """
        key = tuple(path)
        while True:
            found = self.marks.get(key)
            if found is not None:
                return found
            if not key:
                return (1, 1)
            key = key[:-1]

    def value_at(self, path: Sequence[str | int]) -> tuple[int, int] | None:
        """Where the value of the mapping entry at ``path`` starts, or None if it cannot tell.

        Only keys are marked while reading (marking every value would slow every load for the
        sake of a few errors), so the value is found in the text after its key: on the key's
        line after the colon, or on the next line that holds more than a comment.
        """
        key = tuple(path)
        mark = self.marks.get(key)
        if mark is None or not key or isinstance(key[-1], int):
            return None  # a sequence item is marked where its value starts
        line, column = mark
        if not 0 < line <= len(self.lines):
            return None
        text = self.lines[line - 1]
        after = _after_key(text, column - 1)
        if after is None:
            return None
        rest = text[after:].lstrip(" \t")
        if rest and not rest.startswith("#"):
            return (line, len(text) - len(rest) + 1)
        for number in range(line + 1, min(len(self.lines), line + 50) + 1):
            stripped = self.lines[number - 1].lstrip(" \t")
            if stripped and not stripped.startswith("#"):
                return (number, len(self.lines[number - 1]) - len(stripped) + 1)
        return None

    def problem(
        self,
        code: str,
        message: str,
        path: Sequence[str | int],
        suggestion: str | None = None,
        severity: str = "error",
        *,
        at_value: bool = False,
    ) -> Problem:
        """A :class:`Problem` located at ``path`` in this file.

        Args:
            code: Stable problem code, e.g. ``KB104``.
            message: What is wrong, for a person.
            path: Key path of the offending value; see :meth:`locate`.
            suggestion: A "did you mean" value, if there is one.
            severity: ``"error"`` or ``"warning"``.
            at_value: point at the key's value rather than the key (a wrong value).

        Returns:
            The problem with file, line, column, path and source line filled in.
        """
        found = self.value_at(path) if at_value else None
        line, column = found or self.locate(path)
        return Problem(
            code=code,
            message=message,
            file=self.file,
            line=line,
            column=column,
            path=tuple(path),
            suggestion=suggestion,
            source_line=_source_line(self.lines, line),
            severity=severity,
        )



def _after_key(text: str, start: int) -> int | None:
    """The index just past the colon that ends the key starting at ``text[start]``."""
    index = start
    if text[index : index + 1] in ("'", '"'):
        quote = text[index]
        index += 1
        while index < len(text) and text[index] != quote:
            index += 2 if quote == '"' and text[index] == "\\" else 1
        index += 1  # past the closing quote ('' inside a single-quoted key reopens: rare)
        if text[index : index + 1] == ":":
            return index + 1  # "key":value, as JSON writes it
    while index < len(text):
        if text[index] == ":" and text[index + 1 : index + 2] in ("", " ", "\t", ",", "}", "]"):
            return index + 1
        index += 1
    return None


def _check_text(text: str, file: str) -> tuple[str, tuple[str, ...]]:
    """Refuse oversized or binary text; return it without a BOM, and its lines."""
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        size = len(text.encode("utf-8", "surrogatepass"))
        first = text[: text.find("\n")] if "\n" in text[:4096] else text[:4096]
        _raise_size(file, size, first)
    # The parser skips a leading BOM without counting a column; dropping it keeps carets right.
    text = text.removeprefix("\ufeff")
    lines = tuple(text.splitlines())
    bad = _NOT_TEXT.search(text)
    if bad is not None:
        line, column = _position_of(text, bad.start())
        raise KnowledgeBaseError(
            [
                Problem(
                    code="KB008",
                    message=f"not a UTF-8 text file (character U+{ord(bad.group()):04X}"
                    " is not allowed)",
                    file=file,
                    line=line,
                    column=column,
                    source_line=_source_line(lines, line),
                )
            ]
        )
    return text, lines


def _raise_size(file: str, size: int, first_line: str) -> NoReturn:
    raise KnowledgeBaseError(
        [
            Problem(
                code="KB007",
                message=f"file is {size} bytes; the limit is 2 MiB",
                file=file,
                line=1,
                column=1,
                source_line=_source_line((first_line,), 1),
                details={"limit": str(MAX_BYTES)},
            )
        ]
    )


def load_yaml_text(text: str, file: str) -> Located:
    """Load one YAML document from a string, keeping where every key and item is.

    Args:
        text: The YAML source.
        file: Display name of the file, used in problems.

    Returns:
        The data with its marks. An empty document (or one with only comments) gives
        ``data=None``; deciding whether that is acceptable is the caller's business.

    Raises:
        KnowledgeBaseError: With exactly one located problem (codes KB001 to KB008; see the
            module documentation).
    """
    text, lines = _check_text(text, file)
    builder = _Builder(text, file, lines)
    data = builder.run()
    return Located(data=data, file=file, lines=lines, marks=builder.marks)


_O_CLOEXEC: Final = getattr(os, "O_CLOEXEC", 0)
_FILE_KINDS: Final = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def open_regular_file(path: pathlib.Path) -> BinaryIO:
    """``path`` opened for reading, refused unless it is a regular file (symlinks followed).

    A named pipe would block ``open`` until a writer comes (forever) and a device may never
    end: so the file is opened without blocking and checked with ``fstat`` on the open
    descriptor, which no rename in between can fool.

    Raises:
        OSError: the file cannot be opened, or is not a regular file (``strerror`` says what
            it is instead).
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | _O_CLOEXEC)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a file")
            raise OSError(errno.EINVAL, f"not a regular file ({kind})")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def load_yaml_file(path: pathlib.Path, display: str | None = None) -> Located:
    """Load one YAML document from a UTF-8 file; see :func:`load_yaml_text`.

    The size is checked before the file is read, so a huge file costs nothing.

    Args:
        path: The file to read.
        display: Name to show in problems; defaults to ``str(path)``.

    Returns:
        The data with its marks.

    Raises:
        KnowledgeBaseError: With exactly one located problem; KB009 if the file cannot be
            read at all.
    """
    file = display if display is not None else str(path)
    try:
        with open_regular_file(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_BYTES:
                head = handle.read(4096).decode("utf-8", "replace")
                _raise_size(file, size, head.splitlines()[0] if head else "")
            # Read one byte past the limit in case the file grew since stat().
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise KnowledgeBaseError(
            [
                Problem(
                    code="KB009",
                    message=f"cannot read file: {exc.strerror or exc}",
                    file=file,
                    line=0,
                    column=0,
                )
            ]
        ) from None
    if len(raw) > MAX_BYTES:
        _raise_size(file, len(raw), raw[:4096].decode("utf-8", "replace").split("\n")[0])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Everything before the bad byte decodes, so its length is the character index.
        valid = raw[: exc.start].decode("utf-8")
        shown = raw.decode("utf-8", "replace").removeprefix("\ufeff")
        index = len(valid.removeprefix("\ufeff"))
        line, column = _position_of(shown, index)
        raise KnowledgeBaseError(
            [
                Problem(
                    code="KB008",
                    message=f"not a UTF-8 text file (byte 0x{raw[exc.start]:02X} at offset"
                    f" {exc.start})",
                    file=file,
                    line=line,
                    column=column,
                    source_line=_source_line(tuple(shown.splitlines()), line),
                    details={"offset": str(exc.start)},
                )
            ]
        ) from None
    return load_yaml_text(text, file)
