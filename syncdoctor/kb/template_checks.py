"""Static checks of a template against the render bounds of template_limits.

Two tiers, as elsewhere: :func:`load_issues` finds what the loader refuses (KB108), because it
can only be an attempt on the sandbox or on determinism; :func:`bound_risks` finds what
``syncdoctor kb lint`` reports, because it would fail (L212) or might fail (L213) at render time,
where the sandbox stops it anyway and the diagnosis carries a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from jinja2 import nodes

from syncdoctor.kb.template_limits import (
    MAX_PARTS,
    MAX_PRECISION,
    MAX_TEXT,
    REFUSED_ATTRIBUTES,
    STR_METHODS,
)

REFUSED_FILTER_NAMES = frozenset({"random", "attr", "format"})
"""Filters a template may not reach, not even by name through ``|map('...')``."""
_CLOCK_ATTRIBUTES = frozenset({"now", "today", "utcnow", "astimezone", "timestamp",
                               "fromtimestamp", "utcfromtimestamp"})
_UNLISTED_METHODS = frozenset({"encode", "translate", "maketrans", "to_bytes", "from_bytes"})
"""Methods of str and int that the allow-lists leave out on purpose (they build any size)."""
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
FILTER_BOUNDS: Mapping[str, tuple[str, int]] = {
    "center": ("width", MAX_TEXT), "indent": ("width", MAX_TEXT),
    "wordwrap": ("width", MAX_TEXT), "truncate": ("length", MAX_TEXT),
    "slice": ("slices", MAX_PARTS), "batch": ("linecount", MAX_PARTS),
    "round": ("precision", MAX_PRECISION),
}
"""The size argument of each bounded filter (its first positional one) and its bound."""

_TEXT_FILTERS: Mapping[str, Callable[[str], str]] = {
    "lower": str.lower, "upper": str.upper, "trim": str.strip, "string": str,
    "reverse": lambda text: text[::-1],
}
"""Filters constant_text follows, so that ``'TAMROF'|lower|reverse`` is seen as 'format'."""

Risk = tuple[Literal["L212", "L213"], str, int]


def constant_text(node: nodes.Node) -> str | None:
    """The text an expression always has, when it is built from literals by ``~`` and ``+``."""
    if isinstance(node, nodes.Const):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, nodes.Concat):
        parts = [constant_text(part) for part in node.nodes]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
    if isinstance(node, nodes.Add):
        left, right = constant_text(node.left), constant_text(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, nodes.Filter) and node.node is not None and not node.args:
        inner = constant_text(node.node)
        change = _TEXT_FILTERS.get(node.name)
        return None if inner is None or change is None else change(inner)
    return None


def load_issues(getitems: Iterable[nodes.Getitem], keywords: Iterable[nodes.Keyword],
                filters: Iterable[nodes.Filter]) -> list[tuple[str, int]]:
    """What the loader refuses beyond templates.py's own checks, as (message, template line)."""
    issues: list[tuple[str, int]] = []
    for item in getitems:
        if isinstance(item.arg, nodes.Const) and not isinstance(item.node, nodes.Const):
            continue  # a literal key: a fact id or a record field, checked by templates.py
        key = constant_text(item.arg)
        if key is not None and (key in REFUSED_ATTRIBUTES or key.startswith("_")):
            issues.append((f"template reaches for {key!r} through a subscript: not allowed",
                           item.lineno))
    for keyword in keywords:
        value = constant_text(keyword.value)
        if keyword.key == "attribute" and not isinstance(keyword.value, nodes.Const) \
                and value is not None \
                and (value.startswith("_") or value.split(".")[0] in REFUSED_ATTRIBUTES):
            issues.append((f"attribute {value!r} is not allowed", keyword.lineno))
    for filter_node in filters:
        if filter_node.name == "map" and filter_node.args:
            name = constant_text(filter_node.args[0])
            if name in REFUSED_FILTER_NAMES:
                issues.append((f"filter {name!r} is not allowed in templates, "
                               "not even through map", filter_node.lineno))
    return issues


