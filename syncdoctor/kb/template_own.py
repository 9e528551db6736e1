"""syncdoctor's own template filters, and the filters the direct render may call.

``dt``, ``duration``, ``ago``, ``money`` and ``yesno`` turn typed fact values into words;
``replace`` is Jinja2's, refusing to build text past MAX_OUTPUT. The direct render
(template_direct) calls the very functions the sandbox runs for a filter, taken from the
environment's table, and only those with no argument check of template_filters.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jinja2 import pass_context
from jinja2.exceptions import SecurityError, TemplateRuntimeError
from jinja2.runtime import Context

from syncdoctor.kb.template_direct import DirectFilter, Fallback
from syncdoctor.kb.template_filters import FILTER_CHECKS
from syncdoctor.kb.template_limits import MAX_PRECISION
from syncdoctor.kb.template_markdown import code_span, markdown_text

__all__ = ["DIRECT_NAMES", "MAX_OUTPUT", "OWN_FILTERS", "direct_filters"]


def _needs(name: str, what: str, value: object) -> TemplateRuntimeError:
    """A filter given the wrong kind of value, said in the author's terms (not Python's)."""
    if value is None:
        return TemplateRuntimeError(f"|{name} needs {what}, got no value")
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
    kind = _KINDS.get(type(value), type(value).__name__)
    return TemplateRuntimeError(f"|{name} needs {what}, got {kind} {shown}")


_KINDS = {str: "text", bool: "true/false", int: "integer", float: "number", Decimal: "decimal",
          list: "list", dict: "mapping"}


def _dt(value: datetime) -> str:
    if not isinstance(value, date):  # a datetime is a date too
        raise _needs("dt", "a datetime fact", value)
    if type(value) is not datetime or value.year < 1000:
        # Anything else, and a year strftime writes unpadded, as strftime does (or fails).
        return value.strftime("%Y-%m-%d %H:%M UTC")
    # The same text as that strftime, in half its time.
    return f"{value.year}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d} UTC"


def _duration(seconds: int) -> str:
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        raise _needs("duration", "a number of seconds", seconds) from None
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{n} {unit}"
        for n, unit in ((days, "d"), (hours, "h"), (minutes, "min"), (secs, "s"))
        if n
    ]
    return " ".join(parts[:2]) if parts else "0 s"


@pass_context
def _ago(context: Context, value: datetime) -> str:
    return _ago_at(context.get("now"), value)


def _ago_at(now: object, value: datetime) -> str:
    if not isinstance(value, datetime):
        raise _needs("ago", "a datetime fact", value)
    if not isinstance(now, datetime):
        return _dt(value)
    seconds = int((now - value).total_seconds())
    return f"{_duration(seconds)} ago" if seconds >= 0 else f"in {_duration(-seconds)}"


MAX_OUTPUT = 1_000_000
"""Longest text a ``replace`` may produce (text facts hold at most 200,000 characters)."""


def _replace(value: object, old: str, new: str, count: int | None = None) -> str:
    """Jinja2's ``replace``, refusing to build text past MAX_OUTPUT characters."""
    text = str(value)
    hits = text.count(old) if count is None else min(text.count(old), max(count, 0))
    if len(text) + hits * max(len(new) - len(old), 0) > MAX_OUTPUT:
        raise SecurityError("a template may not build text this long")
    return text.replace(old, new, -1 if count is None else count)


def _money(value: Decimal | int) -> str:
    try:
        amount = Decimal(value)  # a decimal fact, an integer, or text that reads as a number
    except (TypeError, ValueError, ArithmeticError):
        raise _needs("money", "a number (a decimal or integer fact)", value) from None
    if not amount.is_finite():
        raise _needs("money", "a finite number", value)
    return f"{amount:,.2f}"


def _yesno(value: object) -> str:
    """A true/false fact in words: ``{{ facts["app.linked"] | yesno }}`` is yes or no."""
    return "yes" if value else "no"


OWN_FILTERS: dict[str, Callable[..., Any]] = {
    "ago": _ago, "code": code_span, "dt": _dt, "duration": _duration, "md": markdown_text,
    "money": _money, "replace": _replace, "yesno": _yesno,
}
DIRECT_NAMES = ("capitalize", "code", "dt", "duration", "int", "length", "lower", "md", "money",
                "replace", "trim", "upper", "yesno")
"""Filters the direct render calls as ``function(value, *args)``, as Jinja2 does: none takes
Jinja2's context (``ago`` is done apart) and none has an argument check."""


def _direct_round(function: Callable[..., object]) -> DirectFilter:
    """``round`` with its argument check (template_filters): past it, the sandbox says so."""
    def run(now: object, value: object, *args: object) -> object:
        precision = args[0] if args else None
        if isinstance(precision, int) and precision > MAX_PRECISION:
            raise Fallback
        return function(value, *args)  # more arguments than it takes: TypeError, Fallback
    return run


def _value_first(function: Callable[..., object]) -> DirectFilter:
    return lambda now, value, *args: function(value, *args)


def direct_filters(filters: Mapping[str, Callable[..., Any]]) -> dict[str, DirectFilter]:
    """The direct render's filters: ``(now, value, *args)``, the functions behind ``filters``.

    ``filters`` is the sandbox's table (each function wrapped by template_filters).

    Raises:
        RuntimeError: a listed filter takes Jinja2's context or has an argument check (the
            direct render would not do what the sandbox does).
    """
    table: dict[str, DirectFilter] = {"ago": lambda now, value: _ago_at(now, value),
                                      "round": _direct_round(inspect.unwrap(filters["round"]))}
    for name in DIRECT_NAMES:
        function = inspect.unwrap(filters[name])
        if name in FILTER_CHECKS or getattr(function, "jinja_pass_arg", None) is not None:
            raise RuntimeError(f"the direct render cannot run |{name} as the sandbox does")
        table[name] = _value_first(function)
    return table
