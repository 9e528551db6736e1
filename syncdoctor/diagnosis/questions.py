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

The work is done on precomputed indexes, not a walk over every rule's facts: the live rules
are marks in a bytearray (a copy of the supporting rules' marks, less the settled ones and those
of the few causes that need no support), and each fact's live readers are picked from it in C
(``Prepared.asking``, engine/asking.py), their causes coming in rank order (positions in
``PackIndex.cause_order``). Rules a derivation makes serve other causes than their own are kept
apart, and merged into the facts they read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from itertools import compress

from syncdoctor.diagnosis.case import Case
from syncdoctor.engine.session import Firings

__all__ = ["frozen_facts", "select_questions"]

Wanted = tuple[int, int, list[str], Collection[str]]
"""A fact worth asking: its earliest step, how many causes it serves, their ids (a list of this
diagnosis's own, handed on as it is) and titles in rank order."""

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


def _live_rules(
    case: Case, firings: Firings, ruled_out: set[str], confirmed: Mapping[str, float],
    first: str | None,
) -> tuple[bytearray, set[int]]:
    """The rules whose firing could change the outcome, and the settled rules.

    The live rules are marked 1 by rule index; each serves its own cause.
    """
    index = case.pack.index
    settled = firings.impossible | firings.rules.keys()
    for fact in frozen_facts(case):
        settled |= index.record_rules.get(fact, frozenset())
    # Every supporting rule, less those of the few causes held or ruled out that need no
    # support: a copy of precomputed marks and a few clears, not a walk over every cause.
    live = bytearray(case.pack.prepared.asking.support)
    for rule in settled:
        live[rule] = 0
    causes = case.pack.playbook.causes
    for cause in ruled_out:
        if cause in causes:
            for rule in index.supporting[cause]:
                live[rule] = 0
    held = [cause for cause in confirmed if cause in causes and cause not in ruled_out]
    for cause in held:
        certainty = confirmed[cause]
        if not (certainty < 1.0 and cause != first):
            for rule in index.supporting[cause]:
                live[rule] = 0
    for cause in held:  # a held cause may still be ruled out
        for rule in index.refuting[cause] - settled:
            live[rule] = 1
    return live, settled


def _expand_derivations(
    case: Case, live: bytearray, settled: set[int]
) -> dict[int, frozenset[int]]:
    """Add the live rules deriving what a target rule still needs, serving the same causes.

    An observable derived fact is asked itself (one question); the facts its rules compare are
    asked only once the user cannot answer it.

    Returns the rules that now serve other causes than their own alone (rule -> its causes);
    their marks in ``live`` are cleared, so that each live rule is either marked or there.
    """
    pack = case.pack
    index = pack.index
    known = case.facts
    served = index.rule_cause
    special: dict[int, frozenset[int]] = {}

    def causes_of(rule: int) -> frozenset[int]:
        found = special.get(rule)
        if found is not None:
            return found
        return served[rule] if live[rule] else frozenset()

    pending = [(rule, 0) for rule in sorted(index.reads_derived) if live[rule]]
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
                current = causes_of(deriver)
                needs = causes_of(rule)
                if not needs <= current:
                    special[deriver] = current | needs
                    live[deriver] = 0
                    pending.append((deriver, depth + 1))
    return special


def select_questions(
    case: Case, firings: Firings, ruled_out: set[str], confirmed: Mapping[str, float],
    first: str | None = None,
) -> list[dict[str, object]]:
    """The questions still worth asking, best first, as plain data for the Diagnosis.

    ``first``: the first cause held (its supporting rules would only confirm it).
    """
    pack = case.pack
    index = pack.index
    known = case.facts
    unknown = case.unknown  # "the user cannot answer": never asked again
    live, settled = _live_rules(case, firings, ruled_out, confirmed, first)
    special = _expand_derivations(case, live, settled)
    special_readers: dict[str, list[int]] = {}
    for rule in special:
        for fact in index.asked_facts[rule]:
            special_readers.setdefault(fact, []).append(rule)
    steps = index.rule_steps
    cause_order, titles = index.cause_order, index.cause_titles
    asking = pack.prepared.asking
    # Per fact: its earliest step, how many causes it serves, their ids and their titles, in
    # rank order.
    wanted: dict[str, Wanted] = {}

    def named(step: int, gathered: set[int]) -> Wanted:
        order = sorted(gathered)
        return step, len(order), [cause_order[n] for n in order], [titles[n] for n in order]

    for fact, readers in asking.readers.items():
        if fact in known or fact in unknown:
            continue
        pick, causes, pick_by_step, step_order, reader_ids, reader_titles, lanes = readers
        extra = special_readers.get(fact) if special_readers else None
        if extra is None:
            # The marks of the fact's readers pick their causes, in rank order; the first
            # live reader in step order is at the earliest step.
            if lanes is None:
                picked = pick(live)
                if 1 in picked:
                    held = dict(zip(
                        compress(reader_ids, picked), compress(reader_titles, picked), strict=True
                    ))
                    wanted[fact] = (
                        step_order[pick_by_step(live).index(1)], len(held), [*held],
                        held.values(),
                    )
                continue
            found = lanes(live)
            if found is not None:
                wanted[fact] = (
                    step_order[pick_by_step(live).index(1)], len(found[0]), found[0], found[1]
                )
            continue
        wanted[fact] = named(
            min([*compress(step_order, pick_by_step(live)), *map(steps.__getitem__, extra)]),
            {*compress(causes, pick(live))}.union(*map(special.__getitem__, extra)),
        )
    position = asking.position

    # A raw text (an error message) that extractors read can answer those facts at once.
    for source, extracted in index.extracted_from.items():
        if source in known or source in unknown:
            continue
        answered = [wanted[target] for target in extracted if target in wanted]
        if not answered:
            continue
        own = wanted.get(source)
        if own is not None:
            answered.append(own)
        gathered: set[int] = set()
        for entry in answered:
            gathered.update(map(position.__getitem__, entry[2]))
        wanted[source] = named(min(entry[0] for entry in answered), gathered)
    specs = pack.facts  # the Pack's properties each cost a call: read them once
    ranked = sorted(
        wanted.items(),
        key=lambda item: (-item[1][1], item[1][0], specs[item[0]].cost, item[0]),
    )
    steps_of = pack.playbook.steps
    stubs = asking.stubs
    questions: list[dict[str, object]] = []
    for fact, (step, _, ids, names) in ranked:
        questions.append({
            **stubs[fact],
            "step": steps_of[step].id,
            "causes": ids,
            "why": "Could confirm or rule out: " + "; ".join(names) + ".",
        })
    return questions
