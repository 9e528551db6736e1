"""Question selection: only the unknown facts whose answer could change the causes held.

A question is listed only if some answer to it could change the first cause or the set of
causes held. The rules that could still do that are:

- a rule supporting a cause not held yet (the cause would join the set), or supporting a held
  cause that is not first and not yet certain (it could become first);
- a rule ruling out a held cause (it would leave the set).

A rule supporting the first cause, or ruling out a cause not held, would only confirm: its facts
are not asked for it. Neither are the facts of a rule that can no longer fire: one that fired,
one with a condition definitely false, or one that waits on a fact the user cannot answer
(``Firings.impossible``, engine/refute.py). The candidates are the facts such rules read, the
facts read by the rules deriving what they read, and the raw texts extractors read.

Order: by value (how many live hypotheses, the causes those rules serve, an answer bears on),
then playbook step, then cost, then id. ``Interview.next_question()`` asks the first: the
interview, the tools and a bot all ask the same question next.

The work is set operations on precomputed indexes, not a walk over every rule's facts: the live
rules come from per-cause sets (``PackIndex.supporting`` / ``refuting``) less the settled ones,
and each fact's live readers from its own set (``PackIndex.askers``) intersected with them.
Causes are handled as their positions in rank order (``PackIndex.cause_order``): a question's
causes sort as plain integers.
"""

from __future__ import annotations

from collections.abc import Mapping

from syncdoctor.diagnosis.case import Case
from syncdoctor.engine.session import Firings
from syncdoctor.types import JsonValue

__all__ = ["frozen_facts", "select_questions"]

MAX_DERIVATION_DEPTH = 8
"""How deep question selection follows derived facts to the rules deriving them."""


def frozen_facts(case: Case) -> frozenset[str]:
    """The facts that stay unknown: declared unknown, not derivable, not extractable.

    A derived fact may still be worked out by the rules, and a fact an extractor sets may still
    come from an error text not given yet: neither is frozen.
    """
    if not case.unknown:
        return frozenset()
    index = case.pack.index
    facts = case.facts
    open_sources = [s for s in index.extracted_from if s not in facts and s not in case.unknown]
    extractable = {t for s in open_sources for t in index.extracted_from[s]}
    return frozenset(
        f for f in case.unknown
        if f not in facts and not case.pack.facts[f].derived and f not in extractable
    )


def _target_rules(
    case: Case, firings: Firings, ruled_out: set[str], confirmed: Mapping[str, float],
    first: str | None,
) -> tuple[dict[int, frozenset[int]], set[int]]:
    """The rules whose firing could change the outcome, each with the causes it serves."""
    index = case.pack.index
    settled = firings.impossible | firings.rules.keys()
    for fact in frozen_facts(case):
        settled |= index.record_rules.get(fact, frozenset())
    # Every supporting rule, less those of the few causes held or ruled out that need no
    # support: a handful of set operations, not a walk over every cause.
    live = index.support_rules - settled
    causes = case.pack.playbook.causes
    for cause in ruled_out:
        if cause in causes:
            live -= index.supporting[cause]
    held = [cause for cause in confirmed if cause in causes and cause not in ruled_out]
    for cause in held:
        certainty = confirmed[cause]
        if not (certainty < 1.0 and cause != first):
            live -= index.supporting[cause]
    served = index.rule_cause
    targets = {rule: served[rule] for rule in live}
    for cause in held:  # a held cause may still be ruled out
        for rule in index.refuting[cause] - settled:
            targets[rule] = served[rule]
    return targets, settled


def _expand_derivations(
    case: Case, targets: dict[int, frozenset[int]], settled: set[int]
) -> dict[int, frozenset[int]]:
    """Add the live rules deriving what a target rule still needs, serving the same causes.

    An observable derived fact is asked itself (one question); the facts its rules compare are
    asked only once the user cannot answer it.
    """
    pack = case.pack
    index = pack.index
    known = case.facts
    pending = [(rule, 0) for rule in sorted(index.reads_derived.intersection(targets))]
    while pending:
        rule, depth = pending.pop()
        if depth >= MAX_DERIVATION_DEPTH:
            continue
        for fact in index.derived_read[rule]:
            if fact in known or (pack.facts[fact].observable and fact not in case.unknown):
                continue
            for deriver in index.derivers.get(fact, ()):
                if deriver in settled:
                    continue
                served = targets.get(deriver, frozenset())
                if not targets[rule] <= served:
                    targets[deriver] = served | targets[rule]
                    pending.append((deriver, depth + 1))
    return targets


def select_questions(
    case: Case, firings: Firings, ruled_out: set[str], confirmed: Mapping[str, float],
    first: str | None = None,
) -> list[dict[str, JsonValue]]:
    """The questions still worth asking, best first, as plain data for the Diagnosis.

    ``first``: the first cause held (its supporting rules would only confirm it).
    """
    pack = case.pack
    index = pack.index
    known = case.facts
    unknown = case.unknown  # "the user cannot answer": never asked again
    targets, settled = _target_rules(case, firings, ruled_out, confirmed, first)
    targets = _expand_derivations(case, targets, settled)
    wanted: dict[str, tuple[int, set[int]]] = {}
    steps = index.rule_steps
    live_rules = frozenset(targets)
    for fact, askers in index.askers.items():  # per fact: its live readers, by set intersection
        if fact in known or fact in unknown:
            continue
        live = askers & live_rules
        if live:
            wanted[fact] = (min(map(steps.__getitem__, live)),
                            set().union(*map(targets.__getitem__, live)))
    # A raw text (an error message) that extractors read can answer those facts at once.
    for source, extracted in index.extracted_from.items():
        if source in known or source in unknown:
            continue
        for target in extracted:
            if target in wanted:
                step, target_causes = wanted[target]
                current = wanted.get(source)
                if current is None:
                    wanted[source] = (step, set(target_causes))
                else:
                    current[1].update(target_causes)
                    wanted[source] = (min(step, current[0]), current[1])
    specs = pack.facts  # the Pack's properties each cost a call: read them once
    ranked = sorted(
        wanted.items(),
        key=lambda item: (-len(item[1][1]), item[1][0], specs[item[0]].cost, item[0]),
    )
    steps_of, cause_order, titles = pack.playbook.steps, index.cause_order, index.cause_titles
    record_fields = index.record_fields
    questions: list[dict[str, JsonValue]] = []
    for fact, (step, cause_set) in ranked:
        spec = specs[fact]
        positions = sorted(cause_set)  # rank order
        fields = record_fields.get(fact)
        questions.append({
            "fact": fact,
            "ask": spec.ask or f"What is {fact}?",
            "help": spec.help,
            "type": spec.type,
            "values": list(spec.values) if spec.values else None,
            "fields": None if fields is None else [
                {"name": f.name, "type": f.type, "values": list(f.values) if f.values else None}
                for f in fields
            ],
            "step": steps_of[step].id,
            "causes": list(map(cause_order.__getitem__, positions)),
            "why": "Could confirm or rule out: "
            + "; ".join(map(titles.__getitem__, positions)) + ".",
        })
    return questions
