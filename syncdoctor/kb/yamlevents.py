"""The event loop of the YAML reader: one document's events to plain data and marks.

The loop handles the frequent cases inline; :class:`~syncdoctor.kb.yamlnodes._NodeRules` the
rare ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, NoReturn

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from syncdoctor.errors import KnowledgeBaseError, Problem
from syncdoctor.kb.yamlnodes import (
    _RESOLVE,
    _RESOLVER,
    _STR,
    MAX_PATH_STEPS,
    Path_,
    _Frame,
    _NodeRules,
    _position_of,
    _source_line,
)

# libyaml is an order of magnitude faster; the pure-Python parser yields the same events.
_LOADER: Final[type[yaml.SafeLoader] | type[yaml.CSafeLoader]] = (
    yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
)



class _Builder(_NodeRules):
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
        self.fail("KB001", f"YAML syntax error: {problem}{_what_to_do(problem)}", where,
                  details=details)

    # -- the event loop ------------------------------------------------------------------

    def run(self) -> Any:
        """Build the document; the loader is driven directly so it is always disposed."""
        try:
            self._parse(_LOADER)
        except yaml.YAMLError as exc:
            if _LOADER is yaml.SafeLoader:
                self.yaml_error(exc)
            # libyaml refuses some files for reasons of its own, and its scanner reads ahead
            # (its nesting limit, 1,000, can trip before our MAX_DEPTH sees the 65th level).
            # The pure-Python parser yields the same events one at a time, so parsing the bad
            # file again with it gives the one canonical, located error, whatever libyaml's
            # version. Only refused files pay for this.
            again = _Builder(self.text, self.file, self.lines)
            try:
                again._parse(yaml.SafeLoader)
            except yaml.YAMLError as pure_exc:
                again.yaml_error(pure_exc)
            self.yaml_error(exc)  # the pure parser accepted it: report libyaml's own refusal
        return self.root

    def _parse(self, loader_class: type[yaml.SafeLoader] | type[yaml.CSafeLoader]) -> None:
        loader = loader_class(self.text)
        try:
            self._loop(loader.get_event)
        finally:
            loader.dispose()

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


_HINTS = (
    ("found character '\\t' that cannot start any token", "a tab: indent YAML with spaces"),
    ("expected <block end>", "this line's indentation does not match the lines above it"),
    ("mapping values are not allowed here",
     "a ': ' inside a value: put the value in quotes"),
    ("could not find expected ':'", "a key without ':', or a value that runs onto this line"),
    ("found undefined alias", "an alias (*name) with no anchor (&name) before it"),
)
"""PyYAML's wording of the common mistakes, and what the author should do about each."""


def _what_to_do(problem: str) -> str:
    return next((f" ({hint})" for wording, hint in _HINTS if wording in problem), "")
