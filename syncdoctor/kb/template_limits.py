"""Bounds on one template render: its steps, its time, the text it builds, its integers.

A knowledge-base template is written by an author we do not trust with the process. Jinja2's
sandbox keeps it away from Python internals, but not from building a gigabyte of text
(``'a'.ljust(10**9)``, ``s ~ s`` thirty times), huge integers (``n * n`` thirty times) or
looping for hours (two nested loops over a 200,000-character fact). This module holds the limits
and the sandbox that applies them while a template runs; every breach raises
:class:`TemplateLimitError`, which the diagnosis reports as a render-failure warning.

What a render may do, all counted in one :class:`RenderBudget` per render:

- every text or list one operation builds holds at most ``MAX_TEXT`` characters or items, and the
  rendered output too; one render builds at most ``MAX_BUILT`` in all;
- a render takes at most ``MAX_STEPS`` steps (a loop iteration, a call, a filter, an operator),
  so it does not depend on the machine's speed; ``MAX_SECONDS`` is only a backstop;
- integers grow by ``*`` to at most ``MAX_INT_BITS`` bits, and calls nest ``MAX_DEPTH`` deep;
- only the attributes listed below are reachable on text, numbers and dates.
"""

from __future__ import annotations

import copy
import time
import types
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import date, timedelta
from datetime import time as clock_time
from typing import Protocol, TypeVar

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_TEXT = 1_000_000
"""Most characters (or list items) one operation may build; also the cap on one rendered text."""
MAX_BUILT = 5_000_000
"""Most characters and list items one render may build, all operations together."""
MAX_STEPS = 200_000
"""Most loop iterations, calls, filters and operators one render may run."""
MAX_SECONDS = 0.5
"""CPU-time backstop for one render; the step budget should always stop a template first.

CPU time of the rendering thread, not wall-clock time: on a loaded machine a render that is
merely waiting for a core must not fail, or the same case would render differently by load."""
CLOCK_EVERY = 64
"""Steps between two looks at the clock (a thread's CPU clock costs about 1 µs to read), so a
render of fewer steps, most of them, never reads it."""
MAX_DEPTH = 64
"""Deepest nesting of calls (a recursive loop calls itself), well inside Python's own limit."""
MAX_INT_BITS = 1024
"""Largest integer ``*`` may produce (about 308 digits, the range of a float)."""
MAX_PARTS = 10_000
"""Most groups ``|slice`` and ``|batch`` may make."""
MAX_PRECISION = 28
"""Most digits ``|round`` may keep (a Decimal's default precision)."""
MAX_DATE_FORMAT = 1_000
"""Longest format string ``strftime`` may read."""

REFUSED_ATTRIBUTES = frozenset({"format", "format_map", "mro"})
"""Refused on every object: they format or introspect without the sandbox's bounds."""
STR_METHODS = frozenset({
    "capitalize", "casefold", "center", "count", "endswith", "expandtabs", "find", "index",
    "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower",
    "isnumeric", "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower",
    "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust",
    "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase",
    "title", "upper", "zfill",
})
"""The str methods a template may use. Left out: format/format_map (unbounded width), encode,
translate and maketrans (a table can turn one character into any amount of text)."""
NUMBER_ATTRIBUTES = frozenset({
    "real", "imag", "numerator", "denominator", "bit_length", "conjugate", "is_integer",
})
"""int and float attributes (``to_bytes`` would build any number of bytes)."""
TIME_ATTRIBUTES = frozenset({
    "year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo", "fold",
    "weekday", "isoweekday", "isocalendar", "isoformat", "strftime", "date", "time", "timetz",
    "replace", "toordinal", "utcoffset", "tzname", "dst", "days", "seconds", "microseconds",
    "total_seconds", "min", "max", "resolution",
})
"""Date, time and timedelta attributes. Left out: now, today, utcnow, astimezone, timestamp and
fromtimestamp, which read the machine's clock or time zone, so the text would not be the same
from one run or machine to the next."""
MAPPING_METHODS = frozenset({"get", "keys", "values", "items"})
SEQUENCE_METHODS = frozenset({"index", "count"})

_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})


class TemplateLimitError(SecurityError):
    """A template went past one of the render bounds."""


