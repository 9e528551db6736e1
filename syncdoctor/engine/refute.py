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

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncdoctor.engine.compiler.model import Refutations

__all__ = ["Refuted", "refute", "truth"]

Truth = tuple[bool, bool]
"""(can still be true, can still be false)."""
_EITHER: Truth = (True, True)
_NEITHER: Truth = (False, False)


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


@dataclass
class Refuted:
    """What the refutation programs say about one case."""

    blocked: set[int] = field(default_factory=set)
    """Rules with a condition that is definitely false (WHY NOT's "refuted")."""
    refuted: set[tuple[int, int]] = field(default_factory=set)
    """(rule, position) of each condition definitely false."""
    impossible: set[int] = field(default_factory=set)
    """Rules that cannot fire while the frozen facts stay unknown (includes ``blocked``)."""


def refute(
    refutations: Refutations,
    message: Mapping[str, object],
    known: Collection[str],
    frozen: Collection[str] = frozenset(),
) -> Refuted:
    """Evaluate the programs that the known and frozen facts touch, on the case message."""
    by_fact = refutations.by_fact
    touched = 0
    for fact in known:
        touched |= by_fact.get(fact, 0)
    frozen_touched = 0
    for fact in frozen:
        frozen_touched |= by_fact.get(fact, 0)
    out = Refuted()
    programs = refutations.programs
    pending = touched | frozen_touched
    while pending:
        low = pending & -pending
        number = low.bit_length() - 1
        pending ^= low
        program = programs[number]
        if low & touched and not truth(program, message, ())[0]:
            out.blocked.update(refutations.blocks[number])
            out.refuted.update(refutations.refutes[number])
            out.impossible.update(refutations.blocks[number])
        elif low & frozen_touched and not truth(program, message, frozen)[0]:
            out.impossible.update(refutations.blocks[number])
    return out
