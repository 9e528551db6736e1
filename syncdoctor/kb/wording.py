"""A validation error in an author's words: what the key needs, what it got, and a guess.

pydantic says "Input should be a valid number, unable to parse string as a number"; an author
needs "'certainty' must be a number, not 'high'", the caret on ``high``, and for a near miss
("boolean") the value meant ("bool"). This module turns one of pydantic's error items into that
sentence; :mod:`syncdoctor.kb.problems` locates it.
"""

from __future__ import annotations

import re
import types
from collections import abc
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from syncdoctor.kb.condition import ID_PATTERN

__all__ = ["keys_at", "plain_message"]

_KINDS: Mapping[str, str] = {
    **dict.fromkeys(("int_parsing", "int_type", "int_from_float", "int_parsing_size"),
                    "a whole number"),
    **dict.fromkeys(("float_parsing", "float_type", "decimal_parsing", "decimal_type",
                     "finite_number"), "a number"),
    **dict.fromkeys(("bool_parsing", "bool_type"), "true or false"),
    **dict.fromkeys(("string_type", "string_unicode"), "text"),
    **dict.fromkeys(("list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type"),
                    "a list ([a, b], or one '- item' a line)"),
    **dict.fromkeys(("dict_type", "model_type", "model_attributes_type", "dataclass_type",
                     "mapping_type"), "a mapping (key: value lines)"),
    **dict.fromkeys(("datetime_parsing", "datetime_type", "datetime_from_date_parsing",
                     "datetime_object_invalid"), "a date-time such as '2024-05-01T10:00:00Z'"),
}
"""pydantic error type -> what the key needs, in plain words."""

_BOUNDS: Mapping[str, tuple[str, str]] = {
    "greater_than": ("gt", "more than {}"),
    "greater_than_equal": ("ge", "at least {}"),
    "less_than": ("lt", "less than {}"),
    "less_than_equal": ("le", "at most {}"),
    "string_too_short": ("min_length", "text of at least {} character(s)"),
    "string_too_long": ("max_length", "text of at most {} character(s)"),
    "too_short": ("min_length", "a list of at least {} item(s)"),
    "too_long": ("max_length", "a list of at most {} item(s)"),
}

_PATTERNS: Mapping[str, str] = {
    ID_PATTERN: "an id: lower-case letters, digits and underscores, in parts joined by '.' or "
    "'-', starting with a letter (e.g. 'impac.sync-failed')",
    r"^\d+\.\d+\.\d+$": "a version of three numbers, e.g. '1.0.0'",
}

_SYNONYMS: Mapping[str, str] = {
    "boolean": "bool", "string": "text", "str": "text", "int": "integer", "number": "decimal",
    "float": "decimal", "money": "decimal", "date": "datetime", "timestamp": "datetime",
    "time": "datetime", "list": "records", "array": "records", "table": "records",
    "interval": "duration", "timedelta": "duration",
}
"""Names other languages give the types (JSON Schema, Python, SQL), for "did you mean"."""


def _described(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true or false)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value)
    if isinstance(value, int | float):
        text += " (a number)"
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed(expected: str) -> list[str]:
    """The values of a literal or enum error's ``expected`` ("'a', 'b' or 'c'")."""
    return re.findall(r"'((?:[^'\\]|\\.)*)'", expected)


def plain_message(
    item: Mapping[str, Any],
    subject: str,
    near: Callable[[str, Iterable[str]], str | None],
    alternatives: Sequence[str] = (),
) -> tuple[str, str | None] | None:
    """The message and "did you mean" for a wrong value, or None to keep pydantic's own.

    Args:
        item: one entry of ``ValidationError.errors()``.
        subject: the key the value belongs to, as the message names it ("'certainty'").
        near: ``nearest(name, candidates)``, for a suggestion among allowed values.
        alternatives: the error types of every entry at the same place (a union's members).
    """
    kind = str(item["type"])
    ctx: Mapping[str, Any] = item.get("ctx") or {}
    got = _described(item.get("input"))
    kinds = list(dict.fromkeys(_KINDS[k] for k in alternatives if k in _KINDS))
    if len(kinds) > 1 and all(k in _KINDS for k in alternatives):
        needs = ", ".join(kinds[:-1]) + " or " + kinds[-1]
        return f"{subject} must be {needs}; not {got}", None
    if kind in ("literal_error", "enum"):
        allowed = _allowed(str(ctx.get("expected", "")))
        value = item.get("input")
        guess = None
        if isinstance(value, str):
            synonym = _SYNONYMS.get(value.strip().lower())
            guess = synonym if synonym in allowed else near(value, allowed)
        return f"{subject} must be one of {', '.join(allowed)}; not {got}", guess
    if kind in _KINDS:
        needs = _KINDS[kind]
        if kind == "string_type" and isinstance(item.get("input"), int | float):
            return f"{subject} must be {needs}, not {got}: quote it", None
        return f"{subject} must be {needs}, not {got}", None
    if kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        return f"{subject} must be {words.format(ctx.get(name, '?'))}, not {got}", None
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        needs = _PATTERNS.get(pattern, f"text of the form {pattern}")
        return f"{subject} must be {needs}, not {got}", None
    return None


def _alternatives(annotation: object) -> list[object]:
    """The types an annotation allows: Optional, unions and Annotated unwrapped."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _alternatives(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [t for arg in get_args(annotation) for t in _alternatives(arg)]
    return [annotation]


def _models(annotations: Sequence[object]) -> list[type[BaseModel]]:
    return [
        t for a in annotations for t in _alternatives(a)
        if isinstance(t, type) and issubclass(t, BaseModel)
    ]


def keys_at(model: type[BaseModel], path: Sequence[str | int]) -> set[str] | None:
    """The keys allowed in the mapping at ``path`` of a ``model`` document, or None if unknown."""
    current: list[Any] = [model]
    for part in path:
        following: list[Any] = []
        for annotation in (t for a in current for t in _alternatives(a)):
            origin, args = get_origin(annotation), get_args(annotation)
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                for name, info in annotation.model_fields.items():
                    if part in (name, info.alias):
                        following.append(info.annotation)
            elif isinstance(part, int) and origin in (list, tuple, abc.Sequence) and args:
                following.append(args[0])
            elif isinstance(part, str) and origin in (dict, abc.Mapping) and len(args) == 2:
                following.append(args[1])
        current = following
    keys = {info.alias or name for m in _models(current) for name, info in m.model_fields.items()}
    return keys or None
