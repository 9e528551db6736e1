"""What each generated pack page shows, in the order it shows it: plain views of a pack."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from syncdoctor.engine.knowledge import Pack
from syncdoctor.kb.describe import Describer, Phrase, Token, value_token
from syncdoctor.kb.mirror import mirror_id
from syncdoctor.kb.spec import ExtractorSpec, FactSpec, RuleSpec


@dataclass(frozen=True)
class DerivedInput:
    """A derived fact that a rule reads, and the rules that conclude it."""

    fact: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class RuleView:
    """One rule, described for a reader."""

    id: str
    effect: Literal["supports", "rules out", "derives"]
    certainty: str
    status: str
    when: Phrase
    derives: Phrase
    derived_inputs: tuple[DerivedInput, ...]
    replaces: tuple[str, ...]
    mirror_of: str | None = None
    """The rule whose ``otherwise`` generated this one."""


@dataclass(frozen=True)
class EscalationView:
    """Whom to contact and what to send, as template sources."""

    contact: str
    send: tuple[str, ...]


@dataclass(frozen=True)
class CauseView:
    """One cause of a step."""

    id: str
    title: str
    summary: str | None
    remediation: str
    escalation: EscalationView | None
    rules: tuple[RuleView, ...]


@dataclass(frozen=True)
class StepView:
    """One step of the playbook, with its causes and the facts derived there."""

    number: int
    id: str
    title: str
    help: str | None
    causes: tuple[CauseView, ...]
    derivations: tuple[RuleView, ...]


@dataclass(frozen=True)
class ValueView:
    """An allowed value of an enum fact or field."""

    value: str
    help: str | None


@dataclass(frozen=True)
class FieldView:
    """A typed field of a records fact."""

    name: str
    type: str
    required: bool
    help: str | None
    values: tuple[str, ...]


@dataclass(frozen=True)
class FactView:
    """A fact of the pack, as a question."""

    id: str
    type: str
    ask: str | None
    help: str | None
    values: tuple[ValueView, ...]
    unit: str | None
    bounds: str | None
    fields: tuple[FieldView, ...]
    key: str | None
    derived: bool
    cost: int
    derived_by: tuple[str, ...]


@dataclass(frozen=True)
class ExtractorView:
    """An extractor, with its pattern and what it sets."""

    id: str
    source: str
    pattern: str
    case_sensitive: bool
    sets: tuple[tuple[str, Token], ...]
    captures: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PackView:
    """Everything one pack's pages show."""

    id: str
    title: str
    version: str
    min_engine: str
    systems: tuple[str, ...]
    source: str | None
    source_is_link: bool
    steps: tuple[StepView, ...]
    facts: tuple[FactView, ...]
    extractors: tuple[ExtractorView, ...]
    rule_count: int
    cause_count: int


def _certainty(value: float) -> str:
    return f"{value:g}"


def _rule_view(pack: Pack, rule: RuleSpec, describer: Describer,
               mirrors: dict[str, str]) -> RuleView:
    derives: Phrase = ()
    effect: Literal["supports", "rules out", "derives"]
    if rule.derive is not None:
        effect = "derives"
        fact = rule.derive.fact
        derives = (
            ("fact", fact) if fact in pack.facts else ("code", fact),
            ("text", " = "),
            value_token(rule.derive.value),
        )
    else:
        effect = "supports" if rule.effect == "supports" else "rules out"
    inputs = []
    for fact in pack.index.facts_of[rule.id]:
        spec = pack.facts.get(fact)
        if spec is not None and spec.derived:
            deriving = tuple(sorted(pack.rules[i].id for i in pack.index.derivers.get(fact, ())))
            inputs.append(DerivedInput(fact, deriving))
    return RuleView(
        id=rule.id,
        effect=effect,
        certainty=_certainty(rule.certainty),
        status=rule.status,
        when=tuple(describer.describe(rule.when)),
        derives=derives,
        derived_inputs=tuple(inputs),
        replaces=rule.replaces,
        mirror_of=mirrors.get(rule.id),
    )


def _rule_order(rule: RuleView) -> tuple[int, str]:
    return ({"supports": 0, "rules out": 1, "derives": 2}[rule.effect], rule.id)


def _fact_view(pack: Pack, fact_id: str, spec: FactSpec) -> FactView:
    bounds = None
    if spec.minimum is not None and spec.maximum is not None:
        bounds = f"from {spec.minimum:g} to {spec.maximum:g}"
    elif spec.minimum is not None:
        bounds = f"at least {spec.minimum:g}"
    elif spec.maximum is not None:
        bounds = f"at most {spec.maximum:g}"
    fields = tuple(
        FieldView(name, field.type, field.required, field.help, field.values or ())
        for name, field in sorted((spec.fields or {}).items())
    )
    return FactView(
        id=fact_id,
        type=spec.type,
        ask=spec.ask,
        help=spec.help,
        values=tuple(ValueView(v, spec.value_help.get(v)) for v in spec.values or ()),
        unit=spec.unit,
        bounds=bounds,
        fields=fields,
        key=spec.key,
        derived=spec.derived,
        cost=spec.cost,
        derived_by=tuple(sorted(pack.rules[i].id for i in pack.index.derivers.get(fact_id, ()))),
    )


def _extractor_view(extractor: ExtractorSpec) -> ExtractorView:
    return ExtractorView(
        id=extractor.id,
        source=extractor.from_,
        pattern=extractor.pattern,
        case_sensitive=extractor.case_sensitive,
        sets=tuple((fact, value_token(value)) for fact, value in sorted(extractor.set.items())),
        captures=tuple(sorted(extractor.capture.items())),
    )


def pack_view(pack: Pack) -> PackView:
    """What a pack's pages show, in the order they show it."""
    describer = Describer(pack.facts)
    book = pack.playbook
    mirrors = {mirror_id(r): r.id for r in pack.rules if r.otherwise is not None}
    rules = [_rule_view(pack, rule, describer, mirrors) for rule in pack.rules]
    by_id = {rule.id: view for rule, view in zip(pack.rules, rules, strict=True)}
    steps = []
    for number, step in enumerate(book.steps, start=1):
        causes = []
        for cause_id, cause in book.causes.items():
            if cause.step != step.id:
                continue
            cause_rules = sorted(
                (by_id[rule.id] for rule in pack.rules if rule.cause == cause_id),
                key=_rule_order,
            )
            escalation = None
            if cause.escalation is not None:
                escalation = EscalationView(cause.escalation.contact, cause.escalation.send)
            causes.append(CauseView(
                id=cause_id,
                title=cause.title,
                summary=cause.summary,
                remediation=cause.remediation,
                escalation=escalation,
                rules=tuple(cause_rules),
            ))
        derivations = sorted(
            (by_id[rule.id] for rule in pack.rules
             if rule.derive is not None and rule.step == step.id),
            key=_rule_order,
        )
        steps.append(StepView(
            number=number,
            id=step.id,
            title=step.title,
            help=step.help,
            causes=tuple(causes),
            derivations=tuple(derivations),
        ))
    source = book.source
    return PackView(
        id=pack.id,
        title=book.title,
        version=book.version,
        min_engine=book.min_engine,
        systems=book.systems,
        source=source,
        source_is_link=bool(source and re.match(r"^https?://\S+$", source)),
        steps=tuple(steps),
        facts=tuple(_fact_view(pack, fid, spec) for fid, spec in sorted(pack.facts.items())),
        extractors=tuple(_extractor_view(e) for e in pack.extractors),
        rule_count=len(pack.rules),
        cause_count=len(book.causes),
    )
