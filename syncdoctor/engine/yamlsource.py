"""Safe, location-keeping YAML reading for knowledge-base files.

Knowledge-base files are written by people and reviewed in pull requests, so a mistake has to
come back as ``file:line:col`` with the offending line, never as a traceback. They may also come
from people we do not trust, so reading one must be bounded in time and memory whatever it holds.

:func:`load_yaml_text` and :func:`load_yaml_file` therefore build plain Python data straight from
PyYAML's event stream, in one loop with an explicit stack, and record where every key and
sequence item starts. Scalars are resolved and constructed exactly as :func:`yaml.safe_load`
would, but only the standard YAML 1.1 tags are accepted, keys must be unique strings or integers,
nesting and alias expansion are capped, and oversized or binary input is refused before parsing.

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

import pathlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NoReturn

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from syncdoctor.errors import KnowledgeBaseError, Problem

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

Path_ = tuple[str | int, ...]
"""A key path into the loaded data: mapping keys and sequence indexes, outermost first."""

MAX_DEPTH: Final = 64
"""Deepest allowed nesting of mappings and sequences; the root collection is level 1."""

MAX_ALIAS_VALUES: Final = 200_000
"""How many values aliases may add to a document in total (keys, scalars and collections)."""

MAX_BYTES: Final = 2 * 1024 * 1024
"""Largest accepted file, in bytes of UTF-8."""

MAX_PATH_STEPS: Final = 4_000_000
"""Total length of all recorded key paths in one file.

