"""One pack as loaded and checked, built once and never mutated.

It holds its files' contents, where each item was written, its templates and patterns compiled,
and the indexes a diagnosis reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from syncdoctor.kb.collector_spec import CollectorSpec, SourceSpec
from syncdoctor.kb.patterns import TextPattern
from syncdoctor.kb.problems import Origin
from syncdoctor.kb.spec import ExtractorSpec, FactSpec, PlaybookFile, RuleSpec
from syncdoctor.kb.templates import Renderer

__all__ = ["Origins", "PackIndex", "PackSource", "RecordFieldView", "Templates", "build_index"]


@dataclass(frozen=True)
class Origins:
    """Where each item of a pack was written, by kind and id."""

    playbook: Origin
    facts: Mapping[str, Origin]
    rules: Mapping[str, Origin]
    causes: Mapping[str, Origin]
    extractors: Mapping[str, Origin]
    collectors: Mapping[str, Origin] = field(default_factory=dict)
    sources: Mapping[str, Origin] = field(default_factory=dict)


@dataclass(frozen=True)
class Templates:
    """A pack's checked templates: each rule's 'because', each cause's remediation, escalation."""

    because: Mapping[str, Renderer]
    remediation: Mapping[str, Renderer]
    contact: Mapping[str, Renderer]
    send: Mapping[str, tuple[Renderer, ...]]

    @property
    def renderers(self) -> tuple[Renderer, ...]:
        """Every template of the pack."""
        return (
            *self.because.values(), *self.remediation.values(), *self.contact.values(),
            *(r for sends in self.send.values() for r in sends),
        )

    @property
    def facts(self) -> frozenset[str]:
        """Every fact some template names."""
        return frozenset(f for r in self.renderers for f in r.facts)


@dataclass(frozen=True)
class RecordFieldView:
    """A field of a records fact, as a question lists it."""

    name: str
    type: str
    values: tuple[str, ...] | None


@dataclass(frozen=True)
class PackIndex:
    """What question selection, explanation and lint read per rule, computed at load."""

    step_order: Mapping[str, int]
    """Step id -> its position in the playbook."""
    rule_index: Mapping[str, int]
    """Rule id -> its index in ``rules`` (sorted by id)."""
    facts_of: Mapping[str, tuple[str, ...]]
    """Rule id -> the facts its conditions read, in first-use order."""
    rule_steps: tuple[int, ...]
    """Per rule (by index): its step's position in the playbook."""
    asked_facts: tuple[tuple[str, ...], ...]
    """Per rule: the facts it reads that may be asked (not derived, or derived but observable)."""
    derived_read: tuple[tuple[str, ...], ...]
    """Per rule: the derived facts it reads."""
    derivers: Mapping[str, tuple[int, ...]]
    """Derived fact -> the rules deriving it."""
    cause_rules: tuple[tuple[int, str], ...]
    """(rule index, cause) for every rule that concludes a cause."""
    record_fields: Mapping[str, tuple[RecordFieldView, ...]]
    """Records fact -> its fields, as a Question lists them."""
    extracted_from: Mapping[str, tuple[str, ...]]
    """Text fact -> the facts its extractors can set."""
    extractor_targets: tuple[frozenset[str], ...]
    """Per extractor: the facts it can set."""
    used_facts: frozenset[str]
    """Facts some rule, extractor or template reads."""
    cause_rank: Mapping[str, tuple[int, str]]
    """Cause id -> its sort key: playbook step, then id."""
    supporting: Mapping[str, frozenset[int]]
    """Cause id -> the rules that support it (question selection starts from these)."""
    refuting: Mapping[str, frozenset[int]]
    """Cause id -> the rules that rule it out."""
    record_rules: Mapping[str, frozenset[int]]
    """Records fact -> the rules with a top-level ``any_record`` on it (none can fire while the
    records stay unknown)."""
    askers: Mapping[str, frozenset[int]]
    """Askable fact -> the rules that read it (``asked_facts``): question selection intersects
    these with the live rules instead of walking every live rule's facts."""
    reads_derived: frozenset[int]
    """The rules that read some derived fact."""
    cause_order: tuple[str, ...] = ()
    """Cause ids sorted by ``cause_rank``: question selection works on positions in it (plain
    integers sort without a key function)."""
    cause_titles: tuple[str, ...] = ()
    """Per cause in ``cause_order``: its title (a question's "why" joins them)."""
    support_rules: frozenset[int] = frozenset()
    """Every rule that supports a cause."""
    rule_cause: tuple[frozenset[int], ...] = ()
    """Per rule: the position in ``cause_order`` of the cause it concludes (empty: none)."""


