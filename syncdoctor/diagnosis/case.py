"""The first stages of a case: ``prepare`` (the clock, typed facts) and ``extract``.

``extract`` classifies error text into facts with the pack's patterns.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from syncdoctor.engine.knowledge import Pack
from syncdoctor.errors import FactError, describe
from syncdoctor.kb.problems import nearest
from syncdoctor.kb.recordvalues import type_records
from syncdoctor.kb.values import type_clock, type_value, unknown_refusal
from syncdoctor.types import FactValue

__all__ = [
    "MAX_ID_LENGTH", "Case", "check_ids", "check_unknown", "extract", "prepare", "type_facts"
]

MAX_ID_LENGTH = 80
"""The longest fact id a catalogue may declare (``Identifier`` in kb/condition.py)."""


@dataclass
class Case:
    """A case's facts, typed, with what the engine inferred."""

    pack: Pack
    now: datetime
    facts: dict[str, FactValue]
    supplied: frozenset[str]
    """The facts the caller gave (the rest were inferred)."""
    inferred: dict[str, FactValue] = field(default_factory=dict)
    unknown: frozenset[str] = frozenset()
    """Facts the user cannot answer: never asked again (an error message may still state one:
    extraction sets it, and the Diagnosis no longer lists it as unknown)."""


def clock(now: datetime | str | None) -> datetime:
    """The diagnosis clock: the given one, else the system's, to the second."""
    if now is None:
        return datetime.now(UTC).replace(microsecond=0)
    return type_clock(now)


def check_ids(raw: Iterable[object]) -> list[str]:
    """The fact ids (the keys) of ``raw``, each checked to be text of a sensible length.

    Runs before anything sorts, prints or looks up an id, so that a hostile key (nested 10,000
    deep, a megabyte long) is refused in a few words instead of a RecursionError.

    Raises:
        FactError: an id that is not text, or is too long to be a fact id.
    """
    ids: list[str] = []
    for fact in raw:
        if not isinstance(fact, str):
            raise FactError(describe(fact), "fact ids are text")
        if len(fact) > MAX_ID_LENGTH:
            raise FactError(fact, f"no fact id is longer than {MAX_ID_LENGTH} characters")
        ids.append(fact)
    return ids


def type_facts(pack: Pack, raw: Mapping[str, object]) -> dict[str, FactValue]:
    """Type every supplied fact against the pack's catalogue.

    Raises:
        FactError: an unknown fact or a value of the wrong type.
    """
    typed: dict[str, FactValue] = {}
    for fact in sorted(check_ids(raw)):
        value = raw[fact]
        spec = pack.facts.get(fact)
        if spec is None:
            raise FactError(
                fact, f"unknown fact for pack {pack.id!r}", suggestion=nearest(fact, pack.facts)
            )
        if value is None:
            continue  # an explicit null means "not known"
        if spec.type == "records":
            typed[fact] = type_records(fact, spec, value)
        else:
            typed[fact] = type_value(fact, spec, value)
    return typed


def check_unknown(
    pack: Pack, facts: Mapping[str, object], unknown: Iterable[str]
) -> frozenset[str]:
    """The facts declared unknown ("the user cannot answer"), checked against the pack.

    Raises:
        FactError: a fact the pack does not have (with the nearest id), a fact the rules work
            out (it is never asked), or a fact both given a value and declared unknown.
    """
    if isinstance(unknown, str | bytes):  # a lone id would be read letter by letter
        raise FactError("unknown", "expected a list of fact ids", expected="list")
    checked: set[str] = set()
    for fact in unknown:
        if not isinstance(fact, str):
            raise FactError(describe(fact), "fact ids are text")
        spec = pack.facts.get(fact)
        if spec is None:
            raise FactError(
                fact,
                f"declared unknown, but pack {pack.id!r} has no such fact",
                suggestion=nearest(fact, pack.facts),
            )
        refusal = unknown_refusal(spec, facts.get(fact))
        if refusal is not None:
            raise FactError(fact, refusal)
        checked.add(fact)
    return frozenset(checked)


def prepare(
    pack: Pack, facts: Mapping[str, object], now: datetime, unknown: Iterable[str] = ()
) -> Case:
    """The case with its facts typed and its unknown facts checked.

    Raises:
        FactError: an unknown fact, a value of the wrong type, or a bad ``unknown`` list.
    """
    typed = type_facts(pack, facts)
    return Case(
        pack=pack,
        now=now,
        facts=typed,
        supplied=frozenset(typed),
        unknown=check_unknown(pack, facts, unknown),
    )


def extract(case: Case) -> None:
    """Classify raw text (error messages) into facts with the pack's extractors.

    Extractors run in file order; the first value a fact takes wins.
    """
    pack = case.pack
    facts = case.facts
    extractors = pack.extractors
    count = len(extractors)  # the scan numbers ``matches`` tests' patterns after these
    sources = pack.prepared.sources
    # The extractors whose pattern matches, from one pass per text fact; a text fact an
    # extractor sets is scanned then, for the extractors after it (the order they ran in).
    pending: list[int] = []
    for fact in sorted(sources):
        text = facts.get(fact)
        if isinstance(text, str):
            pending.extend(n for n in pack.scan.matching(fact, text) if n < count)
    heapq.heapify(pending)
    texts: dict[str, bytes] = {}  # text fact -> its UTF-8, encoded once for every pattern
    while pending:
        number = heapq.heappop(pending)
        extractor = extractors[number]
        if all(t in facts for t in pack.index.extractor_targets[number]):
            continue  # first value wins: nothing left for this pattern to set
        found = dict(pack.prepared.constants[number])
        if extractor.capture:
            text = facts[extractor.from_]
            if not isinstance(text, str):
                continue
            encoded = texts.get(extractor.from_)
            if encoded is None:
                encoded = texts[extractor.from_] = text.encode()
            groups = pack.prepared.readers[number].read(text, encoded)
            if groups is None:
                continue
            for group, fact in extractor.capture.items():
                captured = groups[group]
                if captured is None:
                    continue
                try:
                    found[fact] = type_value(fact, pack.facts[fact], captured.strip())
                except FactError:
                    continue  # text that does not fit the fact's type is no evidence
        # else: the scan already said the pattern matches this very text (a Set answers as a
        # search does), and with nothing to capture a second search would find nothing new.
        for fact, value in found.items():
            if fact not in facts:  # a fact the user could not answer, the message may
                facts[fact] = value
                case.inferred[fact] = value
                if fact in sources and isinstance(value, str):
                    for later in pack.scan.matching(fact, value):
                        if number < later < count:
                            heapq.heappush(pending, later)
