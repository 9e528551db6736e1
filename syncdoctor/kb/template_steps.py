"""The pieces of a direct render (template_direct): its scope, its bounds and its shortest steps.

A direct render's closures read a :class:`Scope` and give up (:class:`Fallback`) wherever they
are not sure to do what Jinja2's sandbox does; :func:`charge` counts what they build as the
render budget (template_limits) counts it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeGuard

from jinja2 import nodes

from syncdoctor.kb.template_limits import MAX_BUILT, MAX_INT_BITS, MAX_TEXT

__all__ = [
    "VARIABLES", "Emit", "Expr", "Fallback", "Scope", "charge", "is_variable", "named_item",
    "named_membership", "product",
]


class Fallback(Exception):  # not an error: "render this one through Jinja2"
    """The direct render is not sure to match Jinja2's: render through Jinja2 instead."""


class Scope:
    """One direct render's variables and the characters its steps built."""

    __slots__ = ("built", "facts", "names", "now", "record")

    def __init__(self, facts: object, record: object, now: object) -> None:
        self.facts = facts
        self.record = record
        self.now = now
        self.built = 0
        self.names: dict[str, object] = {}
        """What the template's ``{% set %}`` assigned so far."""


Expr = Callable[[Scope], Any]
Emit = Callable[[Scope, list[str]], None]
VARIABLES = frozenset({"facts", "record", "now"})
"""The names a template reads from its render."""


def charge(scope: Scope, value: object) -> None:
    """Count what a step built, as the render budget counts it; past a bound, give up."""
    if isinstance(value, str | list | tuple | dict):
        size = len(value)
        scope.built += size
        if size > MAX_TEXT or scope.built > MAX_BUILT:
            raise Fallback


def product(left: Expr, right: Expr) -> Expr:
    """``*`` as the sandbox's call_binop does it for two numbers: no int past MAX_INT_BITS."""
    def multiply(scope: Scope) -> object:
        a, b = left(scope), right(scope)
        if type(a) not in _NUMBERS or type(b) not in _NUMBERS or (type(a) is type(b) is int \
                and a.bit_length() + b.bit_length() > MAX_INT_BITS + 1):
            raise Fallback
        return a * b
    return multiply


_NUMBERS = (int, float, Decimal)


# Most of a template's steps are ``"id" in facts`` and ``facts["id"]``: each is one closure
# here, not three (the constant, the variable, the operation), with the same operations.

def is_variable(node: nodes.Node) -> TypeGuard[nodes.Name]:
    """``facts``, ``record`` or ``now``, read."""
    return isinstance(node, nodes.Name) and node.ctx == "load" and node.name in VARIABLES


def named_item(variable: str, key: str) -> Expr:
    """``facts["id"]``: as template_direct's items read a text key (from a plain dict only)."""
    holder = operator.attrgetter(variable)

    def read(scope: Scope) -> object:
        found = holder(scope)
        if type(found) is dict and key in found:
            return found[key]
        raise Fallback  # the sandbox would look for an attribute next
    return read


def named_membership(key: str, variable: str, inside: bool) -> Expr:
    """``"id" in facts`` (or ``not in``), as template_direct's comparisons test it."""
    holder = operator.attrgetter(variable)
    if inside:
        return lambda scope: key in holder(scope)
    return lambda scope: key not in holder(scope)
