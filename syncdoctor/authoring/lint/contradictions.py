"""L201 and L202: rules that can never fire, and rules duplicated or shadowed by another.

Both read the compiled rules back as plain tests (:meth:`CompiledPack.alternatives`), so a
contradiction hidden behind ``not``, ``any`` or ``in`` is found as the network would see it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from syncdoctor.authoring.lint.core import Finding, finding
from syncdoctor.engine.compiler import PlainTest
from syncdoctor.engine.encoding import encode
from syncdoctor.engine.knowledge import Pack
from syncdoctor.kb.spec import RuleSpec
from syncdoctor.kb.values import SCALE

Bound = tuple[float, bool]
"""A bound and whether it is strict."""

class Names:
    """The compiled tests' fields and values, told as the author wrote them.

    The network knows facts by short field names (``f5``) and numbers in millionths
    (:mod:`syncdoctor.engine.encoding`); a finding says ``sync.retries`` and ``3``.
    """

    def __init__(self, pack: Pack) -> None:
        fields = pack.compiled.fields
        self._specs = pack.facts
        self._facts = {name: fact for fact, name in fields.facts.items()}
        self._ages = {name: fact for fact, name in fields.ages.items()}
        self._counts = {name: fact for fact, name in fields.counts.items()}
        self._record_types = {kind: fact for fact, kind in fields.record_types.items()}
        self._record_fields = {fact: {short: field for field, short in names.items()}
                               for fact, names in fields.record_fields.items()}
        self._derived = {name: fact for fact, name in pack.compiled.derived_field.items()}
        self._regexes = {r.field: (r.fact, r.pattern) for r in pack.compiled.regexes}
        # A field worked out of other facts (a match, an age, a comparison of two facts) holds
        # a value only while they are known: testing it says they are.
        self._needs: dict[str, frozenset[str]] = {
            **{r.field: frozenset({fields.facts[r.fact]}) for r in pack.compiled.regexes
               if r.fact in fields.facts},
            **{name: frozenset({fields.facts[fact]}) for fact, name in fields.ages.items()
               if fact in fields.facts},
            **{c.field: frozenset(fields.facts[f] for f in (c.condition.subject,
                                                            str(c.condition.operand))
                                  if f in fields.facts) for c in pack.compiled.computed},
        }
        self._record: str | None = None  # the records fact of the chain being read
        self._derived_fact: str | None = None  # the derived fact of the chain being read

    def reading(self, chain: Sequence[PlainTest]) -> Names:
        """These names for one chain of tests: with the record or derived fact it tests, if any.

        A copy: the pack's names are shared by every chain.
        """
        told = copy.copy(self)
        for test in chain:
            if test.op == "eq" and isinstance(test.value, str):
                if test.field == "t" and test.value in self._record_types:
                    told._record = self._record_types[test.value]
                elif test.field == "f" and test.value in self._derived:
                    told._derived_fact = self._derived[test.value]
        return told

    def needs(self, name: str) -> frozenset[str]:
        """The fields a field is worked out of (empty for a fact's own)."""
        return self._needs.get(name, frozenset())

    def fact(self, name: str) -> str:
        """What a field is, in the author's words."""
        if name in self._facts:
            return self._facts[name]
        if name in self._regexes:
            fact, pattern = self._regexes[name]
            return f"whether {fact} matches {pattern!r}"
        if name in self._ages:
            return f"the age of {self._ages[name]}"
        if name in self._counts:
            return f"the number of {self._counts[name]}"
        if self._record is not None and name in self._record_fields.get(self._record, {}):
            return f"{self._record}.{self._record_fields[self._record][name]}"
        if name == "v" and self._derived_fact is not None:
            return self._derived_fact
        return name

    def value(self, name: str, value: object) -> str:
        """A constant as the author wrote it: numbers out of millionths, times as ISO 8601."""
        if isinstance(value, bool):
            return "true" if value else "false"  # as YAML writes them
        if not isinstance(value, int):
            return repr(value)
        if name in self._ages:
            return f"{value} s"
        spec = self._specs.get(self._facts.get(name, ""))
        kind = spec.type if spec is not None else None
        if self._record is not None and name in self._record_fields.get(self._record, {}):
            fields = self._specs[self._record].fields or {}
            kind = fields[self._record_fields[self._record][name]].type
        if kind in ("integer", "decimal"):
            return _plain_number(Decimal(value) / SCALE)
        if kind == "datetime":
            return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")
        if kind == "duration":
            return f"{value} s"
        return str(value)

    def declared(self, name: str) -> tuple[Bound | None, Bound | None]:
        """The minimum and maximum the catalogue declares for a number fact, encoded."""
        spec = self._specs.get(self._facts.get(name, ""))
        if spec is None or spec.type not in ("integer", "decimal"):
            return None, None
        # Encoded as the rules' constants are (exact millionths), not through a float.
        low = None if spec.minimum is None else (_millionths(spec.minimum), False)
        high = None if spec.maximum is None else (_millionths(spec.maximum), False)
        return low, high


def _millionths(number: float) -> int:
    return int(encode("decimal", Decimal(str(number))))


def _plain_number(number: Decimal) -> str:
    return format(number.normalize(), "f")


def contradiction(conjunction: Sequence[PlainTest], names: Names | None = None) -> str | None:
    """Why a conjunction of plain tests can never hold, or None.

    ``names``: how to tell the fields and values (a pack's, see :class:`Names`); without it,
    as the network has them.
    """
    told = names.reading(conjunction) if names is not None else None

    def fact(name: str) -> str:
        return told.fact(name) if told is not None else name

    def shown(name: str, value: object) -> str:
        if told is None:
            return repr(value)
        return told.value(name, int(value) if isinstance(value, float) and value.is_integer()
                          else value)

    def bound(name: str, limit: Bound, *, lower: bool) -> str:
        value, strict = limit
        sign = (">" if strict else ">=") if lower else ("<" if strict else "<=")
        return f"{sign} {shown(name, value)}"

    if any(t.field == "t" and t.op == "eq" and t.value == "never" for t in conjunction):
        # What the compiler writes for a test no value passes (not_in every value of an enum).
        return "one of its tests excludes every value its fact can take"
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
                return (f"{fact(name)} cannot equal both {shown(name, equal[name])} and "
                        f"{shown(name, value)}")
            equal[name] = value
            present.add(name)
    if told is not None:  # a test of a match or an age needs its fact known
        present |= {source for test in conjunction if test.op != "unknown"
                    for source in told.needs(test.field)}
    for name in sorted(present & absent):
        return f"{fact(name)} cannot be both known and unknown"
    for name, value in equal.items():
        if json.dumps(value) in unequal.get(name, set()):
            return f"{fact(name)} cannot both equal and differ from {shown(name, value)}"
    for name in sorted(set(lower) | set(upper)):
        low, high = lower.get(name), upper.get(name)
        value = equal.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if low is not None and (value < low[0] or (value == low[0] and low[1])):
                return (f"{fact(name)} cannot both equal {shown(name, value)} and be "
                        f"{bound(name, low, lower=True)}")
            if high is not None and (value > high[0] or (value == high[0] and high[1])):
                return (f"{fact(name)} cannot both equal {shown(name, value)} and be "
                        f"{bound(name, high, lower=False)}")
        if low is not None and high is not None and _empty(low, high):
            return (f"{fact(name)} cannot be both {bound(name, low, lower=True)} and "
                    f"{bound(name, high, lower=False)}")
        # A value outside the declared range is refused on input (an equality test with one,
        # at load): a bound that leaves no declared value open can never be met.
        floor, ceiling = told.declared(name) if told is not None else (None, None)
        if high is not None and floor is not None and _empty(floor, high):
            return (f"{fact(name)} cannot be {bound(name, high, lower=False)}: its fact's "
                    f"minimum is {shown(name, floor[0])}")
        if low is not None and ceiling is not None and _empty(low, ceiling):
            return (f"{fact(name)} cannot be {bound(name, low, lower=True)}: its fact's "
                    f"maximum is {shown(name, ceiling[0])}")
    return None


def _empty(low: Bound, high: Bound) -> bool:
    """Whether no value lies between a lower and an upper bound."""
    return low[0] > high[0] or (low[0] == high[0] and (low[1] or high[1]))


def _never_fires(pack: Pack) -> Iterable[Finding]:
    names = Names(pack)
    alternatives: dict[int, list[str | None]] = {}
    for rule_index, expanded in pack.compiled.alternatives().items():
        for patterns in expanded:
            reasons = [contradiction(chain, names) for chain in patterns]
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
