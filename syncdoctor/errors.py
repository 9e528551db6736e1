"""The exceptions syncdoctor raises, all rooted at one class.

The tree::

    SyncdoctorError                 anything syncdoctor raises on purpose
    ├── KnowledgeBaseError          a KB file or folder is wrong (one or many located problems)
    ├── FactError                   a case fact is unknown, of the wrong type or out of range
    ├── PackError                   a pack id that the knowledge base does not have
    ├── CaseFileError               a case file (YAML/JSON) that cannot be read
    ├── RequestError                a tool call or HTTP request of the wrong shape (fields named)
    └── EngineError                 the inference engine failed (a bug, never a user mistake)
        └── CapacityError           a ruleset would exceed what durable_rules can build

Every error carries structured fields so that the CLI, the HTTP service and chatbots can show
them without parsing the message: ``to_dict()`` gives them as JSON data, and each class says
the process exit code (``exit_code``) and the HTTP status (``http_status``) it stands for, so
that every door answers the same mistake the same way.

========================  =========  ===========
class                     exit_code  http_status
========================  =========  ===========
KnowledgeBaseError        2          422
FactError                 2          422
PackError                 2          404
CaseFileError             2          400
RequestError              2          422
EngineError               3          500
CapacityError             3          500
========================  =========  ===========
"""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from syncdoctor.types import JsonValue

EXIT_FINDINGS = 1
"""Exit code of a check that ran and found something (``kb lint``, ``kb test``)."""
ECHO_LIMIT = 60
"""Longest echo, in characters, of a value or an id that came from the caller."""
MESSAGE_LIMIT = 2_000
"""Longest message an error carries; past it the message is cut (its head names the problem)."""
REDACTED = "***"
"""What is shown in place of the value of a fact marked ``secret: true``."""


