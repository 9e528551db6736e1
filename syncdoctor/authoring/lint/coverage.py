"""L203-L207: coverage of the catalogue and the playbook, and what templates may assume."""

from __future__ import annotations

from collections.abc import Iterable

from syncdoctor.authoring.lint.core import Finding, finding
from syncdoctor.engine.knowledge import Pack
from syncdoctor.kb.condition import COMPUTED
from syncdoctor.kb.loader import bundled_kb_dir
from syncdoctor.kb.problems import display_path
from syncdoctor.kb.spec import Condition, RuleSpec
from syncdoctor.kb.templates import ENVIRONMENT, facts_named, guarded_facts


def _coverage(pack: Pack) -> Iterable[Finding]:
    supported = {r.cause for r in pack.rules if r.cause is not None and r.effect == "supports"}
    for cause in sorted(pack.playbook.causes):
        if cause not in supported:
            yield finding(pack.origins.causes[cause], "L203",
                           f"cause {cause} has no rule that supports it", cause, pack.id)
    # Read by a rule, extractor or template (pack.index.used_facts), or written by one.
    used = set(pack.index.used_facts).union(*pack.index.extractor_targets)
    used.update(rule.derive.fact for rule in pack.rules if rule.derive is not None)
    # The bundled packs are ours: a fact there that nothing reads is an error, not a hint.
    bundled = display_path(bundled_kb_dir() / "facts" / f"{pack.id}.yaml", bundled_kb_dir())
    for fact, spec in sorted(pack.facts.items()):
        origin = pack.origins.facts[fact]
        if fact not in used:
            yield finding(origin, "L204", f"fact {fact} is not used by any rule, extractor "
                           "or template", fact, pack.id,
                           severity="error" if origin.file == bundled else None)
        if not spec.derived and not spec.ask:
            yield finding(origin, "L205", f"fact {fact} has no 'ask': agents and chatbots "
                           "cannot be asked for it", fact, pack.id)
    stepped = {r.step for r in pack.rules}
    for position, step in enumerate(pack.playbook.steps):
        if step.id not in stepped:
            yield finding(pack.origins.playbook, "L207", f"step {step.id} has no rule",
                           step.id, pack.id, "steps", position)


def _known_when_true(cond: Condition, negate: bool = False) -> set[str]:
    """Facts that are surely known whenever the condition (or its negation) is true.

    A test, or its negation, is only ever true on known facts; ``known`` tests say so directly.
    """
    if cond.all is not None or cond.any is not None:
        children = [_known_when_true(c, negate) for c in (cond.all or cond.any or ())]
        conjunction = (cond.all is not None) != negate
        return set().union(*children) if conjunction else set.intersection(*children)
    if cond.not_ is not None:
        return _known_when_true(cond.not_, not negate)
    if cond.fact is None:
        return set()
    if cond.known is not None:
        return {cond.fact} if cond.known != negate else set()
    known = {cond.fact}
    if cond.operator.endswith("_fact") or cond.operator in COMPUTED:
        known.add(str(cond.operand))
    return known


def _guaranteed(rule: RuleSpec) -> set[str]:
    """Facts known whenever the rule fires."""
    return _known_when_true(rule.when)


def _template_guarantees(pack: Pack) -> Iterable[Finding]:
    def unguarded(source: str) -> set[str]:
        ast = ENVIRONMENT.parse(source)
        named = {fact for fact, _ in facts_named(ast)}
        return named - guarded_facts(ast)

    for rule in pack.rules:
        missing = unguarded(rule.because) - _guaranteed(rule)
        if missing:
            yield finding(pack.origins.rules[rule.id], "L206",
                           f"'because' of {rule.id} uses {sorted(missing)} without a guard "
                           "('in facts', | default(...) or facts.get(id, default)), but its "
                           "conditions do not make them known: the text is lost when one is "
                           "unknown",
                           rule.id, pack.id, "because")
    for cause_id, cause in sorted(pack.playbook.causes.items()):
        supporting = [r for r in pack.rules if r.cause == cause_id and r.effect == "supports"]
        if not supporting:
            continue
        guaranteed = set.intersection(*(_guaranteed(r) for r in supporting))
        sources = [("remediation", cause.remediation)]
        if cause.escalation is not None:
            sources.append(("escalation", cause.escalation.contact))
            sources.extend(("escalation", s) for s in cause.escalation.send)
        missing = set().union(*(unguarded(s) for _, s in sources)) - guaranteed
        if missing:
            yield finding(pack.origins.causes[cause_id], "L206",
                           f"templates of cause {cause_id} use {sorted(missing)} without a "
                           "guard ('in facts', | default(...) or facts.get(id, default)), but "
                           "not every rule for the cause makes them known: the remediation is "
                           "lost when one is unknown",
                           cause_id, pack.id, "remediation")
