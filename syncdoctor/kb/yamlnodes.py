"""The building blocks of the YAML reader: limits, positions and the event loop's rare cases.

Tags, keys, anchors and aliases each have their refusal here.

:mod:`syncdoctor.kb.yamlevents` drives the loop; :mod:`syncdoctor.kb.yamlfile` is the door.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, NoReturn

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent

from syncdoctor.errors import describe
from syncdoctor.kb.credentials import mask_credentials, shown_value
from syncdoctor.kb.yamlcore import _SCALAR_BUILDERS, _TAG_PREFIX, CoreResolver

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

_STR: Final = _TAG_PREFIX + "str"
_NULL: Final = _TAG_PREFIX + "null"
_MAP: Final = _TAG_PREFIX + "map"
_SEQ: Final = _TAG_PREFIX + "seq"
_MERGE: Final = _TAG_PREFIX + "merge"


_RESOLVER: Final = CoreResolver()
# Resolver.resolve is untyped in the stubs; this is its real signature.
_RESOLVE: Final[Callable[[type[yaml.Node], str, tuple[bool, bool]], str]] = _RESOLVER.resolve


def _short_tag(tag: str) -> str:
    """Write a standard tag the way authors type it (``!!int``)."""
    return "!!" + tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else tag


def _source_line(lines: Sequence[str], line: int) -> str:
    """The 1-based ``line`` of ``lines`` as an error shows it (``""`` past the end).

    Its credentials are masked: a case file's line may hold a pasted token, and an error is
    printed, logged and returned. (A caret after a masked token may then stand a few columns
    off; the headline's column is the file's.)
    """
    return mask_credentials(lines[line - 1]) if 0 < line <= len(lines) else ""


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



class _NodeRules:
    """The rare cases of the event loop: everything but plain keys, scalars and items.

    :class:`~syncdoctor.kb.yamlevents._Builder` holds the state and the error methods.
    """

    marks: dict[Path_, tuple[int, int]]
    stack: list[_Frame]
    root: Any
    anchors: dict[str, tuple[Any, int, int, int]]
    open_anchors: dict[str, int]
    expanded: int
    steps: int

    def fail(
        self,
        code: str,
        message: str,
        where: tuple[int, int],
        path: Path_ = (),
        details: dict[str, str] | None = None,
    ) -> NoReturn:
        raise NotImplementedError

    def too_many(self, where: tuple[int, int], path: Path_) -> NoReturn:
        raise NotImplementedError

    def construct(
        self, tag: str, event: ScalarEvent, where: tuple[int, int], frame: _Frame | None
    ) -> Any:
        """Build a non-string scalar of a standard tag (as yamlcore reads it), or refuse it."""
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
            if tag.endswith(":timestamp") and event.tag is None:
                # A plain scalar that only looks like a date (2024-05-32): text, as YAML 1.2's
                # core schema reads every date. What reads the field then says what is wrong,
                # at its place, beside the file's other problems (a KB001 hid them all).
                return value
            reason = f" ({describe(str(exc), 120)})" if isinstance(exc, ValueError) else ""
            self.fail(
                "KB001",
                f"YAML value error: {shown_value(value)} is not a valid "
                f"{_short_tag(tag)[2:]}{reason}",
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
