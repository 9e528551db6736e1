"""Which rules can no longer fire: the refutation programs evaluated on one case message.

Each top-level condition on the case message reads as a pair (can it still be true, can it
still be false) given the known facts, the facts still open, and the facts that will stay
unknown (the user cannot answer them). This is Kleene's three-valued logic with "unknown" split
in two: a test on an open fact may still go either way, a test on a fact that stays unknown is
never true and never false (only ``known: false`` holds for it).

- *Refuted* (what the network's blockers used to say): the condition cannot be true even
  though every open fact may still be given, reading the unanswerable facts as merely open.
  WHY NOT names these conditions.
- *Impossible*: the condition cannot be true once the unanswerable facts are read as staying
  unknown. Question selection drops every rule with such a condition, and so never asks for
  the rest of a rule that waits on a fact nobody can give.

Only the programs some known or unanswerable fact touches are evaluated (``by_fact``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncdoctor.engine.compiler.model import Refutations

__all__ = ["Check", "Refuted", "Refuter", "compile_program", "truth"]

Truth = tuple[bool, bool]
"""(can still be true, can still be false)."""
_EITHER: Truth = (True, True)
_NEITHER: Truth = (False, False)
_TRUE: Truth = (True, False)
_FALSE: Truth = (False, True)
_MISSING = object()


def _compare(op: str, value: object, operand: object) -> bool:
    """One test on encoded values (bools, texts, integers), as durable_rules compares them."""
    if op in ("in", "not_in"):
        members = operand if isinstance(operand, tuple) else (operand,)
        return (value in members) == (op == "in")
    if isinstance(value, bool) or isinstance(operand, bool):
        return False  # durable_rules orders numbers and texts, not truth values
    if isinstance(value, int) and isinstance(operand, int):  # noqa: SIM114 (mypy narrows each)
        sign = (value > operand) - (value < operand)
    elif isinstance(value, str) and isinstance(operand, str):
        sign = (value > operand) - (value < operand)
    else:
        return False
    if op not in _ORDER:
        raise ValueError(f"unknown refutation operator {op!r}")
    return sign in _ORDER[op]


_ORDER = {"lt": (-1,), "le": (-1, 0), "gt": (1,), "ge": (0, 1)}


def truth(
    program: tuple[Any, ...], message: Mapping[str, object], frozen: Collection[str]
) -> Truth:
    """Whether the condition can still be true, and whether it can still be false.

    ``frozen``: facts that stay unknown. Raises ValueError on a malformed program.
    """
    kind = program[0]
    if kind == "all":
        parts = [truth(p, message, frozen) for p in program[1]]
        return all(t for t, _ in parts), any(f for _, f in parts)
    if kind == "any":
        parts = [truth(p, message, frozen) for p in program[1]]
        return any(t for t, _ in parts), all(f for _, f in parts)
    if kind == "not":
        can_true, can_false = truth(program[1], message, frozen)
        return can_false, can_true
    if kind == "open":
        return _EITHER
    if kind == "known":
        _, field_name, expected, facts = program
        if field_name in message:
            return (True, False) if expected else (False, True)
        if any(f in frozen for f in facts):
            return (False, True) if expected else (True, False)
        return _EITHER
    if kind == "test":
        _, field_name, op, operand, facts = program
        if op.endswith("_field"):
            if field_name not in message or operand not in message:
                return _NEITHER if any(f in frozen for f in facts) else _EITHER
            holds = _compare(_FIELD_OPS[op], message[field_name], (message[operand],)
                             if op in ("eq_field", "ne_field") else message[operand])
            return holds, not holds
        if field_name not in message:
            return _NEITHER if any(f in frozen for f in facts) else _EITHER
        holds = _compare(op, message[field_name], operand)
        return holds, not holds
    raise ValueError(f"unknown refutation program {kind!r}")


_FIELD_OPS = {"eq_field": "in", "ne_field": "not_in", "lt_field": "lt", "le_field": "le",
              "gt_field": "gt", "ge_field": "ge"}

Check = Callable[[Mapping[str, object], Collection[str]], Truth]
"""A program compiled into nested closures: ``truth(program, ...)`` without the dispatch on
its kind at every node of every call (the interpreted walk was most of a case's refutation)."""


def compile_program(program: tuple[Any, ...]) -> Check:
    """The program as a closure with :func:`truth`'s answers (``truth`` stays the reference).

    Raises:
        ValueError: a malformed program.
    """
    kind = program[0]
    if kind in ("all", "any"):
        parts = tuple(compile_program(p) for p in program[1])
        if kind == "all":
            def every(message: Mapping[str, object], frozen: Collection[str]) -> Truth:
                can_true, can_false = True, False
                for part in parts:
                    true, false = part(message, frozen)
                    can_true = can_true and true
                    can_false = can_false or false
                return can_true, can_false
            return every

        def some(message: Mapping[str, object], frozen: Collection[str]) -> Truth:
            can_true, can_false = False, True
            for part in parts:
                true, false = part(message, frozen)
                can_true = can_true or true
                can_false = can_false and false
            return can_true, can_false
        return some
    if kind == "not":
        inner = compile_program(program[1])

        def negated(message: Mapping[str, object], frozen: Collection[str]) -> Truth:
            can_true, can_false = inner(message, frozen)
            return can_false, can_true
        return negated
    if kind == "open":
        return lambda _message, _frozen: _EITHER
    if kind == "known":
        return _known(*program[1:])
    if kind == "test":
        return _test(*program[1:])
    raise ValueError(f"unknown refutation program {kind!r}")


def _known(field_name: str, expected: bool, facts: tuple[str, ...]) -> Check:
    present: Truth = (True, False) if expected else (False, True)
    absent: Truth = (False, True) if expected else (True, False)

    def known(message: Mapping[str, object], frozen: Collection[str]) -> Truth:
        if field_name in message:
            return present
        if frozen and any(f in frozen for f in facts):
            return absent
        return _EITHER
    return known


def _test(field_name: str, op: str, operand: object, facts: tuple[str, ...]) -> Check:
    if op.endswith("_field"):
        base = _FIELD_OPS[op]
        single = op in ("eq_field", "ne_field")
        if not isinstance(operand, str):
            raise ValueError(f"{op} compares with a field, not {operand!r}")
        other_field = operand

        def against_field(message: Mapping[str, object], frozen: Collection[str]) -> Truth:
            if field_name not in message or other_field not in message:
                return _NEITHER if frozen and any(f in frozen for f in facts) else _EITHER
            other = message[other_field]
            holds = _compare(base, message[field_name], (other,) if single else other)
            return holds, not holds
        return against_field
    if op in ("in", "not_in"):
        # Most tests (an enum's value, a flag): membership inline, one look-up, no new tuple.
        members = operand if isinstance(operand, tuple) else (operand,)
        wanted = op == "in"

        def member(message: Mapping[str, object], frozen: Collection[str]) -> Truth:
            value = message.get(field_name, _MISSING)
            if value is _MISSING:
                return _NEITHER if frozen and any(f in frozen for f in facts) else _EITHER
            return _TRUE if (value in members) == wanted else _FALSE
        return member
    if op not in _ORDER:
        raise ValueError(f"unknown refutation operator {op!r}")

    def test(message: Mapping[str, object], frozen: Collection[str]) -> Truth:
        if field_name not in message:
            return _NEITHER if frozen and any(f in frozen for f in facts) else _EITHER
        holds = _compare(op, message[field_name], operand)
        return holds, not holds
    return test


@dataclass
class Refuted:
    """What the refutation programs say about one case."""

    blocked: set[int] = field(default_factory=set)
    """Rules with a condition that is definitely false (WHY NOT's "refuted")."""
    impossible: set[int] = field(default_factory=set)
    """Rules that cannot fire while the frozen facts stay unknown (includes ``blocked``)."""
    programs: tuple[int, ...] = ()
    """The programs shown false."""
    refutes: tuple[tuple[tuple[int, int], ...], ...] = ()
    """Per program: the (rule, position) pairs it stands for (``Refutations.refutes``)."""

    @functools.cached_property
    def refuted(self) -> frozenset[tuple[int, int]]:
        """(rule, position) of each condition definitely false.

        Worked out when first read: only WHY NOT reads it, and at 5,000 rules the pairs cost
        a quarter of a case's refutation.
        """
        return frozenset().union(*(self.refutes[n] for n in self.programs))


class _Members:
    """The one-field membership programs (``in`` / ``not_in``) of one field and one set of facts.

    Most programs are such tests, and whether each is false depends only on the field's value:
    so each distinct value's verdict (the programs false, the rules they block) is worked out
    once, on first use, instead of every program being run on every case. Only values some
    operand names are kept apart; any other value gets the same verdict as every other one,
    so the verdicts stay as few as the operands.
    """

    __slots__ = ("facts", "named", "tests", "verdicts")

    def __init__(self, facts: tuple[str, ...]) -> None:
        self.facts = facts
        self.tests: list[tuple[int, tuple[object, ...], bool]] = []
        """(program number, members, whether the test is ``in``)."""
        self.named: set[object] = set()
        self.verdicts: dict[object, tuple[tuple[int, ...], frozenset[int]]] = {}

    def verdict(
        self, value: object, blocks: tuple[tuple[int, ...], ...]
    ) -> tuple[tuple[int, ...], frozenset[int]]:
        """The programs false for ``value``, and the rules they block."""
        key = value if value in self.named else _MISSING
        found = self.verdicts.get(key)
        if found is None:
            false = tuple(n for n, members, wanted in self.tests if (value in members) != wanted)
            found = self.verdicts[key] = (
                false, frozenset().union(*(blocks[n] for n in false))
            )
        return found


class Refuter:
    """A pack's refutation programs, compiled, with the programs each fact is read by."""

    __slots__ = ("_blocks", "_checks", "_members", "_others", "_readers", "_refutes")

    def __init__(self, refutations: Refutations) -> None:
        self._checks = tuple(compile_program(program) for program in refutations.programs)
        # Fact -> the numbers of the programs reading it (``by_fact``'s bits, listed once: a
        # case then unions short tuples instead of walking the bits of wide integers).
        self._readers = {
            fact: tuple(n for n, bit in enumerate(reversed(f"{mask:b}")) if bit == "1")
            for fact, mask in refutations.by_fact.items()
        }
        self._blocks = refutations.blocks
        self._refutes = refutations.refutes
        read_by: dict[int, list[str]] = {}
        for fact, numbers in self._readers.items():
            for number in numbers:
                read_by.setdefault(number, []).append(fact)
        members: dict[str, dict[tuple[str, ...], _Members]] = {}
        others: dict[str, list[int]] = {}
        for number, program in enumerate(refutations.programs):
            facts = tuple(read_by.get(number, ()))
            if program[0] == "test" and program[2] in ("in", "not_in"):
                _, field_name, op, operand, _facts = program
                group = members.setdefault(field_name, {}).get(facts)
                if group is None:
                    group = members[field_name][facts] = _Members(facts)
                tested = operand if isinstance(operand, tuple) else (operand,)
                group.tests.append((number, tested, op == "in"))
                group.named.update(tested)
            else:
                for fact in facts:
                    others.setdefault(fact, []).append(number)
        self._members = {name: tuple(groups.values()) for name, groups in members.items()}
        self._others = {fact: tuple(numbers) for fact, numbers in others.items()}

    @property
    def checks(self) -> tuple[Check, ...]:
        """Per program: the program compiled."""
        return self._checks

    def refute(
        self,
        message: Mapping[str, object],
        known: Collection[str],
        frozen: Collection[str] = frozenset(),
    ) -> Refuted:
        """Evaluate the programs that the known and frozen facts touch, on the case message."""
        readers = self._readers
        frozen_touched: set[int] = set()
        for fact in frozen:
            frozen_touched.update(readers.get(fact, ()))
        if not frozen_touched:  # the usual case: every fact may still be given
            return self._refute_open(message, known)
        touched: set[int] = set()
        for fact in known:
            touched.update(readers.get(fact, ()))
        checks = self._checks
        refuted: list[int] = []
        impossible: list[int] = []  # refuted or not, in program order (as the sets fill)
        for number in sorted(touched | frozen_touched):
            check = checks[number]
            if number in touched and not check(message, ())[0]:
                refuted.append(number)
                impossible.append(number)
            elif number in frozen_touched and not check(message, frozen)[0]:
                impossible.append(number)
        blocks = self._blocks
        return Refuted(
            blocked=set().union(*(blocks[n] for n in refuted)),
            programs=tuple(refuted),
            refutes=self._refutes,
            impossible=set().union(*(blocks[n] for n in impossible)),
        )

    def _refute_open(self, message: Mapping[str, object], known: Collection[str]) -> Refuted:
        """``refute`` when no fact stays unknown: refuted and impossible are the same."""
        blocks = self._blocks
        members = self._members
        known_facts = known if isinstance(known, set | frozenset) else set(known)
        refuted: list[int] = []
        blocked: set[int] = set()
        # A membership program reads its field's value: present only when a fact is known.
        for field_name, value in message.items():
            for group in members.get(field_name, ()):
                if not known_facts.isdisjoint(group.facts):
                    false, rules = group.verdict(value, blocks)
                    refuted.extend(false)
                    blocked.update(rules)
        others = self._others
        touched: set[int] = set()
        for fact in known_facts:
            touched.update(others.get(fact, ()))
        checks = self._checks
        empty = ()
        for number in touched:
            if not checks[number](message, empty)[0]:
                refuted.append(number)
                blocked.update(blocks[number])
        refuted.sort()
        return Refuted(
            blocked=blocked, programs=tuple(refuted), refutes=self._refutes,
            impossible=set(blocked),
        )
