"""One case in durable_rules: its facts as messages, a fresh session, the firings read back.

The session is deleted when the run ends; what the rules concluded comes back as
:class:`Firings`, and derived facts are written into the case's facts as they fire.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime

from syncdoctor.engine.encoding import Encoded, encode, unknown_marker
from syncdoctor.engine.knowledge import Pack
from syncdoctor.engine.refute import Refuted
from syncdoctor.engine.runtime import Message, runtime
from syncdoctor.kb.values import jsonable
from syncdoctor.types import FactValue, JsonValue

__all__ = ["POSITION", "Firing", "Firings", "build_messages", "run_session"]


POSITION = "p"
"""The field of a record message that holds the record's position in its (typed) fact."""


@dataclass(frozen=True)
class Firing:
    """One firing of a rule: the record it bound, as encoded (None for a rule over facts)."""

    record: Mapping[str, JsonValue] | None
    position: int | None = None
    """Where the bound record sits in its records fact (typed order): an O(1) way back."""


@dataclass
class Firings:
    """What the rules of one case did."""

    rules: dict[int, list[Firing]] = field(default_factory=lambda: defaultdict(list))
    """Rule index -> its firings (one per true alternative)."""
    blocked: set[int] = field(default_factory=set)
    """Rules with a top-level condition shown definitely false (they can no longer fire)."""
    refutation: Refuted = field(default_factory=Refuted)
    """What the refutation programs said (``refuted`` reads it)."""
    impossible: set[int] = field(default_factory=set)
    """Rules that cannot fire while the facts the user cannot answer stay unknown (a superset
    of ``blocked``): question selection asks nothing for them."""
    conflicts: set[str] = field(default_factory=set)
    """Warnings: two rules derived different values for one fact."""
    fired: int = 0
    """Every durable_rules firing (rules, blockers and sentinels): the benchmark counts them."""

    @property
    def refuted(self) -> frozenset[tuple[int, int]]:
        """(rule index, top-level condition position) of every condition shown false."""
        return self.refutation.refuted


def build_messages(pack: Pack, facts: Mapping[str, FactValue], now: datetime) -> list[Message]:
    """Every message one case asserts: the case, one per record, one per derived fact."""
    compiled = pack.compiled
    fields = compiled.fields
    scalars = pack.prepared.scalars
    message: Message = {"t": "case"}
    records: list[Message] = []
    derived: list[Message] = []
    for fact, value in sorted(facts.items()):
        if not isinstance(value, list):
            name, kind, is_derived, compared, age = scalars[fact]
            if is_derived:
                derived.append({"t": "d", "f": name, "v": value})
            if kind == "text" and not compared and isinstance(value, str):
                # Text no rule compares by value only needs to be known; every firing copies
                # the case message, so a long error message would be copied again and again.
                message[name] = True
            else:
                message[name] = encode(kind, value)
            if age is not None and isinstance(value, datetime):
                message[age] = int((now - value).total_seconds())
            continue
        spec = pack.facts[fact]
        name = fields.facts[fact]
        message[name] = True  # for "known" tests on the records fact itself
        message[fields.counts[fact]] = len(value)
        record_fields = fields.record_fields[fact]
        field_specs = spec.fields or {}
        kinds = {key: field_specs[key].type for key in record_fields}
        unknown = [
            (key, unknown_marker(short)) for key, short in record_fields.items()
            if short in fields.markers
        ]
        # Records repeat values: each distinct (field, value) is encoded once. Typed values
        # are hashable (bool, str, int, Decimal, datetime).
        encoded_before: dict[tuple[str, FactValue], Encoded] = {}
        record_type = fields.record_types[fact]
        for position, record in enumerate(value):
            encoded: Message = {"t": record_type, POSITION: position}
            for key, marker in unknown:
                if key not in record:
                    encoded[marker] = 1
            for key, item in record.items():
                seen = (key, item)
                found = encoded_before.get(seen)
                if found is None:
                    found = encoded_before[seen] = encode(kinds[key], item)
                encoded[record_fields[key]] = found
            records.append(encoded)
    for fact, marker in pack.prepared.markers:
        if fact not in facts:
            message[marker] = 1
    first = len(pack.extractors)  # the tests' patterns come after the extractors' in the scan
    matched: dict[str, set[int]] = {}
    for number, test in enumerate(compiled.regexes, first):
        text = facts.get(test.fact)
        if isinstance(text, str):
            hits = matched.get(test.fact)
            if hits is None:
                hits = matched[test.fact] = pack.scan.matching(test.fact, text)
            message[test.field] = number in hits
    catalogue = pack.facts
    for computed, evaluate in zip(compiled.computed, pack.prepared.evaluators, strict=True):
        result = evaluate(facts, now, catalogue)
        if result is not None:
            message[computed.field] = result
    return [message, *records, *derived]


def run_session(
    pack: Pack,
    facts: MutableMapping[str, FactValue],
    inferred: MutableMapping[str, FactValue],
    supplied: frozenset[str],
    now: datetime,
    frozen: frozenset[str] = frozenset(),
) -> Firings:
    """Run the case's facts through the pack's rulesets; derived facts land in ``facts``.

    A derived value the user supplied wins over the rules; two rules deriving different values
    are reported in ``Firings.conflicts``. ``frozen``: facts that stay unknown (the user
    cannot answer them), for ``Firings.impossible``.
    """
    compiled = pack.compiled
    firings = Firings()
    messages = build_messages(pack, facts, now)
    # Which conditions are definitely false is read from the case message as asserted, in
    # Python (engine/refute.py), before the rules run.
    refuted = pack.prepared.refuter.refute(messages[0], list(facts), frozen)
    firings.blocked = refuted.blocked
    firings.refutation = refuted
    firings.impossible = refuted.impossible
    entries = compiled.entries
    record_by_type = pack.prepared.record_facts
    derivations = pack.prepared.derivations
    fired = firings.rules

    def on_fire(name: str, text: str) -> list[Message]:
        firings.fired += 1
        entry = entries[name]
        if entry.kind == "sentinel":
            return []
        record = None
        position = None
        if entry.records:
            bindings = json.loads(text)[name]
            for alias, bound in sorted(bindings.items()):
                if alias.startswith("r") and bound.get("t") in record_by_type:
                    record = _decode_record(pack, record_by_type[bound["t"]], bound)
                    found = bound.get(POSITION)
                    position = found if isinstance(found, int) else None
                    break
        fired[entry.rule].append(Firing(record, position))
        derivation = derivations.get(entry.rule)
        if derivation is None:
            return []
        fact = derivation.fact
        value = derivation.value
        if fact in supplied and facts[fact] != value:
            return []  # the value the user supplied wins over the rules
        if fact not in facts:
            facts[fact] = value
            inferred[fact] = value
        elif facts[fact] != value:
            # Two rules derive different values: both stand in the network, and the caller is
            # told, since templates can only quote one.
            firings.conflicts.add(
                f"rules derive both {jsonable(facts[fact])!r} and {jsonable(value)!r} for {fact!r}"
            )
        return [{"t": "d", "f": derivation.field, "v": value}]

    runtime().run(pack.registration, messages, on_fire)
    return firings


def _decode_record(
    pack: Pack, fact: str, bound: Mapping[str, JsonValue]
) -> dict[str, JsonValue]:
    """The bound message's fields under their record field names (still encoded)."""
    names = pack.compiled.fields.record_fields[fact]
    return {name: bound[short] for name, short in names.items() if short in bound}
