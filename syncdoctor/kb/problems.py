"""Located problems: pydantic's ValidationError turned into Problems, "did you mean", origins.

Every file syncdoctor reads from people (KB files, test files, suppressions, case files) maps a
validation error the same way, here: every error at once, each at the line and column of the key
it concerns, with a stable code.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from syncdoctor.errors import Problem
from syncdoctor.kb.wording import keys_at, plain_message
from syncdoctor.kb.yamlfile import Located, Path_
from syncdoctor.kb.yamlnodes import _source_line

__all__ = [
    "Origin",
    "display_path",
    "nearest",
    "problem_order",
    "validation_problems",
]


def problem_order(problem: Problem) -> tuple[str, int, int, str, str]:
    """How problems are listed: by file, line and column, then code and message."""
    return (problem.file, problem.line, problem.column, problem.code, problem.message)


def nearest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name``, or None when none is close enough to help."""
    pool = sorted(set(candidates))
    if not pool or len(name) > 200:
        return None
    # Compared with "." "_" "-" alike, and also without the candidate's first part: an agent
    # who types sync.modee means sales.sync_mode more than sync.log.
    typed = _spelt(name)
    best, best_score = None, 0.6
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(typed)
    for candidate in pool:
        score = 0.0
        # The whole id first; its part after the first dot (a fact's name without its group)
        # a little less: a whole match wins a tie.
        tail = candidate.partition(".")[2]
        for form, weight in ((candidate, 1.0), (tail, 0.95)):
            if form:
                matcher.set_seq1(_spelt(form))
                if matcher.real_quick_ratio() * weight > score and (
                        matcher.quick_ratio() * weight > score):
                    score = max(score, matcher.ratio() * weight)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _spelt(name: str) -> str:
    return name.lower().replace("_", ".").replace("-", ".")


