"""What question selection reads of each askable fact, worked out once per pack.

A question's causes are those served by the live rules reading its fact. Intersecting each
fact's readers with a set of live rules, then unioning and sorting their causes, was most of a
diagnosis at 5,000 rules (issue 17: ~110 readers a fact, ~60 causes a question). Here each
fact's readers are listed once, ordered by the rank of the cause each serves, beside those
causes: a case marks its live rules 1 (else 0) in a bytearray, and a fact's live readers are
picked from it in C (``itemgetter``, then ``itertools.compress``), which gives the fact's
causes, with their titles, already in rank order; a fact with many readers folds its marks in
the byte lanes of one integer instead (``_lanes``). Its earliest step comes from a second pick
of the same readers in step order: the first live one is at the earliest step (``index(1)``,
in C), which costs less than the minimum over the live readers' steps.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from itertools import compress
from types import MappingProxyType
from typing import NamedTuple

from syncdoctor.kb.pack import PackIndex
from syncdoctor.kb.spec import FactSpec

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


LiveCauses = Callable[[bytearray], tuple[list[str], Collection[str]] | None]
"""Live marks -> the causes served, as ids and titles in rank order; None when none is."""

LANES_FROM = 16
"""From this many readers, a fact's live causes are merged in the byte lanes of one integer
(``Readers.lanes``); below, in a dict, which costs less for a few."""


def _lanes(
    pick: Pick, causes: tuple[int, ...], ids: tuple[str, ...], titles: tuple[str, ...]
) -> LiveCauses | None:
    """The live causes of a fact with many readers (``causes``: per reader, its cause's rank).

    A cause read by several readers is listed once. Readers come in rank order, so those of
    one cause are neighbours. At ~110 readers a fact (5,000 rules), deduplicating ~60 live ones
    in a dict (hashing each id, growing the table four times) was most of question selection;
    instead each reader's mark is a byte of one integer, a few shifts fold each cause's marks
    into its first reader's byte, and that byte picks the cause (question selection 11-13% less
    time at 5,000 rules). Below ``LANES_FROM`` readers the dict costs less: None.
    """
    if len(causes) < LANES_FROM:
        return None
    width = len(causes)
    firsts = 0  # a 1 in the byte of each cause's first reader
    folds: dict[int, int] = {}  # readers behind a first one -> the first readers' bytes
    start = 0
    for lane, cause in enumerate(causes):
        if lane == 0 or cause != causes[lane - 1]:
            start = lane
            firsts |= 1 << (8 * lane)
        else:
            folds[lane - start] = folds.get(lane - start, 0) | 1 << (8 * start)
    shifts = tuple((8 * behind, mask) for behind, mask in sorted(folds.items()))

    def live_causes(marks: bytearray) -> tuple[list[str], Collection[str]] | None:
        lanes = int.from_bytes(bytes(pick(marks)), "little")
        if not lanes:
            return None
        held = lanes & firsts
        for shift, mask in shifts:
            held |= (lanes >> shift) & mask
        keep = held.to_bytes(width, "little")
        return list(compress(ids, keep)), list(compress(titles, keep))

    return live_causes


class Readers(NamedTuple):
    """The rules reading one askable fact that serve a cause: what a case picks of them.

    A tuple: a case unpacks the seven for each fact.
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
    """Per reader, in rank order: its cause's title. With a few readers, a ``dict`` of the
    live readers' ids zipped with these is a question's causes and the titles its "why"
    joins, deduplicated in rank order, in C."""
    lanes: LiveCauses | None
    """With many readers (``LANES_FROM``), what gives the live causes instead of that dict."""


@dataclass(frozen=True)
class Asking:
    """Per pack: the supporting rules as marks, and each askable fact's readers."""

    support: bytes
    """1 at each rule that supports a cause, else 0: a case's live marks start as a copy."""
    readers: Mapping[str, Readers]
    """Askable fact -> its readers (the facts in ``PackIndex.askers`` order)."""
    position: Mapping[str, int]
    """Cause id -> its position in ``PackIndex.cause_order``."""
    stubs: Mapping[str, Mapping[str, object]]
    """Fact -> the part of its question no case changes (its text, help, type, values and
    fields); a case adds the step, the causes and the "why" to a copy. Shared by every
    diagnosis, so what it holds is immutable: tuples, read-only field mappings (the Diagnosis
    validation makes them lists and models of its own)."""

    @classmethod
    def build(cls, index: PackIndex, rule_count: int, facts: Mapping[str, FactSpec]) -> Asking:
        """From the pack's index and facts; ``rule_count``: how many rules the pack has."""
        support = bytearray(rule_count)
        for rule in index.support_rules:
            support[rule] = 1
        served = index.rule_cause
        # The causes' ids and titles, copied here in one go (so, as a rule, near one another in
        # memory): a case's dicts of live causes touch each id and title they hold (a hash, a
        # reference count), and the originals lie scattered over the heap where the YAML left
        # them. At 5,000 rules, ~8,000 touches a case; copied, select_questions took 6-8% less
        # time in a diagnosis (alternated in one process).
        ids = [cause.encode().decode() for cause in index.cause_order]
        names = [title.encode().decode() for title in index.cause_titles]
        readers: dict[str, Readers] = {}
        for fact, askers in index.askers.items():
            # A rule serving no cause is never live on its own (only through a derivation,
            # which question selection handles apart).
            ordered = sorted((min(served[r]), r) for r in askers if served[r])
            by_step = sorted((index.rule_steps[r], n, r) for n, r in ordered)
            rules = tuple(rule for _, rule in ordered)
            causes = tuple(cause for cause, _ in ordered)
            pick = _picker(rules)
            cause_ids = tuple(ids[c] for c in causes)
            cause_titles = tuple(names[c] for c in causes)
            readers[fact] = Readers(
                pick=pick,
                causes=causes,
                pick_by_step=_picker(tuple(rule for _, _, rule in by_step)),
                steps=tuple(step for step, _, _ in by_step),
                ids=cause_ids,
                titles=cause_titles,
                lanes=_lanes(pick, causes, cause_ids, cause_titles),
            )
        position = {cause: number for number, cause in enumerate(index.cause_order)}
        stubs: dict[str, Mapping[str, object]] = {}
        for fact, spec in facts.items():
            fields = index.record_fields.get(fact)
            stubs[fact] = {  # a dict, which unpacks fastest: each question is a copy
                "fact": fact,
                "ask": spec.ask or f"What is {fact}?",
                "help": spec.help,
                "type": spec.type,
                "values": tuple(spec.values) if spec.values else None,
                "unit": spec.unit,
                "minimum": spec.minimum,
                "maximum": spec.maximum,
                "fields": None if fields is None else tuple(
                    MappingProxyType({"name": f.name, "type": f.type,
                                      "values": tuple(f.values) if f.values else None})
                    for f in fields
                ),
            }
        return cls(support=bytes(support), readers=readers, position=position, stubs=stubs)
