"""Keeping compiled rules inside what durable_rules can build (see docs/design-notes.md).

Rules are expanded into their alternatives (no ``$or`` reaches durable_rules), their tests put
in one pack-wide order, and packed greedily into as many rulesets as the limits need; a model
of each ruleset's alpha network checks every limit as rules are added.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from syncdoctor.engine.compiler.model import Entry, Expr, RuleCapacityError
from syncdoctor.errors import CapacityError

NODE_CHILD_LIMIT = 500
"""Distinct child tests allowed under one network node (durable_rules hangs past 512)."""


def and_(parts: Sequence[Expr]) -> Expr:
    """The conjunction of the parts (the part itself when there is one)."""
    return parts[0] if len(parts) == 1 else {"$and": list(parts)}


MAX_ALTERNATIVES = 64
"""Alternatives (disjunctive normal form) one rule may expand to."""
BETA_CHILD_LIMIT = 250
"""Rules allowed to end on one network node (durable_rules stops at 256, error 108)."""
RULES_PER_RULESET = 4000
"""durable_rules allows 4,096 rules (actions) per ruleset."""


def _alternatives(expr: Expr) -> list[list[Expr]]:
    """The conjunctions of plain tests an expression is the disjunction of."""
    if "$and" in expr:
        conjunctions: list[list[Expr]] = [[]]
        for part in expr["$and"]:
            options = _alternatives(part)
            if len(conjunctions) * len(options) > MAX_ALTERNATIVES:
                raise CapacityError(f"more than {MAX_ALTERNATIVES} alternatives")
            conjunctions = [c + o for c in conjunctions for o in options]
        return conjunctions
    if "$or" in expr:
        out: list[list[Expr]] = []
        for part in expr["$or"]:
            out.extend(_alternatives(part))
            if len(out) > MAX_ALTERNATIVES:
                raise CapacityError(f"more than {MAX_ALTERNATIVES} alternatives")
        return out
    return [[expr]]


def expand(definitions: list[tuple[str, Entry, Expr]]) -> list[tuple[str, Entry, Expr]]:
    """One durable rule per alternative, so that no ``$or`` reaches durable_rules.

    durable_rules never shares an ``$or`` node and allows 128 of them under one node (error
    107); plain tests are shared between rules and allowed 512 children. A rule may then fire
    once per true alternative; readers of firings deduplicate.
    """
    out: list[tuple[str, Entry, Expr]] = []
    for name, entry, expr in definitions:
        too_many = RuleCapacityError(
            f"the rule expands to more than {MAX_ALTERNATIVES} alternatives (every 'in' value "
            "and 'any' branch multiplies them); split it into several rules",
            entry.rule,
        )
        per_alias = []
        try:
            for alias_expr in expr["all"]:
                ((alias, inner),) = alias_expr.items()
                per_alias.append([(alias, conj) for conj in _alternatives(inner)])
        except CapacityError:
            raise too_many from None
        combos: list[list[tuple[str, list[Expr]]]] = [[]]
        for options in per_alias:
            if len(combos) * len(options) > MAX_ALTERNATIVES:
                raise too_many
            combos = [[*c, o] for c in combos for o in options]
        for number, combo in enumerate(combos):
            patterns = [{alias: and_(conj)} for alias, conj in combo]
            suffix = f".{number}" if len(combos) > 1 else ""
            out.append((f"{name}{suffix}", entry, {"all": patterns}))
    return out


STACK_LIMIT = 60
"""durable_rules walks the alpha network with a stack of 64 nodes: every child test that matches
one message is pushed at once (error 303 past 64). The compiler bounds the sum, along any path,
of the children of a node that could match the same message."""

Test = tuple[str, str | None]
"""A test's canonical text, and the property it compares for equality (None otherwise)."""


def _field_of(test: Expr) -> str:
    ((key, value),) = test.items()
    if key.startswith("$") and isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value)))
    return key


