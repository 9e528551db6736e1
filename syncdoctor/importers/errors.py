"""The errors of reading exports: a file, its rows, a mapping, or the missing polars extra.

::

    SyncdoctorError
    ├── ExportError          an export (CSV, JSON, NDJSON, XLSX) or a mapping file that cannot
    │                        be read, or rows that do not parse: every problem at file:line
    └── ExtraMissingError    `syncdoctor reconcile` without the reconcile extra (polars)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from syncdoctor.errors import Problem, SyncdoctorError, bounded
from syncdoctor.types import JsonValue

__all__ = ["ROWS_SHOWN", "ExportError", "ExtraMissingError", "RowProblem", "require_polars"]

ROWS_SHOWN = 20
"""At most this many bad rows are listed one by one; the rest are counted."""


@dataclass(frozen=True)
class RowProblem:
    """One row that does not parse: where it is, which field, what is wrong."""

    where: str
    """``ui.csv:12`` (file:line), ``ui.xlsx[Transactions]:5`` (sheet row), ``hub.json:$[41]``."""
    field: str
    message: str

    def headline(self) -> str:
        """``where: field: message``."""
        return f"{self.where}: {self.field}: {bounded(self.message, 300)}"

    def to_dict(self) -> dict[str, JsonValue]:
        """The problem as JSON data."""
        return {"where": self.where, "field": self.field, "message": bounded(self.message, 300)}


class ExportError(SyncdoctorError):
    """An export or a mapping that cannot be used; ``problems`` locates each one."""

    http_status = 422

    def __init__(self, file: str, message: str, problems: Sequence[Problem] = (),
                 rows: Sequence[RowProblem] = (), more: int = 0) -> None:
        self.file = file
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.rows: tuple[RowProblem, ...] = tuple(rows)
        self.more = more
        """Bad rows past the ones listed (counted, not shown)."""
        super().__init__(f"{file}: {bounded(message)}")

    def render(self) -> str:
        """The message, then every problem on a line of its own (with a caret when located)."""
        lines = [f"error: {self}"]
        lines.extend(problem.render() if problem.column else problem.headline()
                     for problem in self.problems)
        lines.extend(row.headline() for row in self.rows)
        if self.more:
            lines.append(f"... and {self.more} more row{'s' if self.more != 1 else ''}")
        return "\n".join(lines)

    def _fields(self) -> dict[str, JsonValue]:
        return {"file": self.file, "problems": [p.to_dict() for p in self.problems],
                "rows": [r.to_dict() for r in self.rows], "more": self.more}


class ExtraMissingError(SyncdoctorError):
    """A command that needs an optional extra that is not installed."""

    def __init__(self, extra: str, module: str) -> None:
        self.extra = extra
        self.module = module
        super().__init__(
            f"this needs the '{extra}' extra ({module} is not installed): "
            f"pip install 'syncdoctor[{extra}]'"
        )

    def _fields(self) -> dict[str, JsonValue]:
        return {"extra": self.extra, "module": self.module}


def require_polars() -> None:
    """Fail with a clear message, not an ImportError, when polars is missing.

    Raises:
        ExtraMissingError: polars (or fastexcel) cannot be imported.
    """
    try:
        import polars  # noqa: F401
    except ImportError:
        raise ExtraMissingError("reconcile", "polars") from None
