"""What the compiler produces: durable_rules ruleset definitions and how to read them back.

:meth:`CompiledPack.alternatives` reads the compiled rules back as plain tests, so that
``kb lint`` can reason about them without knowing how they are encoded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from syncdoctor.engine.encoding import FieldMap, marked_field
from syncdoctor.errors import CapacityError
from syncdoctor.kb.condition import Condition

__all__ = [
    "CompiledPack",
    "ComputedTest",
    "Entry",
    "EntryKind",
    "Expr",
    "PlainTest",
    "Refutations",
    "RegexTest",
    "RuleCapacityError",
    "RuleShapeError",
]

Expr = dict[str, Any]
"""A durable_rules expression, in its JSON form (a JSON boundary: any JSON value)."""
EntryKind = Literal["rule", "sentinel"]
TestOp = Literal["known", "unknown", "eq", "ne", "lt", "le", "gt", "ge", "other"]
_BOUNDS: dict[str, TestOp] = {"$lt": "lt", "$lte": "le", "$gt": "gt", "$gte": "ge"}


@dataclass(frozen=True)
class RegexTest:
    """A ``matches`` test, evaluated (with RE2, in linear time) before assertion."""

    field: str
    fact: str
    pattern: str


@dataclass(frozen=True)
class ComputedTest:
    """A test comparing two facts (``same_text_as``, ``close_to``...), computed before assertion."""

    field: str
    condition: Condition
    """The test as written (a single test, never a combinator)."""


@dataclass(frozen=True)
class Entry:
    """What one durable_rules rule stands for."""

    kind: EntryKind
    rule: int = -1
    """Index into the pack's rules (sorted by id), for a rule; -1 otherwise."""
    records: bool = False
    """Whether the rule binds records (its firings must be decoded to read them)."""




@dataclass(frozen=True)
class PlainTest:
    """One test of a compiled rule, read back: a field, an operator and a constant."""

    field: str
    """The field tested (for ``unknown``: the field whose marker is tested)."""
    op: TestOp
    """``other``: a test this reading does not interpret (comparisons of two fields)."""
    value: bool | str | int | float | None
    canonical: str
    """The test's exact JSON text: equal texts are the same test."""

    @classmethod
    def read(cls, test: Expr) -> PlainTest:
        """Decode one plain durable_rules test."""
        ((key, value),) = test.items()
        text = json.dumps(test, sort_keys=True)
        if key == "$ex":
            ((name, _),) = value.items()
            return cls(str(name), "known", None, text)
        if key == "$neq" or key in _BOUNDS:
            ((name, operand),) = value.items()
            if isinstance(operand, dict):
                return cls(str(name), "other", None, text)
            return cls(str(name), "ne" if key == "$neq" else _BOUNDS[key], operand, text)
        if not key.startswith("$") and not isinstance(value, dict):
            marked = marked_field(key)
            if marked is not None:
                return cls(marked, "unknown", None, text)
            return cls(key, "eq", value, text)
        return cls(key, "other", None, text)


@dataclass(frozen=True)
class Refutations:
    """The top-level conditions on the case message, as programs evaluated in Python.

    See :mod:`syncdoctor.engine.compiler.refutation` (how they are built) and
    :mod:`syncdoctor.engine.refute` (how a case evaluates them).
    """

    programs: tuple[tuple[Any, ...], ...] = ()
    """One per distinct condition (plain nested tuples)."""
    refutes: tuple[tuple[tuple[int, int], ...], ...] = ()
    """Per program: (rule index, position among the rule's top-level conditions) of every
    condition it stands for; WHY NOT names the ones shown false."""
    blocks: tuple[tuple[int, ...], ...] = ()
    """Per program: the rules that cannot fire once it is false."""
    facts: tuple[frozenset[str], ...] = ()
    """Per program: the facts it reads."""
    by_fact: dict[str, int] = field(default_factory=dict)
    """Fact -> a bitset (bit i: program i) of the programs reading it: a case evaluates only
    the programs its known facts touch."""

    @property
    def refutable(self) -> frozenset[tuple[int, int]]:
        """Every (rule, position) some program stands for."""
        return frozenset(pair for pairs in self.refutes for pair in pairs)


Alternative = tuple[tuple[PlainTest, ...], ...]
"""One durable rule a YAML rule expands to: per pattern (message), its chain of tests."""


@dataclass
class CompiledPack:
    """A pack's rules as durable_rules ruleset definitions, and how to read their firings."""

    pack: str
    rulesets: tuple[dict[str, Expr], ...]
    entries: dict[str, Entry]
    fields: FieldMap
    regexes: tuple[RegexTest, ...]
    derived_field: dict[str, str]
    """Derived fact id -> field name used in its ``d`` messages."""
    usage: dict[str, float] = field(default_factory=dict)
    """The highest share of each durable_rules limit that any of the rulesets uses."""
    computed: tuple[ComputedTest, ...] = ()
    """Tests comparing two facts, each asserted as one boolean field of the case message."""
    refutations: Refutations = field(default_factory=Refutations)
    """The "definitely false" tests of the top-level case conditions, evaluated in Python."""


    def alternatives(self) -> dict[int, list[Alternative]]:
        """Per rule (index in the pack), every alternative it was expanded to."""
        out: dict[int, list[Alternative]] = {}
        for definition in self.rulesets:
            for name, expr in definition.items():
                entry = self.entries.get(name)
                if entry is None or entry.kind != "rule":
                    continue
                patterns = []
                for pattern in expr["all"]:
                    (inner,) = pattern.values()
                    patterns.append(tuple(PlainTest.read(t) for t in inner.get("$and", [inner])))
                out.setdefault(entry.rule, []).append(tuple(patterns))
        return out


class RuleCapacityError(CapacityError):
    """One rule too large for durable_rules; ``rule`` is its index in the pack (-1: none)."""

    def __init__(self, message: str, rule: int) -> None:
        super().__init__(message)
        self.rule = rule


class RuleShapeError(ValueError):
    """A rule whose conditions cannot compile; the message says why, the path says where."""

    def __init__(self, message: str, path: Sequence[str | int]) -> None:
        super().__init__(message)
        self.path = tuple(path)