def order_tests(
    groups: list[list[tuple[str, Entry, Expr]]],
) -> list[list[tuple[str, Entry, Expr]]]:
    """Put each chain's tests in one pack-wide order: the most tested fields first.

    A conjunction means the same in any order, but durable_rules shares a chain's prefix with
    other chains only when their tests come in the same order. Ordering by how often a field is
    tested makes chains share their first nodes, so that fewer distinct tests hang under the
    root and fewer of them can match one message at once: fewer rulesets, faster assertions.
    """
    counts: dict[str, int] = defaultdict(int)
    for group in groups:
        for _, _, expr in group:
            for pattern in expr["all"]:
                (inner,) = pattern.values()
                for test in inner.get("$and", [inner])[1:]:
                    counts[_field_of(test)] += 1

    def key(test: Expr) -> tuple[int, str, int, str]:
        field_name = _field_of(test)
        ((op, _),) = test.items()
        # A field's $ex guard first, then its other tests, so chains share the guard.
        return (-counts[field_name], field_name, 0 if op == "$ex" else 1, json.dumps(test))

    ordered: list[list[tuple[str, Entry, Expr]]] = []
    for group in groups:
        new_group = []
        for name, entry, expr in group:
            patterns = []
            for pattern in expr["all"]:
                ((alias, inner),) = pattern.items()
                chain = inner.get("$and", [inner])
                if len(chain) > 2:
                    chain = [chain[0], *sorted(chain[1:], key=key)]
                patterns.append({alias: and_(chain)})
            new_group.append((name, entry, {"all": patterns}))
        ordered.append(new_group)
    return ordered


def _paths(expr: Expr) -> list[list[Test]]:
    """The chain of alpha tests each pattern of one durable rule builds."""
    paths: list[list[Test]] = []
    for alias_expr in expr["all"]:
        (inner,) = alias_expr.values()
        chain = inner.get("$and", [inner])
        paths.append([_canonical(test) for test in chain])
    return paths


def _canonical(test: Expr) -> Test:
    ((key, value),) = test.items()
    is_equality = not key.startswith("$") and not isinstance(value, dict)
    return json.dumps(test, sort_keys=True), key if is_equality else None


class _Node:
    """A node of the alpha network as durable_rules will build it."""

    __slots__ = ("best_child", "children", "ends", "equalities", "others")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.equalities: dict[str, int] = {}
        self.others = 0
        self.ends = 0
        self.best_child = 0

    @property
    def matching(self) -> int:
        """Most children that can match one message: one per equality property, all others."""
        return len(self.equalities) + self.others

    @property
    def stack(self) -> int:
        """Most stack entries a walk from this node can need."""
        return self.matching + self.best_child


class Trie:
    """A model of one ruleset's alpha network, to keep it inside durable_rules' limits."""

    def __init__(self) -> None:
        self.root = _Node()
        self.rules = 0

    def try_add(self, group: Sequence[tuple[str, Entry, Expr]]) -> bool:
        """Add the group's rules if every limit still holds; otherwise change nothing."""
        if self.rules + len(group) > RULES_PER_RULESET:
            return False
        undo: list[tuple[str, _Node, Any]] = []
        ok = True
        for _, _, expr in group:
            for path in _paths(expr):
                ok = self._add_path(path, undo) and ok
        if ok and self.root.stack <= STACK_LIMIT:
            self.rules += len(group)
            return True
        for action, node, value in reversed(undo):
            if action == "child":
                text, prop = value
                del node.children[text]
                if prop is None:
                    node.others -= 1
                else:
                    node.equalities[prop] -= 1
                    if not node.equalities[prop]:
                        del node.equalities[prop]
            elif action == "end":
                node.ends -= 1
            else:
                node.best_child = value
        return False

    def _add_path(self, path: list[Test], undo: list[tuple[str, _Node, Any]]) -> bool:
        ok = True
        visited = [self.root]
        node = self.root
        for text, prop in path:
            child = node.children.get(text)
            if child is None:
                child = node.children[text] = _Node()
                if prop is None:
                    node.others += 1
                else:
                    node.equalities[prop] = node.equalities.get(prop, 0) + 1
                undo.append(("child", node, (text, prop)))
                ok = ok and len(node.children) <= NODE_CHILD_LIMIT
            node = child
            visited.append(node)
        node.ends += 1
        undo.append(("end", node, None))
        ok = ok and node.ends <= BETA_CHILD_LIMIT
        for parent, child in zip(reversed(visited[:-1]), reversed(visited[1:]), strict=True):
            if child.stack > parent.best_child:
                undo.append(("best", parent, parent.best_child))
                parent.best_child = child.stack
        return ok


