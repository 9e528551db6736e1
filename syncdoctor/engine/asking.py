"""What question selection reads of each askable fact, worked out once per pack.

A question's causes are those served by the live rules reading its fact. Intersecting each
fact's readers with a set of live rules, then unioning and sorting their causes, was most of a
diagnosis at 5,000 rules (issue 17: ~120 readers a fact, ~70 causes a question). Here each
fact's readers are listed once, ordered by the rank of the cause each serves, beside those
causes: a case marks its live rules in a bytearray, and a fact's live readers are picked from
it in C (``itemgetter``, then ``itertools.compress``), which gives the fact's causes, with
their titles, already in rank order. Its earliest step comes from a second pick of the same
readers in step order: the first live one is at the earliest step (``index(1)``, in C), which
costs less than the minimum over the live readers' steps (issue 17, counted in instructions:
select_questions -3% on the bundled examples, -6% at 1,000 rules).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from syncdoctor.kb.pack import PackIndex
from syncdoctor.kb.spec import FactSpec
from syncdoctor.types import JsonValue

__all__ = ["Asking", "Readers"]

Pick = Callable[[bytearray], tuple[int, ...]]
"""Reads the marks of a fact's readers, in ``Readers`` order."""


def _nothing(_marks: bytearray) -> tuple[int, ...]:
    return ()


def _picker(rules: tuple[int, ...]) -> Pick:
    if not rules:
        return _nothing  # itemgetter() needs an item
    if len(rules) == 1:
        only = rules[0]
        return lambda marks: (marks[only],)  # itemgetter of one item gives no tuple
    pick: Pick = operator.itemgetter(*rules)
    return pick


class Readers(NamedTuple):
    """The rules reading one askable fact that serve a cause: what a case picks of them.

    A tuple: a case unpacks the six for each fact.
    """

    pick: Pick
    """Marks of a live-rule bytearray -> theirs, one per reader, in the causes' rank order."""
    causes: tuple[int, ...]
    """Per reader, in that order: the position of its cause in ``PackIndex.cause_order``."""
    pick_by_step: Pick
    """The same readers' marks, in playbook step order (then rank order)."""
    steps: tuple[int, ...]
    """Per reader, in step order: its step's position in the playbook."""
    ids: tuple[str, ...]
    """Per reader, in rank order: its cause's id."""
    titles: tuple[str, ...]
    """Per reader, in rank order: its cause's title. A ``dict`` of the live readers' ids zipped
    with these is a question's causes and the titles its "why" joins, deduplicated in rank
    order, in C."""


@dataclass(frozen=True)
class Asking:
    """Per pack: the supporting rules as marks, and each askable fact's readers."""

    support: bytes
    """1 at each rule that supports a cause, else 0: a case's live marks start as a copy."""
    readers: Mapping[str, Readers]
    """Askable fact -> its readers (the facts in ``PackIndex.askers`` order)."""
    position: Mapping[str, int]
    """Cause id -> its position in ``PackIndex.cause_order``."""
    stubs: Mapping[str, Mapping[str, JsonValue]]
    """Fact -> the part of its question no case changes (its text, help, type, values and
    fields); a case adds the step, the causes and the "why". Shared by every diagnosis: read
    only (the Diagnosis validation copies what it keeps)."""

    @classmethod
    def build(cls, index: PackIndex, rule_count: int, facts: Mapping[str, FactSpec]) -> Asking:
        """From the pack's index and facts; ``rule_count``: how many rules the pack has."""
        support = bytearray(rule_count)
        for rule in index.support_rules:
            support[rule] = 1
        served = index.rule_cause
        # The causes' ids and titles, copied here one after the other: a case's dicts of live
        # causes touch each id and title they hold (a hash, a reference count), and the
        # originals lie scattered over the heap where the YAML left them. At 5,000 rules,
        # ~8,000 touches a case; compact, select_questions took 6-8% less time in situ.
        ids = [cause.encode().decode() for cause in index.cause_order]
        names = [title.encode().decode() for title in index.cause_titles]
        readers: dict[str, Readers] = {}
        for fact, askers in index.askers.items():
            # A rule serving no cause is never live on its own (only through a derivation,
            # which question selection handles apart).
            ordered = sorted((min(served[r]), r) for r in askers if served[r])
            by_step = sorted((index.rule_steps[r], n, r) for n, r in ordered)
            readers[fact] = Readers(
                pick=_picker(tuple(rule for _, rule in ordered)),
                causes=tuple(cause for cause, _ in ordered),
                pick_by_step=_picker(tuple(rule for _, _, rule in by_step)),
                steps=tuple(step for step, _, _ in by_step),
                ids=tuple(ids[cause] for cause, _ in ordered),
                titles=tuple(names[cause] for cause, _ in ordered),
            )
        position = {cause: number for number, cause in enumerate(index.cause_order)}
        stubs: dict[str, Mapping[str, JsonValue]] = {}
        for fact, spec in facts.items():
            fields = index.record_fields.get(fact)
            stubs[fact] = {
                "fact": fact,
                "ask": spec.ask or f"What is {fact}?",
                "help": spec.help,
                "type": spec.type,
                "values": list(spec.values) if spec.values else None,
                "fields": None if fields is None else [
                    {"name": f.name, "type": f.type,
                     "values": list(f.values) if f.values else None}
                    for f in fields
                ],
            }
        return cls(support=bytes(support), readers=readers, position=position, stubs=stubs)