class RenderBudget:
    """What one render has spent: steps and characters built, and when it must stop."""

    __slots__ = ("built", "deadline", "depth", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.built = 0
        self.depth = 0
        self.deadline = 0.0  # set at the first look at the clock, CLOCK_EVERY steps in

    def step(self) -> None:
        """Count one step; stop the render past the step budget or the time backstop."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TemplateLimitError(f"the template ran past its budget of {MAX_STEPS:,} steps")
        if self.steps % CLOCK_EVERY == 0:
            spent = time.thread_time()
            if not self.deadline:
                self.deadline = spent + MAX_SECONDS
            elif spent > self.deadline:
                raise TemplateLimitError(
                    f"the template ran for more than {MAX_SECONDS} s of CPU time")

    def charge(self, value: object) -> None:
        """Count what an operation built: the characters of a text, the items of a list."""
        if isinstance(value, str | list | tuple | dict):
            size = len(value)
            if size > MAX_TEXT:
                raise too_long()
            self.built += size
            if self.built > MAX_BUILT:
                raise TemplateLimitError(
                    f"the template built more than {MAX_BUILT:,} characters in all"
                )


def too_long() -> TemplateLimitError:
    """The error for one text or list past MAX_TEXT."""
    return TemplateLimitError(f"a template may not build text longer than {MAX_TEXT:,}")


_ACTIVE: ContextVar[RenderBudget | None] = ContextVar("syncdoctor_render_budget", default=None)


class _BudgetBlock:
    """``with render_budget():``: a fresh budget for the render inside (a class: 3 µs less)."""

    __slots__ = ("token",)

    def __enter__(self) -> RenderBudget:
        self.token = _ACTIVE.set(budget := RenderBudget())
        return budget

    def __exit__(self, *exc_info: object) -> None:
        _ACTIVE.reset(self.token)


render_budget = _BudgetBlock


def active() -> RenderBudget:
    """The running render's budget.

    Raises:
        TemplateLimitError: no render is running. Jinja2's compiler also evaluates constant
            expressions while it compiles; refusing here leaves them to run time, inside a budget.
    """
    budget = _ACTIVE.get()
    if budget is None:
        raise TemplateLimitError("templates run only inside a render budget")
    return budget


Item = TypeVar("Item")


def counted(iterable: Iterable[Item]) -> Iterator[Item]:
    """A for loop's iterable, costing one step per iteration (the loader wraps every loop)."""
    budget = active()
    for item in iterable:
        budget.step()
        yield item


def bounded_concat(pieces: Iterable[str]) -> str:
    """``Environment.concat``: joins a render's output, a ``set`` block or a ``filter`` block."""
    budget = active()
    kept: list[str] = []
    total = 0
    for piece in pieces:
        total += len(piece)
        if total > MAX_TEXT:
            raise too_long()
        kept.append(piece)
    text = "".join(kept)
    budget.charge(text)
    return text


def bounded_join(parts: tuple[object, ...]) -> str:
    """The ``~`` operator (the loader rewrites ``a ~ b`` to a call of this)."""
    budget = active()
    budget.step()
    texts = [str(part) for part in parts]
    if sum(len(text) for text in texts) > MAX_TEXT:
        raise too_long()
    text = "".join(texts)
    budget.charge(text)
    return text


class _Sliceable(Protocol):
    def __getitem__(self, key: slice, /) -> object: ...


def sliced(value: _Sliceable, start: object, stop: object, step: object) -> object:
    """``value[start:stop:step]`` (the loader rewrites slices to this): a step, measured."""
    budget = active()
    budget.step()
    result = value[slice(start, stop, step)]
    budget.charge(result)
    return result


def _size(value: object) -> int | None:
    return len(value) if isinstance(value, str | list | tuple) else None


def _check_binop(operator: str, left: object, right: object) -> None:
    if operator == "+":
        sizes = (_size(left), _size(right))
        if sizes[0] is not None and sizes[1] is not None and sizes[0] + sizes[1] > MAX_TEXT:
            raise too_long()
    elif operator == "*" and isinstance(left, int) and isinstance(right, int) \
            and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
        raise TemplateLimitError(f"a template may not build integers past {MAX_INT_BITS} bits")


def _width_argument(args: tuple[object, ...], kwargs: Mapping[str, object], name: str) -> object:
    return args[0] if args else kwargs.get(name)


def _check_str_call(text: str, method: str, args: tuple[object, ...], kwargs: Mapping[str, object]
                    ) -> tuple[object, ...]:
    """Refuse a str method call that would build text past MAX_TEXT; the arguments to call with."""
    if method in _WIDTH_METHODS:
        width = _width_argument(args, kwargs, "width")
        if isinstance(width, int) and width > MAX_TEXT:
            raise too_long()
    elif method == "expandtabs":
        size = _width_argument(args, kwargs, "tabsize")
        if isinstance(size, int) and len(text) + text.count("\t") * max(size, 0) > MAX_TEXT:
            raise too_long()
    elif method == "replace" and len(args) >= 2 and isinstance(args[0], str) \
            and isinstance(args[1], str):
        count = args[2] if len(args) > 2 else kwargs.get("count", -1)
        if replaced_size(text, args[0], args[1], count if isinstance(count, int) else -1) \
                > MAX_TEXT:
            raise too_long()
    elif method == "join" and len(args) == 1 and isinstance(args[0], Iterable):
        items = list(args[0])  # may be a generator: read it once, then measure it
        lengths = sum(len(item) for item in items if isinstance(item, str))
        if lengths + len(text) * max(len(items) - 1, 0) > MAX_TEXT:
            raise too_long()
        return (items,)
    return args


def replaced_size(text: str, old: str, new: str, count: int = -1) -> int:
    """How long ``text.replace(old, new, count)`` would be, without building it."""
    hits = text.count(old)
    if count >= 0:
        hits = min(hits, count)
    return len(text) + hits * (len(new) - len(old))


def _check_call(function: object, args: tuple[object, ...], kwargs: Mapping[str, object]
                ) -> tuple[object, ...]:
    owner = getattr(function, "__self__", None)
    name = getattr(function, "__name__", "")
    if isinstance(owner, str) and isinstance(function, types.BuiltinMethodType | types.MethodType):
        return _check_str_call(owner, name, args, kwargs)
    if isinstance(owner, date | clock_time) and name == "strftime":
        pattern = _width_argument(args, kwargs, "format")
        if isinstance(pattern, str) and len(pattern) > MAX_DATE_FORMAT:
            raise TemplateLimitError(
                f"a date format may hold at most {MAX_DATE_FORMAT:,} characters"
            )
    return args


def attribute_allowed(obj: object, attr: str) -> bool | None:
    """Whether a template may read ``obj.attr``; None leaves it to Jinja2's own rules."""
    if attr in REFUSED_ATTRIBUTES:
        return False
    if isinstance(obj, str):
        return attr in STR_METHODS
    if isinstance(obj, int | float):
        return attr in NUMBER_ATTRIBUTES
    if isinstance(obj, date | clock_time | timedelta):
        return attr in TIME_ATTRIBUTES
    if isinstance(obj, dict):
        return attr in MAPPING_METHODS
    if isinstance(obj, list | tuple):
        return attr in SEQUENCE_METHODS
    return None


class _Budgeted(NodeTransformer):
    """Rewrites a template so that its loops and ``~`` cost steps and are measured."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _call("counted", [node.iter], node)  # type: ignore[list-item]  # an Expr
        return node

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        # loop(items) in a recursive loop runs the loop again over items: count those too.
        self.generic_visit(node)
        if isinstance(node.node, nodes.Name) and node.node.name == "loop" and node.args:
            node.args[0] = _call("counted", [node.args[0]], node)
        return node

    def visit_Getitem(self, node: nodes.Getitem) -> nodes.Node:
        # Jinja2 compiles x[a:b:c] to plain Python slicing, past the sandbox: route it here.
        self.generic_visit(node)
        if not isinstance(node.arg, nodes.Slice):
            return node
        bounds = [part if part is not None else nodes.Const(None, lineno=node.lineno)
                  for part in (node.arg.start, node.arg.stop, node.arg.step)]
        return _call("sliced", [node.node, *bounds], node)

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _call("bounded_join", [nodes.Tuple(list(node.nodes), "load", lineno=node.lineno)],
                     node)


def _call(function: str, args: list[nodes.Expr], at: nodes.Node) -> nodes.Call:
    # An ImportedName compiles to an import of this module's function: no name a template sees.
    target = nodes.ImportedName(f"{__name__}.{function}", lineno=at.lineno)
    call = nodes.Call(target, args, [], None, None, lineno=at.lineno)
    if at.environment is not None:
        call.set_environment(at.environment)
    return call


class _BudgetedCodeGenerator(CodeGenerator):
    """Jinja2's code generator, compiling the budgeted copy of each template."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        # A copy: the caller's tree stays as written (a Renderer may be compiled twice at once).
        super().visit_Template(_Budgeted().visit(copy.deepcopy(node)), frame)


class LimitedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, with every operation counted against the render's budget."""

    code_generator_class = _BudgetedCodeGenerator
    concat = staticmethod(bounded_concat)
    intercepted_binops = frozenset({"+", "*"})

    # The hooks' signatures are Jinja2's; values from a template are typed as object.

    def is_safe_attribute(self, obj: object, attr: str, value: object) -> bool:
        """Only allow-listed attributes of text, numbers, dates and containers; then Jinja2's."""
        allowed = attribute_allowed(obj, attr)
        if allowed is not None:
            return allowed and super().is_safe_attribute(obj, attr, value)
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: object) -> None:
        """Never a sandboxed ``str.format``: format is refused (see is_safe_attribute)."""
        # Jinja2 hands out a sandboxed str.format here, before is_safe_attribute is asked: hand
        # out nothing, so format and format_map meet the refusal in is_safe_attribute.
        return None

    def call_binop(self, context: Context, operator: str, left: object, right: object) -> object:
        """``+`` and ``*``, measured: no text or list past MAX_TEXT, no int past MAX_INT_BITS."""
        budget = active()
        budget.step()
        _check_binop(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        budget.charge(result)
        return result

    def call(self, context: Context, function: object, /, *args: object, **kwargs: object
             ) -> object:
        """A call from a template: a step, size arguments checked first, the result measured."""
        budget = active()
        budget.step()
        args = _check_call(function, args, kwargs)
        if budget.depth >= MAX_DEPTH:
            raise TemplateLimitError(f"calls nest more than {MAX_DEPTH} deep")
        budget.depth += 1
        try:
            result = super().call(context, function, *args, **kwargs)
        finally:
            budget.depth -= 1
        budget.charge(result)
        return result