class _BoundedRepr(reprlib.Repr):
    """reprlib with every level bounded: nesting, items, strings and the digits of integers."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxstring = ECHO_LIMIT
        self.maxother = ECHO_LIMIT
        self.maxlong = ECHO_LIMIT

    def repr_int(self, x: int, level: int) -> str:
        # repr() of an integer past 4,300 digits raises ValueError; say its size instead.
        if x.bit_length() > 512:
            return f"<an integer of about {int(x.bit_length() * 0.30103)} digits>"
        return super().repr_int(x, level)


_REPR = _BoundedRepr()


def describe(value: object, limit: int = ECHO_LIMIT) -> str:
    """A short, safe description of any value the caller gave: it never raises.

    Deep nesting, huge integers, lone surrogates and objects whose ``repr`` fails are all
    described in at most ``limit`` characters (plus an ellipsis).
    """
    try:
        text = _REPR.repr(value)
    except Exception:  # a hostile __repr__ or a recursion: name the type, nothing else
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: max(limit - 3, 1)] + "..."


def echo_id(name: object) -> str:
    """An id the caller gave, as it may be echoed: itself when it is short text, else described."""
    return name if isinstance(name, str) and len(name) <= 200 else describe(name, 200)


def quoted_id(name: object) -> str:
    """An id for a message: quoted whole when it is text of at most 200 characters."""
    return repr(name) if isinstance(name, str) and len(name) <= 200 else describe(name, 200)


_SHOWN_LINE = 200
"""The most of a source line a problem shows."""


def bounded(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, so that no echo of caller data is unbounded."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SyncdoctorError(Exception):
    """Root of every exception syncdoctor raises on purpose."""

    exit_code: ClassVar[int] = 2
    """The process exit code a command ends with on this error."""
    http_status: ClassVar[int] = 400
    """The HTTP status a service answers this error with."""

    def to_dict(self) -> dict[str, JsonValue]:
        """The error as JSON data: its kind, its message and its structured fields."""
        return {"error": type(self).__name__, "message": str(self), **self._fields()}

    def to_client_dict(self) -> dict[str, JsonValue]:
        """:meth:`to_dict` as a caller of the tools or the service may read it.

        An error whose message also speaks to whoever runs syncdoctor (a store's path, a command
        to type) leaves that out here.
        """
        return self.to_dict()

    def _fields(self) -> dict[str, JsonValue]:
        return {}


@dataclass(frozen=True)
class Problem:
    """One located problem in a knowledge-base file."""

    code: str
    message: str
    file: str = "<unknown>"
    line: int = 0
    column: int = 0
    path: tuple[str | int, ...] = ()
    suggestion: str | None = None
    source_line: str | None = None
    severity: str = "error"
    details: dict[str, str] = field(default_factory=dict)

    @property
    def key_path(self) -> str:
        """The key path in dotted form, e.g. ``rules[3].when.all[0].fact``."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out

    def headline(self) -> str:
        """One line: ``file:line:col: CODE message (at key.path) (did you mean 'x'?)``.

        A problem of a whole file or folder (no line: a folder that is not there) names it
        alone, not ``file:0:0``.
        """
        where = f"{self.file}:{self.line}:{self.column}" if self.line > 0 else self.file
        text = f"{where}: {self.code} {bounded(self.message)}"
        if self.path:  # keys come from the file: a megabyte-long key is shown cut
            text += f" (at {bounded(self.key_path, 200)})"
        hint = f" (did you mean {self.suggestion!r}?)"
        if self.suggestion and hint.strip() not in self.message:  # some messages say it already
            text += hint
        return text

    def to_dict(self) -> dict[str, JsonValue]:
        """The problem as JSON data."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": bounded(self.message),
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": bounded(self.key_path, 200),
            "suggestion": self.suggestion,
            "source_line": None if self.source_line is None else self._window()[0],
            # Where the caret goes in source_line (it is a window of a long line).
            "source_column": None if self.source_line is None else self._window()[1] + 1,
        }

    def _window(self) -> tuple[str, int]:
        """The source line as shown, and where the caret goes in it.

        A long line shows its 200 characters around the column: a minified file's one line can
        be megabytes.
        """
        line = (self.source_line or "").rstrip("\n")
        column = max(self.column - 1, 0)
        if len(line) <= _SHOWN_LINE:
            return line, column
        start = max(0, min(column - _SHOWN_LINE // 2, len(line) - _SHOWN_LINE))
        shown = line[start:start + _SHOWN_LINE]
        before = "…" if start else ""
        after = "…" if start + _SHOWN_LINE < len(line) else ""
        return before + shown + after, column - start + len(before)

    def render(self) -> str:
        """The headline, then the offending line with a caret under the column."""
        lines = [self.headline()]
        if self.source_line is not None and self.line > 0:
            shown, caret_at = self._window()
            gutter = f"{self.line:>5} | "
            lines.append(gutter + shown)
            lines.append(" " * (len(gutter) - 2) + "| " + " " * caret_at + "^")
        return "\n".join(lines)


class KnowledgeBaseError(SyncdoctorError):
    """A knowledge base that cannot load; ``problems`` lists every located problem found."""

    http_status = 422

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        first = self.problems[0].headline() if self.problems else "invalid knowledge base"
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more != 1 else ''})" if more > 0 else ""
        super().__init__(first + suffix)

    @property
    def file(self) -> str:
        """File of the first problem."""
        return self.problems[0].file if self.problems else "<unknown>"

    @property
    def line(self) -> int:
        """Line of the first problem."""
        return self.problems[0].line if self.problems else 0

    @property
    def column(self) -> int:
        """Column of the first problem."""
        return self.problems[0].column if self.problems else 0

    @property
    def code(self) -> str:
        """Stable code of the first problem, e.g. ``KB104``."""
        return self.problems[0].code if self.problems else "KB100"

    @property
    def suggestion(self) -> str | None:
        """The "did you mean" of the first problem, if any."""
        return self.problems[0].suggestion if self.problems else None

    def render(self) -> str:
        """Every problem, each with its source line and caret."""
        return "\n\n".join(problem.render() for problem in self.problems)

    def _fields(self) -> dict[str, JsonValue]:
        return {"problems": [problem.to_dict() for problem in self.problems]}


_NOT_FACTS = frozenset({"now", "unknown", "not_fixed", "cause", "message", "facts"})
"""The arguments a FactError may be about that are no fact: its message names them bare."""


class FactError(SyncdoctorError):
    """A case fact that is unknown to the pack, of the wrong type, or out of range.

    Also the case's other inputs, checked the same way: the clock (``now``), the ``unknown``
    list, the causes reported (``not_fixed``, ``cause``), a pasted ``message``. The message
    then reads "now: ...", not "fact 'now': ...".
    """

    http_status = 422

    def __init__(
        self,
        fact: str,
        message: str,
        *,
        expected: str | None = None,
        value: object = None,
        suggestion: str | None = None,
    ) -> None:
        # Ids and values come from the caller: each echo of them is bounded.
        self.fact = echo_id(fact)
        self.expected = expected
        self.value = None if value is None else describe(value) if not isinstance(
            value, str) else bounded(value, 200)
        self.suggestion = suggestion
        self.field: str | None = None
        """The request field at fault, when it is not ``facts.<fact>`` (an answer's ``fact``
        or ``value``); the tools' problems name it."""
        self.also: tuple[FieldProblem, ...] = ()
        """The request's other wrong facts, when a door checked them all (the tools')."""
        subject = fact if fact in _NOT_FACTS else f"fact {quoted_id(fact)}"
        text = f"{subject}: {bounded(message)}"
        if suggestion:
            text += f" (did you mean {suggestion!r}?)"
        super().__init__(text)

    def _fields(self) -> dict[str, JsonValue]:
        shown = None if self.value is None else str(self.value)
        return {"fact": self.fact, "expected": self.expected, "value": shown,
                "suggestion": self.suggestion}


