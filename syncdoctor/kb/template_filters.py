"""The filters a template may use: an allow-list, each filter a step, size arguments bounded.

Part of the render bounds of template_limits: a filter call costs one step of the render's
budget, its result is measured like any other built text, and the filters that take a size
(``|slice(n)``, ``|center(width)``…) have that size checked before they run.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from syncdoctor.kb.template_limits import (
    MAX_PARTS,
    MAX_PRECISION,
    MAX_TEXT,
    TemplateLimitError,
    active,
    too_long,
)

Arguments = Mapping[str, object]


def _at_most(name: str, limit: int) -> Callable[[Arguments], None]:
    def check(arguments: Arguments) -> None:
        value = arguments.get(name)
        if isinstance(value, int) and value > limit:
            raise TemplateLimitError(f"{name} may be at most {limit:,}")
    return check


def _indent(arguments: Arguments) -> None:
    width, text = arguments.get("width"), str(arguments.get("s", ""))
    pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    if len(text) + (text.count("\n") + 1) * max(pad, 0) > MAX_TEXT:
        raise too_long()


def _wordwrap(arguments: Arguments) -> None:
    text, wrap = str(arguments.get("s", "")), arguments.get("wrapstring")
    _at_most("width", MAX_TEXT)(arguments)
    if isinstance(wrap, str) and len(text) + (len(text) + 1) * len(wrap) > MAX_TEXT:
        raise too_long()


def _join(arguments: Arguments) -> None:
    separator, value = arguments.get("d", ""), arguments.get("value")
    if isinstance(separator, str) and isinstance(value, list | tuple):
        texts = sum(len(item) for item in value if isinstance(item, str))
        if texts + len(separator) * max(len(value) - 1, 0) > MAX_TEXT:
            raise too_long()


FILTER_CHECKS: dict[str, Callable[[Arguments], None]] = {
    "center": _at_most("width", MAX_TEXT),
    "indent": _indent,
    "wordwrap": _wordwrap,
    "truncate": _at_most("length", MAX_TEXT),
    "slice": _at_most("slices", MAX_PARTS),
    "batch": _at_most("linecount", MAX_PARTS),
    "round": _at_most("precision", MAX_PRECISION),
    "join": _join,
}
"""Argument checks, by filter, run before the filter (its output is measured after)."""
ALLOWED_FILTERS = frozenset({
    "abs", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
    "first", "float", "groupby", "indent", "int", "items", "join", "last", "length", "list",
    "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "select",
    "selectattr", "slice", "sort", "string", "sum", "title", "trim", "truncate", "unique",
    "upper", "wordcount", "wordwrap",
    "ago", "code", "dt", "duration", "md", "money", "yesno",  # syncdoctor's own
})
"""Jinja2 filters a template may use. ``random`` is left out because the same case must give the
same text; ``attr`` and ``format`` reach past the sandbox's attribute and size checks; the rest
(``pprint``, ``tojson``, ``urlize``, ``xmlattr``…) have no use in a remediation."""


def limit_filters(filters: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """The allowed filters of ``filters``, each counted, measured and (when listed) bounded.

    ``|map('name')`` reaches filters by name at run time, so an unlisted filter must be absent,
    not only refused by the loader.
    """
    return {name: _limited(name, function) for name, function in filters.items()
            if name in ALLOWED_FILTERS}


def _arguments(name: str, signature: inspect.Signature, skip: int, args: tuple[object, ...],
               kwargs: Mapping[str, object]) -> Arguments:
    """A filter call's arguments by parameter name, for its check.

    A call that does not bind is refused, so that a check can never be skipped.
    """
    try:
        bound = signature.bind(*args[skip:], **kwargs)
    except TypeError:
        raise TemplateLimitError(f"the arguments of |{name} do not fit its parameters") from None
    bound.apply_defaults()
    return bound.arguments


def _passed_first(function: Callable[..., Any]) -> int:
    """1 when Jinja2 passes the filter a first argument its reported signature does not show.

    Some of Jinja2's filters are wrappers that take the eval context first, then drop it and call
    the function they wrap, whose signature is the one ``inspect.signature`` reports.
    """
    wrapped = inspect.unwrap(function)
    passes = getattr(function, "jinja_pass_arg", None) is not None
    return 1 if passes and getattr(wrapped, "jinja_pass_arg", None) is None else 0


def _limited(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    check = FILTER_CHECKS.get(name)
    signature = inspect.signature(function) if check is not None else None
    skip = _passed_first(function)

    @functools.wraps(function)  # keeps jinja_pass_arg: the filter still gets its context
    def run(*args: object, **kwargs: object) -> object:
        budget = active()
        budget.step()
        if check is not None and signature is not None:
            check(_arguments(name, signature, skip, args, kwargs))
        result = function(*args, **kwargs)
        budget.charge(result)
        return result

    return run