@dataclass(frozen=True)
class PackSource:
    """A checked pack: everything but its compiled rulesets."""

    id: str
    playbook: PlaybookFile
    facts: Mapping[str, FactSpec]
    extractors: tuple[ExtractorSpec, ...]
    rules: tuple[RuleSpec, ...]
    """Sorted by id."""
    origins: Origins
    templates: Templates
    patterns: tuple[TextPattern, ...]
    """Per extractor: its compiled pattern."""
    index: PackIndex
    sources: Mapping[str, SourceSpec] = field(default_factory=dict)
    """The HTTP APIs its collectors read, by name (collectors/<pack>.yaml)."""
    collectors: tuple[CollectorSpec, ...] = ()
    """Sorted by id: each one GET giving some facts (off unless a diagnosis collects)."""

    @property
    def version(self) -> str:
        """The pack version from its playbook."""
        return self.playbook.version


def build_index(
    playbook: PlaybookFile,
    facts: Mapping[str, FactSpec],
    extractors: tuple[ExtractorSpec, ...],
    rules: tuple[RuleSpec, ...],
    templates: Templates,
    url_facts: frozenset[str] = frozenset(),
) -> PackIndex:
    """Precompute what a diagnosis reads per rule, off its hot path.

    ``url_facts``: the facts collectors' URLs need; they are used even if no rule reads them.
    """

    def is_derived(fact: str) -> bool:
        spec = facts.get(fact)
        return spec is not None and spec.derived

    def may_ask(fact: str) -> bool:
        spec = facts.get(fact)
        return spec is not None and (not spec.derived or spec.observable)

    step_order = {step.id: index for index, step in enumerate(playbook.steps)}
    facts_of = {rule.id: tuple(rule.when.facts()) for rule in rules}
    derivers: dict[str, list[int]] = {}
    for index, rule in enumerate(rules):
        if rule.derive is not None:
            derivers.setdefault(rule.derive.fact, []).append(index)
    sources: dict[str, set[str]] = {}
    for extractor in extractors:
        sources.setdefault(extractor.from_, set()).update(
            {*extractor.set, *extractor.capture.values()}
        )
    used = set(templates.facts) | url_facts
    for read in facts_of.values():
        used.update(read)
    for rule in rules:
        used.update(rule.when.parameters())
    used.update(extractor.from_ for extractor in extractors)
    by_effect: dict[tuple[str, str], set[int]] = {}
    record_rules: dict[str, set[int]] = {}
    askers: dict[str, set[int]] = {}
    for index, rule in enumerate(rules):
        for fact in facts_of[rule.id]:
            if may_ask(fact):
                askers.setdefault(fact, set()).add(index)
        if rule.cause is not None:
            by_effect.setdefault((rule.cause, rule.effect), set()).add(index)
        for item in rule.when.conjuncts():
            if item.any_record is not None and item.fact is not None:
                record_rules.setdefault(item.fact, set()).add(index)
    cause_rank = {
        cause: (step_order.get(spec.step, 0), cause) for cause, spec in playbook.causes.items()
    }
    cause_order = tuple(sorted(cause_rank, key=cause_rank.__getitem__))
    position = {cause: number for number, cause in enumerate(cause_order)}
    return PackIndex(
        step_order=step_order,
        rule_index={rule.id: index for index, rule in enumerate(rules)},
        facts_of=facts_of,
        rule_steps=tuple(step_order.get(rule.step, 0) for rule in rules),
        asked_facts=tuple(
            tuple(f for f in facts_of[rule.id] if may_ask(f))
            for rule in rules
        ),
        derived_read=tuple(
            tuple(f for f in facts_of[rule.id] if is_derived(f)) for rule in rules
        ),
        derivers={fact: tuple(found) for fact, found in derivers.items()},
        cause_rules=tuple(
            (index, rule.cause) for index, rule in enumerate(rules) if rule.cause is not None
        ),
        record_fields={
            fact: tuple(
                RecordFieldView(name, f.type, f.values or None)
                for name, f in (spec.fields or {}).items()  # as declared: the natural order
            )
            for fact, spec in facts.items()
            if spec.fields
        },
        extracted_from={k: tuple(sorted(v)) for k, v in sorted(sources.items())},
        extractor_targets=tuple(
            frozenset({*e.set, *e.capture.values()}) for e in extractors
        ),
        used_facts=frozenset(used),
        cause_rank=cause_rank,
        cause_order=cause_order,
        cause_titles=tuple(playbook.causes[cause].title for cause in cause_order),
        support_rules=frozenset(
            index for index, rule in enumerate(rules)
            if rule.cause in position and rule.effect == "supports"
        ),
        rule_cause=tuple(
            frozenset((position[rule.cause],)) if rule.cause in position else frozenset()
            for rule in rules
        ),
        supporting={
            cause: frozenset(by_effect.get((cause, "supports"), ())) for cause in playbook.causes
        },
        refuting={
            cause: frozenset(by_effect.get((cause, "rules_out"), ())) for cause in playbook.causes
        },
        record_rules={fact: frozenset(found) for fact, found in sorted(record_rules.items())},
        askers={fact: frozenset(found) for fact, found in sorted(askers.items())},
        reads_derived=frozenset(
            index for index, rule in enumerate(rules)
            if any(is_derived(f) for f in facts_of[rule.id])
        ),
    )