Every key and item costs memory and time in proportion to its depth, so 2 MiB of one-character
items at depth 63 would need gigabytes of paths; ordinary files stay far below this.
"""

# libyaml is an order of magnitude faster; the pure-Python parser yields the same events.
_LOADER: Final[type[yaml.SafeLoader] | type[yaml.CSafeLoader]] = (
    yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
)

_TAG_PREFIX: Final = "tag:yaml.org,2002:"
_LIBYAML_DEPTH_LIMIT: Final = "maximum nesting depth"
"""How libyaml words its own nesting refusal ("exceeded maximum nesting depth")."""
_STR: Final = _TAG_PREFIX + "str"
_NULL: Final = _TAG_PREFIX + "null"
_MAP: Final = _TAG_PREFIX + "map"
_SEQ: Final = _TAG_PREFIX + "seq"
_MERGE: Final = _TAG_PREFIX + "merge"

# The same set PyYAML's reader refuses; checking it first lets us say "binary" with a position
# instead of a parser error, and it also catches lone surrogates that cannot be UTF-8.
_NOT_TEXT: Final = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)

# Resolver.resolve is untyped in the stubs; this is its real signature.
_RESOLVER: Final = yaml.resolver.Resolver()
_RESOLVE: Final[Callable[[type[yaml.Node], str, tuple[bool, bool]], str]] = _RESOLVER.resolve
_CONSTRUCTOR: Final = yaml.constructor.SafeConstructor()

# Only these scalar tags are constructed; each maps to what SafeConstructor itself would call.
_SCALAR_BUILDERS: Final[dict[str, Callable[[yaml.ScalarNode], Any]]] = {
    _TAG_PREFIX + "int": _CONSTRUCTOR.construct_yaml_int,
    _TAG_PREFIX + "float": _CONSTRUCTOR.construct_yaml_float,
    _TAG_PREFIX + "bool": _CONSTRUCTOR.construct_yaml_bool,
    _TAG_PREFIX + "timestamp": _CONSTRUCTOR.construct_yaml_timestamp,
}


def _short_tag(tag: str) -> str:
    """Write a standard tag the way authors type it (``!!int``)."""
    return "!!" + tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else tag


def _source_line(lines: Sequence[str], line: int) -> str:
    """The 1-based ``line`` of ``lines``, or ``""`` past the end (errors at end of file)."""
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _position_of(text: str, index: int) -> tuple[int, int]:
    r"""1-based (line, column) of character ``index``, counting breaks as :meth:`str.splitlines`.

    Using the same notion of a line break as the ``lines`` we keep makes the caret land on the
    right character even for ``\r``-only or NEL line endings.
    """
    start = 0
    line = 1
    for piece in text.splitlines(keepends=True):
        if start + len(piece) > index:
            break
        start += len(piece)
        line += 1
    return line, index - start + 1


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

    def problem(
        self,
        code: str,
        message: str,
        path: Sequence[str | int],
        suggestion: str | None = None,
        severity: str = "error",
    ) -> Problem:
        """A :class:`Problem` located at ``path`` in this file.

        Args:
            code: Stable problem code, e.g. ``KB104``.
            message: What is wrong, for a person.
            path: Key path of the offending value; see :meth:`locate`.
            suggestion: A "did you mean" value, if there is one.
            severity: ``"error"`` or ``"warning"``.

        Returns:
            The problem with file, line, column, path and source line filled in.
        """
        line, column = self.locate(path)
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


class _Frame:
    """One open mapping or sequence while the tree is being built."""

    __slots__ = (
        "anchor",
        "child_steps",
        "container",
        "count",
        "height",
        "is_map",
        "key",
        "path",
        "want_key",
    )

    def __init__(
        self, container: dict[Any, Any] | list[Any], path: Path_, anchor: str | None
    ) -> None:
        self.container = container
        self.path = path
        self.anchor = anchor
        self.is_map = isinstance(container, dict)
        self.want_key = True
        self.key: str | int = ""
        # Size and height of the finished subtree are what an alias to it would add.
        self.count = 1
        self.height = 1
        self.child_steps = len(path) + 1


def _kind(is_map: bool) -> str:
    return "mapping" if is_map else "sequence"


class _Builder:
    """Turns one document's event stream into plain data plus marks, without recursion.

    The loop in :meth:`run` handles the frequent cases (plain keys, scalar values, items)
    inline because a 1 MB file is a quarter of a million events; everything rare (tags,
    anchors, aliases, errors) goes through methods.
    """

    def __init__(self, text: str, file: str, lines: tuple[str, ...]) -> None:
        self.text = text
        self.file = file
        self.lines = lines
        self.marks: dict[Path_, tuple[int, int]] = {}
        self.stack: list[_Frame] = []
        self.root: Any = None
        # Finished anchors: value, values in it, nesting height, line of definition.
        self.anchors: dict[str, tuple[Any, int, int, int]] = {}
        self.open_anchors: dict[str, int] = {}
        self.expanded = 0
        self.steps = 0

    # -- errors --------------------------------------------------------------------------

    def fail(
        self,
        code: str,
        message: str,
        where: tuple[int, int],
        path: Path_ = (),
        details: dict[str, str] | None = None,
    ) -> NoReturn:
        line, column = where
        raise KnowledgeBaseError(
            [
                Problem(
                    code=code,
                    message=message,
                    file=self.file,
                    line=line,
                    column=column,
                    path=path,
                    source_line=_source_line(self.lines, line),
                    details=details or {},
                )
            ]
        )

    def too_many(self, where: tuple[int, int], path: Path_) -> NoReturn:
        self.fail(
            "KB007",
            f"too many deeply nested values (over {MAX_PATH_STEPS:,} key-path steps);"
            " split the file",
            where,
            path,
            details={"limit": str(MAX_PATH_STEPS)},
        )

    def yaml_error(self, exc: yaml.YAMLError) -> NoReturn:
        where = (1, 1)
        details: dict[str, str] = {}
        problem: str | None = None
        if isinstance(exc, yaml.MarkedYAMLError):
            mark = exc.problem_mark or exc.context_mark
            if mark is not None:
                where = (mark.line + 1, mark.column + 1)
            problem = exc.problem or exc.context
            if exc.context and exc.context_mark is not None:
                details["context"] = exc.context
                details["context_line"] = str(exc.context_mark.line + 1)
        elif isinstance(exc, yaml.reader.ReaderError):
            if isinstance(exc.position, int):
                where = _position_of(self.text, exc.position)
            problem = str(exc.reason)
        if not problem:
            problem = (str(exc).splitlines() or [type(exc).__name__])[0]
        if _LIBYAML_DEPTH_LIMIT in problem:
            # libyaml (0.2.5+) has a nesting limit of its own and its scanner reads ahead, so on
            # some versions it trips before our MAX_DEPTH is reached: same refusal, same code.
            self.fail("KB002", f"nesting deeper than {MAX_DEPTH} levels", where, details=details)
        self.fail("KB001", f"YAML syntax error: {problem}", where, details=details)

    # -- the event loop ------------------------------------------------------------------

    def run(self) -> Any:
        """Build the document; the loader is driven directly so it is always disposed."""
        loader = _LOADER(self.text)
        try:
            self._loop(loader.get_event)
        except yaml.YAMLError as exc:
            self.yaml_error(exc)
        finally:
            loader.dispose()
        return self.root

    def _loop(self, next_event: Callable[[], Any]) -> None:
        marks = self.marks
        resolvers = _RESOLVER.yaml_implicit_resolvers
        # Resolver.resolve only ever returns str for a plain scalar whose first character has
        # no implicit resolver; skipping the call for those is the main speed-up.
        plain_first = frozenset(k for k in resolvers if k) if None not in resolvers else None
        # Plain scalars that do resolve (numbers, booleans, dates, keys such as "name") repeat
        # a lot; every value built from them is immutable, so one build per spelling is enough.
        plain_cache: dict[str, tuple[str, Any]] = {}
        frame: _Frame | None = None
        documents = 0
        while True:
            event = next_event()
            kind = type(event)
            if kind is ScalarEvent:
                mark = event.start_mark
                where = (mark.line + 1, mark.column + 1)
                tag = event.tag
                value = event.value
                if tag is not None and tag != "!":
                    data = value if tag == _STR else self.construct(tag, event, where, frame)
                elif not event.implicit[0] or (
                    value and plain_first is not None and value[0] not in plain_first
                ):
                    tag = _STR
                    data = value
                else:
                    cached = plain_cache.get(value)
                    if cached is None:
                        tag = _RESOLVE(yaml.ScalarNode, value, event.implicit)
                        data = value if tag == _STR else self.construct(tag, event, where, frame)
                        plain_cache[value] = (tag, data)
                    else:
                        tag, data = cached
                if event.anchor is not None:
                    self.check_anchor(event.anchor, where)
                    self.anchors[event.anchor] = (data, 1, 0, where[0])
                if frame is None:
                    marks[()] = where
                    self.root = data
                elif frame.is_map:
                    if frame.want_key:
                        path = (*frame.path, data)
                        if tag == _STR and path not in marks:
                            marks[path] = where
                            self.steps += frame.child_steps
                            if self.steps > MAX_PATH_STEPS:
                                self.too_many(where, path)
                            frame.key = data
                            frame.want_key = False
                            frame.count += 1
                        else:
                            self.take_key(frame, data, tag, value, where)
                    else:
                        frame.container[frame.key] = data  # type: ignore[index]
                        frame.want_key = True
                        frame.count += 1
                else:
                    items = frame.container
                    path = (*frame.path, len(items))
                    marks[path] = where
                    items.append(data)  # type: ignore[union-attr]
                    frame.count += 1
                    self.steps += frame.child_steps
                    if self.steps > MAX_PATH_STEPS:
                        self.too_many(where, path)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                frame = self.start(event, kind is MappingStartEvent, frame)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = self.end()
            elif kind is AliasEvent:
                self.alias(event, frame)
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    mark = event.start_mark
                    self.fail(
                        "KB001",
                        "only one YAML document per file",
                        (mark.line + 1, mark.column + 1),
                    )
            elif event is None or kind is StreamEndEvent:
                return

    # -- rare cases ----------------------------------------------------------------------

    def construct(
        self, tag: str, event: ScalarEvent, where: tuple[int, int], frame: _Frame | None
    ) -> Any:
        """Build a non-string scalar exactly as SafeConstructor would, or refuse its tag."""
        value = event.value
        path = frame.path if frame is not None else ()
        if tag == _NULL:
            return None
        builder = _SCALAR_BUILDERS.get(tag)
        if builder is None:
            if tag == _MERGE and frame is not None and frame.is_map and frame.want_key:
                return None  # take_key refuses merge keys with a clearer message
            if event.tag is None or event.tag == "!":
                # Only a plain '=' or '<<' resolves to a tag that safe_load cannot build.
                self.fail(
                    "KB001",
                    f"YAML value error: a plain {value!r} has a special meaning in YAML 1.1;"
                    " quote it",
                    where,
                    path,
                )
            kind = " on a scalar" if tag in (_MAP, _SEQ) else ""
            self.fail("KB003", f"tag {_short_tag(tag)!r} is not allowed{kind}", where, path)
        # The builders only read the value; marks would matter only for their own error texts.
        node = yaml.ScalarNode(tag, value, style=event.style)
        try:
            return builder(node)
        # SafeConstructor reports bad literals as ValueError, KeyError or AttributeError.
        except Exception as exc:
            reason = f" ({exc})" if isinstance(exc, ValueError) else ""
            self.fail(
                "KB001",
                f"YAML value error: {value!r} is not a valid {_short_tag(tag)[2:]}{reason}",
                where,
                path,
            )

    def take_key(
        self, frame: _Frame, key: Any, tag: str, text: str | None, where: tuple[int, int]
    ) -> None:
        """Accept ``key`` as the next key of ``frame``, or explain why it cannot be one."""
        if tag == _MERGE:
            self.fail(
                "KB005",
                "merge keys ('<<') are not supported; write the keys out",
                where,
                frame.path,
            )
        if isinstance(key, bool) or not isinstance(key, str | int):
            shown = "an empty key" if text == "" else repr(key if text is None else text)
            read_as = "null" if key is None else f"a {type(key).__name__}"
            self.fail(
                "KB005",
                f"key {shown} is read as {read_as}; keys must be strings or integers (quote it)",
                where,
                frame.path,
            )
        path = (*frame.path, key)
        first = self.marks.get(path)
        if first is not None:
            self.fail("KB004", f"duplicate key {key!r} (first at line {first[0]})", where, path)
        self.marks[path] = where
        self.steps += frame.child_steps
        if self.steps > MAX_PATH_STEPS:
            self.too_many(where, path)
        frame.key = key
        frame.want_key = False
        frame.count += 1

    def check_anchor(self, anchor: str, where: tuple[int, int]) -> None:
        """Refuse a redefined anchor, as :func:`yaml.safe_load` does."""
        known = self.anchors.get(anchor)
        first = known[3] if known is not None else self.open_anchors.get(anchor)
        if first is not None:
            self.fail(
                "KB001",
                f"YAML syntax error: found duplicate anchor {anchor!r} (first at line {first})",
                where,
            )

    def start(self, event: CollectionStartEvent, is_map: bool, parent: _Frame | None) -> _Frame:
        mark = event.start_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        path_hint = parent.path if parent is not None else ()
        expected = _MAP if is_map else _SEQ
        tag = event.tag
        if tag is not None and tag != "!" and tag != expected:
            known = tag in _SCALAR_BUILDERS or tag in (_STR, _NULL, _MAP, _SEQ)
            suffix = f" on a {_kind(is_map)}" if known else ""
            self.fail("KB003", f"tag {_short_tag(tag)!r} is not allowed{suffix}", where, path_hint)
        if parent is not None and parent.is_map and parent.want_key:
            self.fail(
                "KB005",
                f"a {_kind(is_map)} cannot be a key; keys are strings or integers",
                where,
                path_hint,
            )
        if len(self.stack) >= MAX_DEPTH:
            self.fail("KB002", f"nesting deeper than {MAX_DEPTH} levels", where, path_hint)
        if event.anchor is not None:
            self.check_anchor(event.anchor, where)
            self.open_anchors[event.anchor] = where[0]
        container: dict[Any, Any] | list[Any] = {} if is_map else []
        path = self.place(parent, container, where)
        frame = _Frame(container, path, event.anchor)
        self.stack.append(frame)
        return frame

    def place(self, parent: _Frame | None, value: Any, where: tuple[int, int]) -> Path_:
        """Put a value (never a key) into ``parent`` and return its path."""
        if parent is None:
            self.marks[()] = where
            self.root = value
            return ()
        container = parent.container
        if isinstance(container, dict):
            container[parent.key] = value
            parent.want_key = True
            return (*parent.path, parent.key)
        path = (*parent.path, len(container))
        self.marks[path] = where
        container.append(value)
        self.steps += parent.child_steps
        if self.steps > MAX_PATH_STEPS:
            self.too_many(where, path)
        return path

    def end(self) -> _Frame | None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            line = self.open_anchors.pop(frame.anchor)
            self.anchors[frame.anchor] = (frame.container, frame.count, frame.height, line)
        if not self.stack:
            return None
        parent = self.stack[-1]
        parent.count += frame.count
        parent.height = max(parent.height, frame.height + 1)
        return parent

    def alias(self, event: AliasEvent, parent: _Frame | None) -> None:
        mark = event.start_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        path_hint = parent.path if parent is not None else ()
        name = event.anchor or ""
        target = self.anchors.get(name)
        if target is None:
            if name in self.open_anchors:
                self.fail(
                    "KB006",
                    f"alias '*{name}' is inside the node it refers to (recursive YAML)",
                    where,
                    path_hint,
                )
            self.fail(
                "KB001", f"YAML syntax error: found undefined alias {name!r}", where, path_hint
            )
        value, count, height, _line = target
        # Counting the anchored subtree's size per alias bounds the expanded tree without
        # ever building it: shared references keep memory linear in the file.
        self.expanded += count
        if self.expanded > MAX_ALIAS_VALUES:
            self.fail(
                "KB006",
                "alias expansion too large (YAML alias bomb?)",
                where,
                path_hint,
                details={"limit": str(MAX_ALIAS_VALUES)},
            )
        if len(self.stack) + height > MAX_DEPTH:
            self.fail(
                "KB002",
                f"nesting deeper than {MAX_DEPTH} levels (through alias '*{name}')",
                where,
                path_hint,
            )
        if parent is not None and parent.is_map and parent.want_key:
            if isinstance(value, dict | list):
                self.fail(
                    "KB005",
                    f"a {_kind(isinstance(value, dict))} cannot be a key;"
                    " keys are strings or integers",
                    where,
                    path_hint,
                )
            self.take_key(parent, value, _STR, None, where)
            return
        self.place(parent, value, where)
        if parent is not None:
            parent.count += count
            parent.height = max(parent.height, height + 1)


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
                source_line=first_line,
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
        size = path.stat().st_size
        with path.open("rb") as handle:
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
