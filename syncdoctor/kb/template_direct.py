"""Templates without loops, rendered without Jinja2's run time, byte for byte.

Most texts of a diagnosis are prose with ``{% if "x" in facts %}`` and ``{{ facts["x"] | dt }}``.
Through Jinja2, each render builds a Context, a render budget and a generator, and goes through
the sandbox's hooks for every item, call and filter: most of its cost. A template made only of
text, ``{% if %}``, ``{% set %}`` (of a new name, at the top: Jinja2 gives a set inside a block
a scope of its own), constants, dict and list and tuple literals, items, slices, comparisons,
``and``/``or``/``not``, ``x if t else y``, ``-``, ``/``, ``*`` of numbers, ``~``, ``.get()``,
``.strftime()`` and the filters given to :func:`compile_direct` is also compiled, next to its
Jinja2 code, into a tree of closures that does the same operations on the same values
directly (the pieces they share are in template_steps). (``+``, and ``*`` of anything but
numbers, stay with the sandbox, which checks what they build.)

The closures never decide what is safe: they only do what the sandbox would let through, and
give up (:class:`Fallback`) wherever they are not sure of that. The template then renders
through Jinja2 as it always did, which gives the same text or raises the same error:

- an item is read only from a plain dict holding its key, or a list or tuple by an index it
  holds (the sandbox's ``getitem`` looks further for a missing one); a name not assigned yet
  gives up too (Jinja2's StrictUndefined);
- the only calls are ``.get()`` on a plain dict and ``.strftime()`` on a date or time, with the
  format length the sandbox allows; the filters have no argument check but ``round``'s
  precision, checked as the sandbox checks it;
- there are fewer than ``CLOCK_EVERY`` steps (calls, filters, ``~``) in the whole template, so the
  step budget and the time backstop cannot be reached; what the steps build is counted as the
  render budget counts it, and anything past ``MAX_TEXT`` or ``MAX_BUILT`` gives up;
- any exception gives up (a closure has no side effect, so running Jinja2 after it is safe).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from datetime import time as clock_time
from typing import Any

from jinja2 import nodes

from syncdoctor.kb.template_limits import CLOCK_EVERY, MAX_DATE_FORMAT
from syncdoctor.kb.template_steps import (
    VARIABLES,
    Emit,
    Expr,
    Fallback,
    Scope,
    charge,
    is_variable,
    named_item,
    named_membership,
    product,
)

__all__ = ["DirectFilter", "DirectTemplate", "Fallback", "compile_direct"]


DirectFilter = Callable[..., object]
"""A filter as the direct render calls it: ``(now, value, *args)``."""
DirectTemplate = Callable[[Mapping[str, object]], str]

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gteq": operator.ge,
    "lt": operator.lt, "lteq": operator.le,
    "in": lambda a, b: a in b, "notin": lambda a, b: a not in b,
}


class _Ineligible(Exception):  # the compiler's control flow only
    """A node the direct render does not do: the template renders through Jinja2 only."""


def compile_direct(ast: nodes.Template, filters: Mapping[str, DirectFilter]
                   ) -> DirectTemplate | None:
    """The direct render of a parsed template, or None when it uses anything else.

    The returned function takes the render's variables (``facts``, ``record``, ``now``) and
    returns the stripped text, or raises :class:`Fallback`.
    """
    compiler = _Compiler(filters)
    try:
        body = compiler.statements(ast.body)
    except _Ineligible:
        return None
    if compiler.steps >= CLOCK_EVERY:
        return None

    def render(context: Mapping[str, object]) -> str:
        out: list[str] = []
        try:
            scope = Scope(context["facts"], context["record"], context["now"])
            body(scope, out)
        except Exception as error:  # whatever went wrong, Jinja2 says it its own way
            raise Fallback from error
        text = "".join(out)
        charge(scope, text)  # as bounded_concat charges the whole output
        return text.strip()

    return render


class _Compiler:
    """Turns the supported nodes into closures, counting the steps they take."""

    def __init__(self, filters: Mapping[str, DirectFilter]) -> None:
        self.filters = filters
        self.steps = 0
        self.in_block = False
        """Inside a ``{% set %}...{% endset %}`` (a scope of its own in Jinja2: none nests)."""

    def statements(self, body: Sequence[nodes.Node]) -> Emit:
        parts = [self.statement(node) for node in body]
        if len(parts) == 1:
            return parts[0]

        def emit(scope: Scope, out: list[str]) -> None:
            for part in parts:
                part(scope, out)
        return emit

    def statement(self, node: nodes.Node) -> Emit:
        if isinstance(node, nodes.Output):
            return self.output(node.nodes)
        if isinstance(node, nodes.If):
            return self.branch(node)
        if isinstance(node, nodes.Assign | nodes.AssignBlock) and not self.in_block:
            return self.assign(node)
        raise _Ineligible(type(node).__name__)

    def assign(self, node: nodes.Assign | nodes.AssignBlock) -> Emit:
        """``{% set name = ... %}``, or ``{% set name %}...{% endset %}`` without a filter.

        Not to facts, record or now: the names a template reads from its render stay as given.
        """
        target = node.target
        if not isinstance(target, nodes.Name) or target.name in VARIABLES | {"loop"}:
            raise _Ineligible("Assign")
        name = target.name
        if isinstance(node, nodes.Assign):
            value = self.expr(node.node)

            def assign(scope: Scope, out: list[str]) -> None:
                scope.names[name] = value(scope)
            return assign
        if node.filter is not None:
            raise _Ineligible("AssignBlock")
        self.in_block = True
        body = self.statements(node.body)
        self.in_block = False

        def assign_block(scope: Scope, out: list[str]) -> None:
            pieces: list[str] = []
            body(scope, pieces)
            text = "".join(pieces)
            charge(scope, text)  # as bounded_concat charges a block's text
            scope.names[name] = text
        return assign_block

    def output(self, children: Sequence[nodes.Expr]) -> Emit:
        pieces: list[str | Expr] = [
            child.data if isinstance(child, nodes.TemplateData) else self.expr(child)
            for child in children
        ]

        if all(isinstance(piece, str) for piece in pieces):  # most of a template's text
            text = "".join(piece for piece in pieces if isinstance(piece, str))
            return lambda scope, out: out.append(text)
        if len(pieces) == 1 and not isinstance(only := pieces[0], str):
            return lambda scope, out: out.append(str(only(scope)))

        def emit(scope: Scope, out: list[str]) -> None:
            for piece in pieces:
                out.append(piece if isinstance(piece, str) else str(piece(scope)))
        return emit

    def branch(self, node: nodes.If) -> Emit:
        tests = [(self.expr(node.test), self.statements(node.body))]
        tests += [(self.expr(other.test), self.statements(other.body)) for other in node.elif_]
        otherwise = self.statements(node.else_) if node.else_ else None

        def emit(scope: Scope, out: list[str]) -> None:
            for test, body in tests:
                if test(scope):
                    body(scope, out)
                    return
            if otherwise is not None:
                otherwise(scope, out)
        return emit

    def expr(self, node: nodes.Node) -> Expr:
        if isinstance(node, nodes.Const) and (
                node.value is None or isinstance(node.value, str | int | float)):
            value = node.value
            return lambda scope: value
        if isinstance(node, nodes.Name) and node.ctx == "load":
            if node.name in VARIABLES:
                return operator.attrgetter(node.name)
            name = node.name
            return lambda scope: scope.names[name]  # not assigned (yet): KeyError, Fallback
        if isinstance(node, nodes.Neg) and isinstance(node.node, nodes.Const) \
                and isinstance(node.node.value, int | float):
            negative = -node.node.value  # Jinja2 folds it to this constant
            return lambda scope: negative
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Slice):
            return self.sliced(self.expr(node.node), node.arg)
        if isinstance(node, nodes.List) or (isinstance(node, nodes.Tuple) and node.ctx == "load"):
            items = [self.expr(item) for item in node.items]
            build = list if isinstance(node, nodes.List) else tuple
            return lambda scope: build([item(scope) for item in items])
        if isinstance(node, nodes.Getitem):
            if is_variable(node.node) and isinstance(node.arg, nodes.Const) \
                    and type(node.arg.value) is str:
                return named_item(node.node.name, node.arg.value)
            return self.item(self.expr(node.node), self.expr(node.arg))
        if isinstance(node, nodes.Sub | nodes.Div):  # not operators the sandbox intercepts
            left, right = self.expr(node.left), self.expr(node.right)
            apply = operator.sub if isinstance(node, nodes.Sub) else operator.truediv
            return lambda scope: apply(left(scope), right(scope))
        if isinstance(node, nodes.Mul):  # one step, of numbers only (the sandbox checks the rest)
            self.steps += 1
            return product(self.expr(node.left), self.expr(node.right))
        if isinstance(node, nodes.Concat):
            return self.concat(node)
        if isinstance(node, nodes.Dict):
            pairs = [(self.expr(pair.key), self.expr(pair.value)) for pair in node.items]
            return lambda scope: {key(scope): value(scope) for key, value in pairs}
        if isinstance(node, nodes.Compare):
            return self.compare(node)
        if isinstance(node, nodes.And | nodes.Or):
            return self.logic(node)
        if isinstance(node, nodes.Not):
            inner = self.expr(node.node)
            return lambda scope: not inner(scope)
        if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
            test, yes, no = self.expr(node.test), self.expr(node.expr1), self.expr(node.expr2)
            return lambda scope: yes(scope) if test(scope) else no(scope)
        if isinstance(node, nodes.Filter):
            return self.filter(node)
        if isinstance(node, nodes.Call):
            return self.call(node)
        raise _Ineligible(type(node).__name__)

    @staticmethod
    def item(target: Expr, argument: Expr) -> Expr:
        """``target[argument]`` (``named_item`` is the same read of ``facts["id"]``)."""
        def read(scope: Scope) -> object:
            holder, key = target(scope), argument(scope)
            kind = type(holder)
            if kind is dict and type(key) is str and key in holder:
                return holder[key]
            if kind in (list, tuple) and type(key) is int and -len(holder) <= key < len(holder):
                return holder[key]
            raise Fallback  # the sandbox would look for an attribute next
        return read

    def sliced(self, target: Expr, bounds: nodes.Slice) -> Expr:
        """``x[a:b:c]``: template_limits' sliced, called through the sandbox's ``call``."""
        parts = [self.expr(part if part is not None else nodes.Const(None))  # a bound left out
                 for part in (bounds.start, bounds.stop, bounds.step)]
        self.steps += 2  # the sandbox's call and sliced each count one

        def cut(scope: Scope) -> object:
            value = target(scope)
            if type(value) not in (str, list, tuple):
                raise Fallback  # what else slices is the sandbox's to judge
            result = value[slice(*[part(scope) for part in parts])]
            charge(scope, result)  # by sliced
            charge(scope, result)  # and again by the sandbox's call
            return result
        return cut

    def concat(self, node: nodes.Concat) -> Expr:
        """``~``: template_limits' bounded_join, called through the sandbox's ``call``."""
        parts = [self.expr(part) for part in node.nodes]
        self.steps += 2  # the sandbox's call and bounded_join each count one

        def join(scope: Scope) -> str:
            text = "".join([str(part(scope)) for part in parts])
            charge(scope, text)  # by bounded_join
            charge(scope, text)  # and again by the sandbox's call
            return text
        return join

    def compare(self, node: nodes.Compare) -> Expr:
        first = self.expr(node.expr)
        chain = [(_COMPARE[o.op], self.expr(o.expr)) for o in node.ops if o.op in _COMPARE]
        if len(chain) != len(node.ops):
            raise _Ineligible("Compare")
        if len(chain) == 1:  # most often "id" in facts
            (test, operand), = chain
            only = node.ops[0]
            if only.op in ("in", "notin") and isinstance(node.expr, nodes.Const) \
                    and type(node.expr.value) is str and is_variable(only.expr):
                return named_membership(node.expr.value, only.expr.name, only.op == "in")
            return lambda scope: test(first(scope), operand(scope))

        def compare(scope: Scope) -> object:  # Python's chained comparison, as Jinja2's
            left = first(scope)
            result: object = True
            for test, operand in chain:
                right = operand(scope)
                result = test(left, right)
                if not result:
                    return result
                left = right
            return result
        return compare

    def logic(self, node: nodes.And | nodes.Or) -> Expr:
        left, right = self.expr(node.left), self.expr(node.right)
        if isinstance(node, nodes.And):
            return lambda scope: left(scope) and right(scope)
        return lambda scope: left(scope) or right(scope)

    def filter(self, node: nodes.Filter) -> Expr:
        function = self.filters.get(node.name)
        if function is None or node.node is None or node.kwargs or node.dyn_args \
                or node.dyn_kwargs:
            raise _Ineligible(f"filter {node.name}")
        value = self.expr(node.node)
        args = [self.expr(arg) for arg in node.args]
        self.steps += 1

        def run(scope: Scope) -> object:
            result = function(scope.now, value(scope), *[arg(scope) for arg in args])
            charge(scope, result)
            return result
        return run

    def call(self, node: nodes.Call) -> Expr:
        target = node.node
        if not isinstance(target, nodes.Getattr) or node.kwargs or node.dyn_args \
                or node.dyn_kwargs:
            raise _Ineligible("Call")
        owner = self.expr(target.node)
        args = [self.expr(arg) for arg in node.args]
        self.steps += 1
        if target.attr == "get" and 1 <= len(args) <= 2:
            def get(scope: Scope) -> object:
                mapping = owner(scope)
                if type(mapping) is not dict:
                    raise Fallback
                result = mapping.get(*[arg(scope) for arg in args])
                charge(scope, result)
                return result
            return get
        if target.attr == "strftime" and len(args) == 1:
            pattern = args[0]

            def strftime(scope: Scope) -> object:
                moment, text = owner(scope), pattern(scope)
                if not isinstance(moment, date | clock_time) or type(text) is not str \
                        or len(text) > MAX_DATE_FORMAT:
                    raise Fallback
                result = moment.strftime(text)
                charge(scope, result)
                return result
            return strftime
        raise _Ineligible(f"call {target.attr}")
