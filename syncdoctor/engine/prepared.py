"""What a diagnosis reads of a pack on every case, worked out once when the pack is built.

Typing each extractor's constants and each rule's derived value again on every match or
firing, reading a computed test's operator back from its condition, and interpreting the
refutation programs cost more than the work they led to (issue 17's profile).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from syncdoctor.engine.asking import Asking
from syncdoctor.engine.compiler import CompiledPack
from syncdoctor.engine.encoding import unknown_marker
from syncdoctor.engine.refute import Refuter
from syncdoctor.kb.compare import Evaluator, evaluator
from syncdoctor.kb.pack import PackSource
from syncdoctor.kb.patterns import GroupReader
from syncdoctor.kb.values import type_value
from syncdoctor.types import FactValue

__all__ = ["Derivation", "Prepared", "Scalar"]

Scalar = tuple[str, str, bool, bool, str | None]
"""How a fact's value reaches the case message: its field, its type, whether it is derived
(it also gets a derived-fact message), whether rules compare its text by value (else a text is
sent as a bare presence flag), and its age field when rules test its age."""


@dataclass(frozen=True)
class Derivation:
    """What a rule's firing derives: the fact, its typed value, and the message it asserts."""

    fact: str
    value: FactValue
    field: str
    """The derived fact's field in the derived-fact message."""


@dataclass(frozen=True)
class Prepared:
    """Per pack: the precomputed pieces a case reads."""

    sources: frozenset[str]
    """The text facts some extractor reads."""
    constants: tuple[Mapping[str, FactValue], ...]
    """Per extractor (in file order): its ``set``, typed (values are immutable: shared)."""
    evaluators: tuple[Evaluator, ...]
    """Per computed test (``compiled.computed``): the test bound to its condition."""
    refuter: Refuter
    """The refutation programs (``compiled.refutations``) compiled."""
    derivations: Mapping[int, Derivation]
    """Rule index -> what it derives, for the rules that derive a fact."""
    record_facts: Mapping[str, str]
    """Record message type -> its records fact."""
    scalars: Mapping[str, Scalar]
    """Fact -> how its value reaches the case message (records facts have their own)."""
    markers: tuple[tuple[str, str], ...]
    """(fact, its unknown marker field) of each fact whose marker some rule tests."""
    asking: Asking
    """Each askable fact's readers, as question selection picks them."""
    readers: tuple[GroupReader, ...]
    """Per extractor: its pattern's groups that it captures, read in one call."""
    secrets: frozenset[str]
    """The facts marked secret (shown as ***)."""
    routes: tuple[tuple[int, str, int], ...]
    """(number, text fact, route weight) of each extractor whose match weighs in pack choice."""

    @classmethod
    def build(cls, source: PackSource, done: CompiledPack) -> Prepared:
        """Raises FactError for a constant of the wrong type (a KB load refuses it first)."""
        facts = source.facts
        fields = done.fields
        return cls(
            sources=frozenset(e.from_ for e in source.extractors),
            constants=tuple(
                {fact: type_value(fact, facts[fact], value) for fact, value in e.set.items()}
                for e in source.extractors
            ),
            evaluators=tuple(evaluator(c.condition) for c in done.computed),
            refuter=Refuter(done.refutations),
            derivations={
                index: Derivation(
                    rule.derive.fact,
                    type_value(rule.derive.fact, facts[rule.derive.fact], rule.derive.value),
                    done.derived_field[rule.derive.fact],
                )
                for index, rule in enumerate(source.rules) if rule.derive is not None
            },
            record_facts={t: f for f, t in fields.record_types.items()},
            scalars={
                fact: (
                    fields.facts[fact], spec.type, spec.derived, fact in fields.compared_text,
                    fields.ages[fact] if fact in fields.aged else None,
                )
                for fact, spec in facts.items()
            },
            markers=tuple(
                (fact, unknown_marker(name)) for fact, name in fields.facts.items()
                if name in fields.markers
            ),
            asking=Asking.build(source.index, len(source.rules), facts),
            routes=tuple(
                (number, e.from_, e.route_weight)
                for number, e in enumerate(source.extractors) if e.route_weight
            ),
            secrets=frozenset(fact for fact, spec in facts.items() if spec.secret),
            readers=tuple(
                GroupReader(pattern, e.capture)
                for e, pattern in zip(source.extractors, source.patterns, strict=True)
            ),
        )