def bound_risks(ast: nodes.Template) -> list[Risk]:
    """What lint reports: L212 fails at every render, L213 may run out of its budget."""
    risks: list[Risk] = []
    risks.extend(_size_arguments(ast))
    risks.extend(_attributes(ast))
    risks.extend(_growth(ast))
    return sorted(set(risks), key=lambda risk: (risk[2], risk[0], risk[1]))


def _int_constant(node: nodes.Node | None) -> int | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, int):
        return node.value
    return None


def _size_arguments(ast: nodes.Template) -> Iterable[Risk]:
    for call in ast.find_all(nodes.Call):
        method = call.node
        if isinstance(method, nodes.Getattr) and method.attr in _WIDTH_METHODS and call.args:
            width = _int_constant(call.args[0])
            if width is not None and width > MAX_TEXT:
                yield ("L212", f"{method.attr}({width}) builds more than {MAX_TEXT:,} "
                       "characters: it fails at every render", call.lineno)
    for filter_node in ast.find_all(nodes.Filter):
        bound = FILTER_BOUNDS.get(filter_node.name)
        if bound is None:
            continue
        name, limit = bound
        given = [k.value for k in filter_node.kwargs if k.key == name] + filter_node.args[:1]
        for value in (_int_constant(node) for node in given):
            if value is not None and value > limit:
                yield ("L212", f"|{filter_node.name}: {name} {value} is over the bound of "
                       f"{limit:,}: it fails at every render", filter_node.lineno)
    for product in ast.find_all(nodes.Mul):
        for count, other in ((product.right, product.left), (product.left, product.right)):
            times = _int_constant(count)
            text = constant_text(other)
            if times is not None and text is not None and len(text) * times > MAX_TEXT:
                yield ("L212", f"repeating {text[:20]!r} {times} times builds more than "
                       f"{MAX_TEXT:,} characters: it fails at every render", product.lineno)


def _attributes(ast: nodes.Template) -> Iterable[Risk]:
    for node in ast.find_all(nodes.Getattr):
        if constant_text(node.node) is not None and node.attr not in STR_METHODS \
                and not node.attr.startswith("_"):
            yield ("L212", f"str method {node.attr!r} is not on the sandbox's allow-list",
                   node.lineno)
    for call in ast.find_all(nodes.Call):
        # Called, so not a record field of that name: the sandbox refuses it on every value.
        method = call.node.attr if isinstance(call.node, nodes.Getattr) else None
        if method in _CLOCK_ATTRIBUTES:
            yield ("L212", f"{method!r} reads the machine's clock or time zone: refused at "
                   "render, since the same case must give the same text", call.lineno)
        elif method in _UNLISTED_METHODS:
            yield ("L212", f"method {method!r} is not on the sandbox's allow-list: refused at "
                   "render", call.lineno)


def _growth(ast: nodes.Template) -> Iterable[Risk]:
    for loop in ast.find_all(nodes.For):
        if loop.recursive:
            yield ("L213", "a recursive loop may run out of its render budget", loop.lineno)
        inner = next(iter(_loops_within(loop)), None)
        if inner is not None:
            yield ("L213", f"a loop within a loop (line {inner.lineno}) runs the product of their "
                   "lengths and may run out of its render budget", loop.lineno)
    for assign in ast.find_all(nodes.Assign):
        if not isinstance(assign.target, nodes.Name):
            continue
        uses = [n for n in _operands(assign.node)
                if isinstance(n, nodes.Name) and n.name == assign.target.name]
        if len(uses) >= 2:
            yield ("L213", f"{assign.target.name!r} is built from itself more than once, so it "
                   "doubles each time and may pass the render bounds", assign.lineno)


def _operands(node: nodes.Node) -> Iterable[nodes.Node]:
    """The operands ``~``, ``+`` and ``*`` join in an expression (``a ~ (b + a)``: a, b, a)."""
    if isinstance(node, nodes.Concat):
        for part in node.nodes:
            yield from _operands(part)
    elif isinstance(node, nodes.Add | nodes.Mul):
        yield from _operands(node.left)
        yield from _operands(node.right)
    else:
        yield node


def _loops_within(loop: nodes.For) -> Iterable[nodes.For]:
    for child in loop.body:
        if isinstance(child, nodes.For):
            yield child
        else:
            yield from child.find_all(nodes.For)