def _new_trie() -> Trie:
    trie = Trie()
    trie.try_add([("sentinel", Entry("sentinel"), {"all": [{"c": {"t": "case"}}]})])
    return trie


def usage_of(tries: Sequence[Trie]) -> dict[str, float]:
    """The share of each limit used, at the most loaded node of any ruleset."""
    peak = {"children": 0, "ends": 0, "stack": 0, "rules": 0}
    for trie in tries:
        peak["stack"] = max(peak["stack"], trie.root.stack)
        peak["rules"] = max(peak["rules"], trie.rules)
        pending = [trie.root]
        while pending:
            node = pending.pop()
            peak["children"] = max(peak["children"], len(node.children))
            peak["ends"] = max(peak["ends"], node.ends)
            pending.extend(node.children.values())
    limits = {
        "children": NODE_CHILD_LIMIT, "ends": BETA_CHILD_LIMIT,
        "stack": STACK_LIMIT, "rules": RULES_PER_RULESET,
    }
    return {key: round(peak[key] / limits[key], 3) for key in sorted(peak)}


def _first_test(group: list[tuple[str, Entry, Expr]]) -> str:
    """The test a rule's chain starts with, after its message type (a packing order)."""
    _, _, expr = group[0]
    (inner,) = expr["all"][0].values()
    chain = inner.get("$and", [inner])
    return json.dumps(chain[1] if len(chain) > 1 else chain[0], sort_keys=True)


def pack_into_rulesets(
    groups: Sequence[list[tuple[str, Entry, Expr]]],
    tries: list[Trie] | None = None,
) -> list[list[tuple[str, Entry, Expr]]]:
    """Greedily fill rulesets, keeping every node's children under the limit.

    Taken in their own order, rules whose chains start on different fields fill a ruleset's
    first node with distinct tests: the stack limit then closed a ruleset every ~150 rules at
    5,000 rules (32 rulesets, each matching every case message again). When the rules need more
    than one ruleset, they are packed again ordered by the test their chain starts with, so that
    a ruleset's rules share their first nodes; the packing with fewer rulesets is kept (4 at
    5,000 rules). A pack that fits in one ruleset keeps its own order.
    """
    built: list[Trie] = []
    chunks = _pack(groups, built)
    if len(chunks) > 1:
        regrouped: list[Trie] = []
        by_first_test = _pack(sorted(groups, key=_first_test), regrouped)
        if len(by_first_test) < len(chunks):
            chunks, built = by_first_test, regrouped
    if tries is not None:
        tries.extend(built)
    return chunks


def _pack(
    groups: Sequence[list[tuple[str, Entry, Expr]]], built: list[Trie]
) -> list[list[tuple[str, Entry, Expr]]]:
    chunks: list[list[tuple[str, Entry, Expr]]] = [[]]
    trie = _new_trie()
    built.append(trie)
    for group in groups:
        if not trie.try_add(group):
            chunks.append([])
            trie = _new_trie()
            built.append(trie)
            if not trie.try_add(group):
                raise RuleCapacityError(
                    f"the rule alone is beyond what durable_rules can build: more than "
                    f"{NODE_CHILD_LIMIT} tests under one node, {BETA_CHILD_LIMIT} "
                    f"alternatives ending on one, or {STACK_LIMIT} tests matching one fact",
                    group[0][1].rule,
                )
        chunks[-1].extend(group)
    return chunks
