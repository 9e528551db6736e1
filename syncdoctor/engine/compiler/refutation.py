"""The "this condition is definitely false" tests, as plain data evaluated in Python.

Question selection and WHY NOT need to know which rules can no longer fire. These tests used to
be durable rules of their own ("blockers", half of all firings and most of a large pack's
network); they are now compiled into small programs over the case message, evaluated by
:mod:`syncdoctor.engine.refute`, and indexed by the facts they read so that a case evaluates only
the conditions its known (or unanswerable) facts touch. Cause rules and derived-fact rules stay
in the Rete network: inference stays in durable_rules.

A program is nested tuples (it pickles, and compares by value):

- ``("all", parts)``, ``("any", parts)``, ``("not", part)``;
- ``("known", field, expected, facts)``: the field is present (``expected``) or absent;
- ``("test", field, op, operand, facts)``: the field's value against a constant
  (``op``: ``in``, ``not_in``, ``lt``, ``le``, ``gt``, ``ge``; ``in`` operands are tuples), or
  against another field (``op`` ending in ``_field``, operand the other field's name);
- ``("open",)``: a test this reading leaves undecided (a record test nested in a condition).

``facts`` are the fact ids the test reads, so that a test on a fact that will stay unknown
(the user cannot answer it) is known never to become true.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from syncdoctor.engine.compiler.model import Refutations
from syncdoctor.engine.encoding import Encoded, FieldMap, encode
from syncdoctor.kb.condition import COMPUTED
from syncdoctor.kb.spec import Condition, FactSpec, RuleSpec
from syncdoctor.kb.values import parse_duration, type_value

__all__ = ["build_refutations", "computed_key"]

Program = tuple[Any, ...]
"""Nested tuples of strings, booleans, numbers and tuples (see the module docstring)."""

_NEGATED = {"in": "not_in", "not_in": "in", "lt": "ge", "le": "gt", "gt": "le", "ge": "lt"}


def computed_key(cond: Condition) -> str:
    """One computed field per distinct test: its canonical JSON."""
    return json.dumps(cond.model_dump(mode="json", exclude_none=True, by_alias=True),
                      sort_keys=True)


class _Builder:
    def __init__(
        self, catalogue: Mapping[str, FactSpec], fields: FieldMap,
        regex_field: Mapping[tuple[str, str], str], computed_field: Mapping[str, str],
    ) -> None:
        self.catalogue = catalogue
        self.fields = fields
        self.regex_field = regex_field
        self.computed_field = computed_field

    def encoded(self, fact: str, value: object) -> Encoded:
        spec = self.catalogue[fact]
        return encode(spec.type, type_value(fact, spec, value))

    def program(self, cond: Condition) -> Program:
        if cond.all is not None:
            return ("all", tuple(self.program(c) for c in cond.all))
        if cond.any is not None:
            return ("any", tuple(self.program(c) for c in cond.any))
        if cond.not_ is not None:
            return ("not", self.program(cond.not_))
        if cond.any_record is not None or cond.fact is None:
            return ("open",)
        return self.test(cond, cond.fact)

    def test(self, cond: Condition, fact: str) -> Program:
        op = cond.operator
        here = self.fields.facts[fact]
        facts = tuple(cond.facts())
        if op in COMPUTED:
            return ("test", self.computed_field[computed_key(cond)], "in", (True,), facts)
        if op == "known":
            return ("known", here, bool(cond.known), facts)
        if op == "matches":
            field_name = self.regex_field[(fact, str(cond.matches))]
            return ("test", field_name, "in", (True,), facts)
        if op in ("older_than", "newer_than"):
            seconds = parse_duration(cond.duration)
            return ("test", self.fields.ages[fact], "gt" if op == "older_than" else "lt",
                    seconds, facts)
        if op.endswith("_fact"):
            base = op.removesuffix("_fact")
            other = self.fields.facts[str(cond.operand)]
            return ("test", here, f"{base}_field", other, facts)
        if op in ("eq", "ne", "in", "not_in"):
            values = tuple(self.encoded(fact, v) for v in cond.constants)
            return ("test", here, "in" if op in ("eq", "in") else "not_in", values, facts)
        if op in _NEGATED:
            return ("test", here, op, self.encoded(fact, cond.constants[0]), facts)
        return ("open",)


def build_refutations(
    catalogue: Mapping[str, FactSpec],
    rules: Sequence[RuleSpec],
    fields: FieldMap,
    regex_field: Mapping[tuple[str, str], str],
    computed_field: Mapping[str, str],
    is_case_condition: Callable[[Condition], bool],
) -> Refutations:
    """One program per distinct top-level condition on the case message, indexed by fact.

    ``is_case_condition(item)`` says whether a top-level item tests the case message (record
    tests and tests of derived facts are left possible, as they always were).
    """
    builder = _Builder(catalogue, fields, regex_field, computed_field)
    found: dict[Program, set[tuple[int, int]]] = {}
    for index, rule in enumerate(rules):
        for position, item in enumerate(rule.when.conjuncts()):
            if is_case_condition(item):
                found.setdefault(builder.program(item), set()).add((index, position))
    programs = sorted(found, key=repr)
    by_fact: dict[str, int] = {}
    facts_read: list[frozenset[str]] = []
    for number, program in enumerate(programs):
        read = frozenset(_facts(program))
        facts_read.append(read)
        for fact in read:
            by_fact[fact] = by_fact.get(fact, 0) | (1 << number)
    return Refutations(
        programs=tuple(programs),
        refutes=tuple(tuple(sorted(found[p])) for p in programs),
        blocks=tuple(tuple(sorted({rule for rule, _ in found[p]})) for p in programs),
        facts=tuple(facts_read),
        by_fact=dict(sorted(by_fact.items())),
    )


def _facts(program: Program) -> list[str]:
    kind = program[0]
    if kind in ("all", "any"):
        return [f for part in program[1] for f in _facts(part)]
    if kind == "not":
        return _facts(program[1])
    if kind in ("known", "test"):
        return list(program[-1])
    return []