def display_path(path: Path, layer: Path | None = None) -> str:
    """How a file is named in messages: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return f"{layer.name}/{path.relative_to(layer)}" if layer is not None else str(path)


@dataclass(frozen=True)
class Origin:
    """Where an item of the KB was written: a file and the key path of the item in it."""

    located: Located
    path: Path_

    def problem(self, code: str, message: str, *extra: str | int, suggestion: str | None = None,
                severity: str = "error") -> Problem:
        """A problem located at this item (or at a key below it)."""
        return self.located.problem(code, message, (*self.path, *extra), suggestion, severity)

    def at_template_line(self, problem: Problem, template_line: int) -> Problem:
        """The problem (located at a block scalar's key) moved to a line of the scalar's text."""
        line = problem.line + template_line
        lines = self.located.lines
        source = _source_line(lines, line) if 0 < line <= len(lines) else None
        return replace(problem, line=line, column=1, source_line=source)

    @property
    def file(self) -> str:
        """The file's display name."""
        return self.located.file

    @property
    def line(self) -> int:
        """The item's line."""
        return self.located.locate(self.path)[0]


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validation_problems(
    located: Located,
    error: ValidationError,
    known_keys: Iterable[str] = (),
    *,
    prefix: Path_ = (),
    model: type[BaseModel] | None = None,
) -> list[Problem]:
    """Every error of a validation as a located Problem, one per location.

    An unknown key is shown at the key, with the nearest key allowed in that mapping; a wrong
    value at the value, in plain words, with the nearest allowed value.

    Args:
        located: the file the validated data came from.
        error: pydantic's error.
        known_keys: the keys a "did you mean" may suggest for an unknown key, when the keys of
            its mapping cannot be worked out from ``model``.
        prefix: where the validated data sits in the file (() for the whole file).
        model: the model validated (at ``prefix``): the source of the allowed keys.
    """
    keys = sorted(set(known_keys))
    problems: list[Problem] = []
    items = error.errors(include_url=False)
    # A union (a scalar that may be true/false, a number or text) fails once per alternative:
    # one message names them all.
    alternatives: dict[Path_, list[str]] = {}
    for item in items:
        loc = [part for part in item["loc"] if part != "[key]"]
        path = (*prefix, *_data_path(located.data, [*prefix, *loc])[len(prefix):])
        alternatives.setdefault(path, []).append(str(item["type"]))
    for item in items:
        loc = [part for part in item["loc"] if part != "[key]"]
        path = (*prefix, *_data_path(located.data, [*prefix, *loc])[len(prefix):])
        kind = item["type"]
        message = str(item["msg"]).removeprefix("Value error, ")
        suggestion = None
        at_value = False
        if kind == "extra_forbidden":
            code = "KB102"
            key = str(loc[-1]) if loc else "?"
            allowed = keys_at(model, path[len(prefix):-1]) if model is not None else None
            message = f"unknown key {key!r}"
            suggestion = nearest(key, allowed if allowed is not None else keys)
        elif kind == "missing":
            code = "KB103"
            message = f"missing required key {str(loc[-1])!r}" if loc else "missing key"
        elif isinstance(item.get("input"), date):
            code = "KB101"
            if not isinstance(item["input"], datetime) and "datetime_type" in alternatives[path]:
                # A date alone where a moment is wanted (YAML read 2024-05-01 as a date).
                message = ("a date alone is not a date-time: add the time, e.g. "
                           f"{item['input'].isoformat()}T10:00:00Z")
            else:
                message = "write dates and date-times as quoted text, e.g. '2024-05-01T10:00:00Z'"
            at_value = True
        else:
            code = "KB101"
            at_value = "[key]" not in item["loc"]  # a mapping's key that is not allowed: the key
            plain = plain_message(item, _subject(path), nearest, alternatives[path])
            if plain is not None:
                message, suggestion = plain
            elif "input" in item and kind not in ("value_error", "assertion_error"):
                message += f" (got {_shown(item['input'])})"
        problems.append(located.problem(code, message, path, suggestion, at_value=at_value))
    # One problem per location is enough: unions report one error per alternative.
    unique: dict[tuple[int, int, str], Problem] = {}
    for problem in problems:
        unique.setdefault((problem.line, problem.column, problem.code), problem)
    return list(unique.values())


def _subject(path: Path_) -> str:
    """How a message names the key of a value: 'certainty', or item 2 of 'values'."""
    if not path:
        return "the file"
    if isinstance(path[-1], int):
        return f"item {path[-1] + 1} of {str(path[-2])!r}" if len(path) > 1 else "the item"
    return repr(str(path[-1]))


def field_names(*models: type[BaseModel]) -> set[str]:
    """The keys the models accept, by their YAML spelling (aliases)."""
    return {info.alias or name for model in models for name, info in model.model_fields.items()}


def _data_path(data: object, loc: Sequence[str | int]) -> Path_:
    """The longest prefix of a pydantic location that exists in the data."""
    path: list[str | int] = []
    node = data
    parts = list(loc)
    while parts:
        part = parts.pop(0)
        if part == "all" and isinstance(node, list):
            # A list under 'when' is read as its 'all' (RuleSpec), an item that is itself an
            # 'all' (a shared condition) flattened into it: find the item the index names.
            index = parts.pop(0) if parts else None
            found = _flattened(node, index) if isinstance(index, int) else None
            if found is None:
                break
            for step in found:
                node = node[step] if isinstance(node, list) and isinstance(step, int) else (
                    node["all"] if isinstance(node, dict) else None)
                path.append(step)
            continue
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and isinstance(part, str):
            path.append(part)  # a missing or extra key: point at its parent, name it
            break
        else:
            break
        path.append(part)
    return tuple(path)


def _flattened(items: list[object], index: int) -> tuple[str | int, ...] | None:
    """Where the ``index``-th test of a flattened ``when`` list is: (i,) or (i, "all", j)."""
    seen = 0
    for position, item in enumerate(items):
        nested = item.get("all") if isinstance(item, dict) and len(item) == 1 else None
        inside = nested if isinstance(nested, list) else None
        count = len(inside) if inside is not None else 1
        if index < seen + count:
            return (position,) if inside is None else (position, "all", index - seen)
        seen += count
    return None