class PackError(SyncdoctorError):
    """A pack id that the knowledge base does not have."""

    http_status = 404

    def __init__(self, pack: object, known: Sequence[str], suggestion: str | None = None) -> None:
        self.pack = echo_id(pack)
        self.known = tuple(known)
        self.suggestion = suggestion
        text = f"unknown pack {quoted_id(pack)}; known packs: {', '.join(self.known) or 'none'}"
        if suggestion:
            text += f" (did you mean {suggestion!r}?)"
        super().__init__(text)

    def _fields(self) -> dict[str, JsonValue]:
        return {"pack": self.pack, "known": list(self.known), "suggestion": self.suggestion}


class CaseFileError(SyncdoctorError):
    """A case file that cannot be read or parsed."""

    def __init__(
        self,
        file: str,
        message: str,
        line: int = 0,
        column: int = 0,
        problems: Sequence[Problem] = (),
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.problems: tuple[Problem, ...] = tuple(problems)
        """Every located problem, when the case's shape is wrong."""
        where = f"{file}:{line}:{column}" if line else file
        super().__init__(f"{where}: {bounded(message)}")

    @classmethod
    def from_problems(cls, file: str, problems: Sequence[Problem]) -> CaseFileError:
        """One error for every problem of a case file, located at the first."""
        first = problems[0]
        message = f"{first.key_path}: {first.message}" if first.path else first.message
        more = len(problems) - 1
        if more:
            message += f" (and {more} more problem{'s' if more != 1 else ''}: " + "; ".join(
                f"{p.key_path}: {p.message}" for p in problems[1:]
            ) + ")"
        return cls(file, message, first.line, first.column, problems)

    def _fields(self) -> dict[str, JsonValue]:
        return {"file": self.file, "line": self.line, "column": self.column,
                "problems": [problem.to_dict() for problem in self.problems]}


class EngineError(SyncdoctorError):
    """The inference engine failed; this is a defect, never the user's mistake."""

    exit_code = 3
    http_status = 500


class CapacityError(EngineError):
    """A ruleset that durable_rules could not build (it would hang or run out of room)."""


@dataclass(frozen=True)
class FieldProblem:
    """One wrong field of a request: where, what is wrong, what was expected."""

    field: str
    """The field's path, dotted: ``facts``, ``include[1]``, ``cause``."""
    message: str
    expected: str | None = None
    suggestion: str | None = None

    def to_dict(self) -> dict[str, JsonValue]:
        """The problem as JSON data."""
        return {"field": self.field, "message": self.message, "expected": self.expected,
                "suggestion": self.suggestion}


class RequestError(SyncdoctorError):
    """A tool call or HTTP request whose fields are missing, mistyped or name nothing known.

    ``problems`` names every wrong field; a chatbot reads them to correct its next call.
    """

    http_status = 422

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        first = self.problems[0] if self.problems else FieldProblem("", "invalid request")
        text = f"{first.field}: {first.message}" if first.field else first.message
        if first.suggestion:
            text += f" (did you mean {first.suggestion!r}?)"
        more = len(self.problems) - 1
        if more > 0:
            text += f" (and {more} more problem{'s' if more != 1 else ''})"
        super().__init__(text)

    def _fields(self) -> dict[str, JsonValue]:
        return {"problems": [problem.to_dict() for problem in self.problems]}
