"""Mirror rules: the rule ``otherwise:`` asks for, which fires when a condition is definitely false.

"Definitely false" is false whatever the unknown facts turn out to be, under Kleene's
three-valued logic, as the compiler's refutations read it (engine/compiler/refutation.py): a
test is false only on a known fact, ``any`` when every branch is false, ``all`` when one item
is. The mirror is an ordinary rule whose condition is the negation pushed down to the tests
(De Morgan), so it compiles into the durable_rules network like any rule: the compiler already
makes a negated test true only on a known fact (``$ex`` guards). A test of a derived fact
becomes a test that it was derived with another value, since derived facts cannot sit under
``not``; a test over records has no mirror ("no record matches" is not a test the network
makes).
"""

from __future__ import annotations

from collections.abc import Mapping

from syncdoctor.kb.condition import OPERATORS, Condition
from syncdoctor.kb.describe import describe_condition
from syncdoctor.kb.spec import Derivation, FactSpec, Otherwise, RuleSpec, Scalar

__all__ = ["MIRROR_SUFFIX", "MirrorError", "mirror_id", "mirror_rule", "negate"]

MIRROR_SUFFIX = ".otherwise"
"""A mirror's id is its rule's id and this suffix, unless ``otherwise: {id: ...}`` names it.

A dot keeps the id a plain rule id (test files, suppressions and the command line take it as
written); a rule written with the same id is a duplicate (KB107)."""

_FLIPPED = {"eq": "ne", "ne": "eq", "in_": "not_in", "not_in": "in_",
            "lt": "ge", "ge": "lt", "le": "gt", "gt": "le"}


class MirrorError(ValueError):
    """A rule whose condition has no mirror the engine can run; the message says why."""


def mirror_id(rule: RuleSpec) -> str:
    """The id of the rule's mirror."""
    mirror = rule.otherwise
    if isinstance(mirror, Otherwise) and mirror.id is not None:
        return mirror.id
    return rule.id + MIRROR_SUFFIX


def negate(cond: Condition, facts: Mapping[str, FactSpec]) -> Condition:
    """The condition that is definitely true exactly when ``cond`` is definitely false.

    Raises:
        MirrorError: a test over records, or ``known: true`` on a derived fact.
    """
    if cond.all is not None:
        return _join("any", [negate(c, facts) for c in cond.all])
    if cond.any is not None:
        return _join("all", [negate(c, facts) for c in cond.any])
    if cond.not_ is not None:
        return cond.not_
    if cond.any_record is not None:
        raise MirrorError(f"'otherwise' cannot mirror the test over the records of "
                          f"{cond.fact!r}: that no record matches is not something the engine "
                          "tests; write the mirror rule out")
    spec = facts.get(cond.fact) if cond.fact is not None else None
    if spec is not None and spec.derived:
        return _derived_other(cond, spec)
    if cond.known is not None:
        return cond.model_copy(update={"known": not cond.known})
    if spec is not None and spec.type == "bool" and cond.operator in ("eq", "ne"):
        # "is false" reads better than "is not true", and means the same of a known fact.
        value = cond.constants[0]
        return Condition(fact=cond.fact, eq=value if cond.operator == "ne" else not value)
    operator = next(name for name in OPERATORS if getattr(cond, name) is not None)
    if operator in _FLIPPED:
        return cond.model_copy(update={operator: None, _FLIPPED[operator]: cond.operand})
    return Condition.model_validate({"not": cond})


def _derived_other(cond: Condition, spec: FactSpec) -> Condition:
    """A derived fact derived with another value: its values other than those tested."""
    domain: list[Scalar] = [False, True] if spec.type == "bool" else list(spec.values or ())
    if cond.operator not in ("eq", "in"):
        raise MirrorError(f"'otherwise' cannot mirror {cond.operator} on the derived fact "
                          f"{cond.fact!r}: a derived fact is false only when derived with "
                          "another value; test it with eq or in")
    tested = list(cond.constants)
    others = [value for value in domain if value not in tested]
    if not others:
        raise MirrorError(f"'otherwise' has nothing to mirror: {cond.fact!r} takes no value "
                          "but those the rule tests")
    if len(others) == 1:
        return Condition(fact=cond.fact, eq=others[0])
    return Condition.model_validate({"fact": cond.fact, "in": others})


def _join(kind: str, parts: list[Condition]) -> Condition:
    """``all`` / ``any`` of the parts, nested ones of the same kind flattened, one part alone."""
    flat: list[Condition] = []
    for part in parts:
        same = part.all if kind == "all" else part.any
        flat.extend(same if same is not None else (part,))
    if kind == "all":
        # "x known" beside another test of x says nothing more: any test is false (and its
        # negation true) only on a known fact. (The mirror of or_unknown reads better.)
        tested = {_tested(part) for part in flat if part.known is None} - {None}
        flat = [p for p in flat if not (p.known is True and p.fact in tested)]
    if len(flat) == 1:
        return flat[0]
    return Condition.model_validate({kind: flat})


def _tested(part: Condition) -> str | None:
    """The fact a test (or a negated test) reads, None for a combinator or a record field."""
    inner = part.not_ if part.not_ is not None else part
    return inner.fact if inner.is_test and inner.any_record is None else None


def mirror_rule(rule: RuleSpec, facts: Mapping[str, FactSpec]) -> RuleSpec:
    """The rule's mirror, concluding the opposite when its condition is definitely false.

    Raises:
        MirrorError: a condition with no mirror the engine can run.
    """
    mirror = rule.otherwise
    written = mirror if isinstance(mirror, Otherwise) else Otherwise()
    when = negate(rule.when, facts)
    for item in when.conjuncts():
        for visit in item.walk():
            inner = visit.condition
            spec = facts.get(inner.fact) if inner.fact is not None else None
            if visit.path and spec is not None and spec.derived:
                raise MirrorError(
                    f"the mirror would test the derived fact {inner.fact!r} inside "
                    "'any' (the negation of 'all'), which the engine cannot do; write the "
                    "mirror rule out")
    because = written.because if written.because is not None else _because(when, facts)
    conclusion: dict[str, object]
    if rule.derive is not None:
        value = written.value if written.value is not None else not rule.derive.value
        conclusion = {"derive": Derivation(fact=rule.derive.fact, value=value)}
    else:
        conclusion = {"cause": rule.cause, "effect": rule.otherwise_effect,
                      "certainty": written.certainty or 1.0}
    return RuleSpec.model_validate({
        "id": mirror_id(rule), "step": rule.step, "when": when, "because": because,
        "status": rule.status, **conclusion,
    })


def _because(when: Condition, facts: Mapping[str, FactSpec]) -> str:
    """The negated condition in plain words, kept out of Jinja (a pattern may hold braces)."""
    sentence = describe_condition(when, facts)
    text = sentence + "."
    return "{% raw %}" + text + "{% endraw %}" if "{" in text else text
