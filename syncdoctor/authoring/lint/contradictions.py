"""L201 and L202: rules that can never fire, and rules duplicated or shadowed by another.

Both read the compiled rules back as plain tests (:meth:`CompiledPack.alternatives`), so a
contradiction hidden behind ``not``, ``any`` or ``in`` is found as the network would see it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from syncdoctor.authoring.lint.core import Finding, finding
from syncdoctor.engine.compiler import PlainTest
from syncdoctor.engine.knowledge import Pack
from syncdoctor.kb.spec import RuleSpec

Bound = tuple[float, bool]
"""A bound and whether it is strict."""


def contradiction(conjunction: Sequence[PlainTest]) -> str | None:
    """Why a conjunction of plain tests can never hold, or None."""
    equal: dict[str, bool | str | int | float | None] = {}
    unequal: dict[str, set[str]] = {}
    present: set[str] = set()
    absent: set[str] = set()
    lower: dict[str, Bound] = {}
    upper: dict[str, Bound] = {}
    for test in conjunction:
        name, value = test.field, test.value
        if test.op == "known":
            present.add(name)
        elif test.op == "unknown":
            absent.add(name)
        elif test.op == "ne":
            unequal.setdefault(name, set()).add(json.dumps(value))
        elif test.op in ("lt", "le", "gt", "ge") and isinstance(value, int | float):
            strict = test.op in ("lt", "gt")
            bounds = upper if test.op in ("lt", "le") else lower
            old = bounds.get(name)
            tighter = (
                old is None
                or (bounds is upper and (value < old[0] or (value == old[0] and strict)))
                or (bounds is lower and (value > old[0] or (value == old[0] and strict)))
            )
            if tighter:
                bounds[name] = (value, strict)
        elif test.op == "eq":
            if name in equal and equal[name] != value:
                return f"{name} cannot equal both {equal[name]!r} and {value!r}"
            equal[name] = value
            present.add(name)
    for name in sorted(present & absent):
        return f"a fact cannot be both known and unknown ({name})"
    for name, value in equal.items():
        if json.dumps(value) in unequal.get(name, set()):
            return f"{name} cannot both equal and differ from {value!r}"
    for name in set(lower) | set(upper):
        low, high = lower.get(name), upper.get(name)
        value = equal.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if low is not None and (value < low[0] or (value == low[0] and low[1])):
                return f"{name} = {value} is below its lower bound"
            if high is not None and (value > high[0] or (value == high[0] and high[1])):
                return f"{name} = {value} is above its upper bound"
        if low is not None and high is not None and (
            low[0] > high[0] or (low[0] == high[0] and (low[1] or high[1]))
        ):
            return f"{name} has no value between its bounds"
    return None


def _never_fires(pack: Pack) -> Iterable[Finding]:
    alternatives: dict[int, list[str | None]] = {}
    for rule_index, expanded in pack.compiled.alternatives().items():
        for patterns in expanded:
            reasons = [contradiction(chain) for chain in patterns]
            alternatives.setdefault(rule_index, []).append(
                next((r for r in reasons if r is not None), None)
            )
    for index, reasons in sorted(alternatives.items()):
        if reasons and all(r is not None for r in reasons):
            rule = pack.rules[index]
            yield finding(pack.origins.rules[rule.id], "L201",
                           f"rule {rule.id} can never fire: {reasons[0]}", rule.id, pack.id,
                           "when")



def _conclusion(rule: RuleSpec) -> tuple[str, str]:
    if rule.cause is not None:
        return (f"cause:{rule.cause}", rule.effect)
    assert rule.derive is not None
    return (f"derive:{rule.derive.fact}={rule.derive.value}", rule.effect)


def _alternative_sets(pack: Pack) -> dict[int, list[frozenset[str]]]:
    """Per rule, each alternative as the set of its tests (single-pattern rules only)."""
    out: dict[int, list[frozenset[str]]] = {}
    for rule_index, expanded in pack.compiled.alternatives().items():
        if any(len(patterns) != 1 for patterns in expanded):
            continue
        out[rule_index] = [frozenset(t.canonical for t in patterns[0]) for patterns in expanded]
    return out

def _duplicates(pack: Pack) -> Iterable[Finding]:
    by_alternatives = _alternative_sets(pack)
    for index, rule in enumerate(pack.rules):
        mine = by_alternatives.get(index)
        if not mine:
            continue
        for other_index, other in enumerate(pack.rules):
            theirs = by_alternatives.get(other_index)
            if other_index == index or not theirs or _conclusion(rule) != _conclusion(other):
                continue
            same = set(mine) == set(theirs)
            if same and other_index < index:
                yield finding(pack.origins.rules[rule.id], "L202",
                               f"rule {rule.id} duplicates {other.id}: same conditions, same "
                               "conclusion", rule.id, pack.id)
            elif not same and all(any(t <= m for t in theirs) for m in mine) and (
                other.effect == "rules_out" or other.certainty >= 1.0
            ):
                # Otherwise the narrower rule still raises the combined certainty.
                yield finding(pack.origins.rules[rule.id], "L202",
                               f"rule {rule.id} is shadowed by {other.id}: {other.id} fires "
                               "whenever it does, for the same conclusion, with full effect",
                               rule.id, pack.id)
                break
