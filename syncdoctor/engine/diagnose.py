"""One case, start to end: type the facts, run the rules, assemble the Diagnosis."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from jinja2 import TemplateError

from syncdoctor.engine.compiler import unknown_marker
from syncdoctor.engine.facts import TypedValue, encode, type_records, type_value
from syncdoctor.engine.kb import KnowledgeBase, Pack, default_kb
from syncdoctor.engine.result import (
    Diagnosis,
    PackVersion,
    Question,
)
from syncdoctor.engine.runtime import Message, runtime
from syncdoctor.engine.suggest import nearest
from syncdoctor.errors import EngineError, FactError


def _now(now: object) -> datetime:
    if now is None:
        return datetime.now(UTC).replace(microsecond=0)
    if not isinstance(now, datetime | str):
        raise FactError("now", "expected a date-time or ISO 8601 text", expected="datetime",
                        value=repr(now)[:60])
    return type_value("now", _DATETIME_SPEC, now)  # type: ignore[no-any-return]


class _DatetimeSpec:
    type = "datetime"


_DATETIME_SPEC: Any = _DatetimeSpec()


def jsonable(value: TypedValue) -> Any:
    """A typed fact value as plain JSON data (decimals as text, datetimes in ISO 8601)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in sorted(value.items())}
    return value


@dataclass
class Case:
    """A case's facts, typed, with what the engine inferred."""

    pack: Pack
    now: datetime
    facts: dict[str, TypedValue]
    supplied: frozenset[str]
    inferred: dict[str, TypedValue] = field(default_factory=dict)


def type_facts(pack: Pack, raw: Mapping[str, Any]) -> dict[str, TypedValue]:
    """Type every supplied fact against the pack's catalogue.

    Raises:
        FactError: an unknown fact or a value of the wrong type.
    """
    typed: dict[str, TypedValue] = {}
    for fact in sorted(raw, key=str):
        value = raw[fact]
        if not isinstance(fact, str):
            raise FactError(repr(fact), "fact ids are text")
        spec = pack.facts.get(fact)
        if spec is None:
            raise FactError(
                fact,
                f"unknown fact for pack {pack.id!r}",
                suggestion=nearest(fact, pack.facts),
            )
        if value is None:
            continue  # an explicit null means "not known"
        if spec.type == "records":
            typed[fact] = type_records(fact, spec, value)
        else:
            typed[fact] = type_value(fact, spec, value)
    return typed


def _extract(case: Case) -> None:
    """Classify raw text (error messages) into facts with the pack's extractors."""
    for extractor, pattern, targets in zip(
        case.pack.extractors, case.pack.extractor_patterns, case.pack.extractor_targets,
        strict=True,
    ):
        text = case.facts.get(extractor.from_)
        if not isinstance(text, str) or all(t in case.facts for t in targets):
            continue  # first value wins: nothing left for this pattern to set
        match = pattern.search(text)
        if match is None:
            continue
        found: dict[str, TypedValue] = {}
        for fact, value in extractor.set.items():
            found[fact] = type_value(fact, case.pack.facts[fact], value)
        for group, fact in extractor.capture.items():
            captured = match.group(group)
            if captured is None:
                continue
            try:
                found[fact] = type_value(fact, case.pack.facts[fact], captured.strip())
            except FactError:
                continue  # text that does not fit the fact's type is no evidence
        for fact, value in found.items():
            if fact not in case.facts:
                case.facts[fact] = value
                case.inferred[fact] = value


def _messages(case: Case) -> list[Message]:
    pack = case.pack
    assert pack.compiled is not None
    fields = pack.compiled.fields
    message: Message = {"t": "case"}
    records: list[Message] = []
    derived: list[Message] = []
    for fact, value in sorted(case.facts.items()):
        spec = pack.facts[fact]
        name = fields.facts[fact]
        if spec.type == "records":
            message[name] = True  # for "known" tests on the records fact itself
            message[fields.counts[fact]] = len(value)
            record_fields = fields.record_fields[fact]
            field_specs = spec.fields or {}
            for record in value:
                encoded: Message = {"t": fields.record_types[fact]}
                for key, short in record_fields.items():
                    if key not in record and short in fields.markers:
                        encoded[unknown_marker(short)] = 1
                for key, item in record.items():
                    kind = field_specs[key].type
                    encoded[record_fields[key]] = encode(kind, item)
                records.append(encoded)
            continue
        if spec.derived:
            derived.append({"t": "d", "f": name, "v": value})
        encoded_value = encode(spec.type, value)
        if spec.type == "text" and isinstance(encoded_value, str):
            # Text no rule compares by value only needs to be known; every firing copies the
            # case message, so a long error message would be copied again and again.
            encoded_value = encoded_value if fact in fields.compared_text else True
        message[name] = encoded_value
        if fact in fields.aged:
            message[fields.ages[fact]] = int((case.now - value).total_seconds())
    for fact in pack.marked_facts:
        if fact not in case.facts:
            message[unknown_marker(fields.facts[fact])] = 1
    for test, pattern in zip(pack.compiled.regexes, pack.regex_patterns, strict=True):
        text = case.facts.get(test.fact)
        if isinstance(text, str):
            message[test.field] = pattern.search(text) is not None
    return [message, *records, *derived]


@dataclass
class _Firings:
    rules: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    blocked: set[int] = field(default_factory=set)
    conflicts: set[str] = field(default_factory=set)


def _run(case: Case) -> _Firings:
    pack = case.pack
    compiled = pack.compiled
    assert compiled is not None
    firings = _Firings()
    record_by_type = {t: f for f, t in compiled.fields.record_types.items()}

    def on_fire(name: str, text: str) -> list[Message]:
        entry = compiled.entries[name]
        if entry.kind == "blocker":
            firings.blocked.update(entry.blocks)
            return []
        if entry.kind == "sentinel":
            return []
        record = None
        if entry.records:
            bindings = json.loads(text)[name]
            for alias, bound in sorted(bindings.items()):
                if alias.startswith("r") and bound.get("t") in record_by_type:
                    record = _decode_record(pack, record_by_type[bound["t"]], bound)
                    break
        firings.rules[entry.rule].append({"record": record})
        rule = pack.rules[entry.rule]
        if rule.derive is not None:
            fact = rule.derive.fact
            value = type_value(fact, pack.facts[fact], rule.derive.value)
            if fact in case.supplied and case.facts[fact] != value:
                return []  # the value the user supplied wins over the rules
            if fact not in case.facts:
                case.facts[fact] = value
                case.inferred[fact] = value
            elif case.facts[fact] != value:
                # Two rules derive different values: both stand in the network, and the
                # caller is told, since templates can only quote one.
                firings.conflicts.add(
                    f"rules derive both {jsonable(case.facts[fact])!r} and "
                    f"{jsonable(value)!r} for {fact!r}"
                )
            return [{"t": "d", "f": compiled.derived_field[fact], "v": value}]
        return []

    runtime().run(pack.registered, _messages(case), on_fire)
    return firings


def _decode_record(pack: Pack, fact: str, bound: Mapping[str, Any]) -> dict[str, Any]:
    """Find the typed record a firing bound (the case's own copy, not the encoded one)."""
    assert pack.compiled is not None
    names = pack.compiled.fields.record_fields[fact]
    return {field_name: bound[short] for field_name, short in names.items() if short in bound}


def _context(case: Case, record: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"facts": case.facts, "now": case.now, "record": record or {}}


def _record_view(case: Case, fact: str, encoded: Mapping[str, Any]) -> dict[str, Any] | None:
    """The typed record whose encoding matches the bound message."""
    spec = case.pack.facts[fact]
    for record in case.facts.get(fact, []):
        if all(encode((spec.fields or {})[k].type, v) == encoded.get(k) for k, v in record.items()):
            return dict(record)
    return None


def _why(error: Exception) -> str:
    if isinstance(error, TemplateError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _combine(certainties: list[float]) -> float:
    """MYCIN's combination of positive certainty factors: cf = a + b(1 - a)."""
    total = 0.0
    for value in sorted(certainties, reverse=True):
        total = total + value * (1 - total)
    return round(total, 4)


def assemble(case: Case, firings: _Firings, kb: KnowledgeBase) -> Diagnosis:
    """Turn firings into the Diagnosis: causes, ruled out, questions, warnings."""
    pack = case.pack
    playbook = pack.playbook
    warnings: list[str] = []
    # Plain dicts here, validated once as a whole at the end: pydantic-core checks a nested
    # tree in one call far faster than it builds each object on its own.
    support: dict[str, list[dict[str, Any]]] = defaultdict(list)
    against: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for index in sorted(firings.rules):
        rule = pack.rules[index]
        if rule.cause is None:
            continue
        used = {
            f: jsonable(case.facts[f])
            for f in pack.facts_of[rule.id]
            if f in case.facts and pack.facts[f].type != "records"
        }
        records: list[dict[str, Any] | None] = []
        for firing in firings.rules[index]:
            bound = firing["record"]
            if bound is None:
                records.append(None)
                continue
            fact = next(f for f in pack.facts_of[rule.id] if pack.facts[f].type == "records")
            records.append(_record_view(case, fact, bound) or bound)
        # One firing per true alternative of the rule: keep one per distinct record.
        distinct = {repr(jsonable(r)): r for r in records}
        for _, record in sorted(distinct.items()):
            try:
                because = pack.because[rule.id].render(_context(case, record))
            except Exception as error:  # a template is KB data: its failure must not crash
                because = rule.id
                warnings.append(f"rule {rule.id}: 'because' could not render: {_why(error)}")
            evidence = {
                "rule": rule.id,
                "because": because,
                "certainty": rule.certainty,
                "effect": rule.effect,
                "facts": used,
                "record": jsonable(record) if record is not None else None,
            }
            (support if rule.effect == "supports" else against)[rule.cause].append(evidence)

    causes: list[dict[str, Any]] = []
    ruled_out: list[dict[str, Any]] = []
    for cause_id in sorted(set(support) | set(against)):
        spec = playbook.causes[cause_id]
        if cause_id in against:
            ruled_out.append({"id": cause_id, "title": spec.title, "reasons": against[cause_id]})
            continue
        found = support[cause_id]
        distinct_rules = sorted({e["rule"] for e in found})
        certainty = _combine([pack.rules[pack.rule_index[r]].certainty for r in distinct_rules])
        context = _context(case)
        try:
            remediation: str | None = pack.remediation[cause_id].render(context)
        except Exception as error:  # a template is KB data: its failure must not crash
            remediation = None
            warnings.append(f"cause {cause_id}: remediation could not render: {_why(error)}")
        escalation = None
        if spec.escalation is not None:
            try:
                escalation = {
                    "contact": pack.contact[cause_id].render(context),
                    "send": [s.render(context) for s in pack.send.get(cause_id, ())],
                }
            except Exception as error:  # a template is KB data: its failure must not crash
                warnings.append(f"cause {cause_id}: escalation could not render: {_why(error)}")
        causes.append(
            {
                "id": cause_id,
                "title": spec.title,
                "step": spec.step,
                "step_title": playbook.steps[pack.step_order[spec.step]].title,
                "certainty": certainty,
                "evidence": found,
                "remediation": remediation,
                "escalation": escalation,
            }
        )
    causes.sort(key=lambda c: (pack.step_order[c["step"]], -c["certainty"], c["id"]))
    ruled_out.sort(key=lambda r: (pack.step_order[playbook.causes[r["id"]].step], r["id"]))

    confirmed = {c["id"]: c["certainty"] for c in causes}
    questions = _questions(case, firings, set(against), confirmed)
    warnings.extend(sorted(firings.conflicts))
    warnings.extend(_unused_fact_warnings(case))
    return Diagnosis.model_validate(
        {
            "pack": pack.id,
            "pack_title": playbook.title,
            "causes": causes,
            "ruled_out": ruled_out,
            "questions": questions,
            "inferred": {k: jsonable(v) for k, v in sorted(case.inferred.items())},
            "rules_fired": sorted(pack.rules[i].id for i in firings.rules),
            "warnings": warnings,
            "kb_version": kb.version,
            "packs": [{"id": pack.id, "version": pack.version}],
            "now": jsonable(case.now),
        }
    )


def _questions(
    case: Case, firings: _Firings, ruled_out: set[str], confirmed: Mapping[str, float]
) -> list[dict[str, Any]]:
    """Unknown facts that could still confirm or rule out a live cause."""
    pack = case.pack
    known = case.facts
    settled = firings.blocked | firings.rules.keys()
    wanted: dict[str, tuple[int, set[str]]] = {}
    expanded: set[tuple[int, str]] = set()

    def expand(index: int, cause: str, depth: int) -> None:
        if (index, cause) in expanded:
            return
        expanded.add((index, cause))
        step = pack.rule_steps[index]
        for fact in pack.asked_facts[index]:
            if fact in known:
                continue
            entry = wanted.get(fact)
            if entry is None:
                wanted[fact] = (step, {cause})
            else:
                entry[1].add(cause)
                if step < entry[0]:
                    wanted[fact] = (step, entry[1])
        if depth < 8:  # derived facts: ask what the rules deriving them still need
            for fact in pack.derived_read[index]:
                if fact not in known:
                    for deriver in pack.derivers.get(fact, ()):
                        if deriver not in settled:
                            expand(deriver, cause, depth + 1)

    for index, cause in pack.cause_rules:
        if index in settled or cause in ruled_out:
            continue
        if confirmed.get(cause, 0.0) >= 1.0 and pack.rules[index].effect == "supports":
            continue  # nothing can make it surer; what could rule it out is still worth asking
        expand(index, cause, 0)
    # A raw text (an error message) that extractors read can answer those facts at once.
    for source, targets in pack.extracted_from.items():
        if source in known:
            continue
        for target in targets:
            if target in wanted:
                step, target_causes = wanted[target]
                current = wanted.get(source)
                if current is None:
                    wanted[source] = (step, set(target_causes))
                else:
                    current[1].update(target_causes)
                    wanted[source] = (min(step, current[0]), current[1])

    steps = pack.playbook.steps
    causes_spec = pack.playbook.causes
    ranked = sorted(
        wanted.items(),
        key=lambda item: (item[1][0], -len(item[1][1]), pack.facts[item[0]].cost, item[0]),
    )
    questions: list[dict[str, Any]] = []
    for fact, (step, cause_set) in ranked:
        spec = pack.facts[fact]
        causes = sorted(cause_set, key=pack.cause_rank.__getitem__)
        questions.append(
            {
                "fact": fact,
                "ask": spec.ask or f"What is {fact}?",
                "help": spec.help,
                "type": spec.type,
                "values": list(spec.values) if spec.values else None,
                "fields": pack.record_fields.get(fact),
                "step": steps[step].id,
                "causes": causes,
                "why": "Could confirm or rule out: "
                + "; ".join(causes_spec[c].title for c in causes)
                + ".",
            }
        )
    return questions


def _unused_fact_warnings(case: Case) -> list[str]:
    pack = case.pack
    return [
        f"fact {fact!r} is not used by any rule of pack {pack.id!r}; it changes nothing"
        for fact in sorted(case.supplied - pack.used_facts)
    ]


def choose_pack(
    kb: KnowledgeBase, facts: Mapping[str, Any]
) -> Pack | None:
    """The pack whose catalogue holds every supplied fact; None when it is ambiguous.

    Raises:
        FactError: a fact that no pack knows, or facts that no single pack holds together.
    """
    names = [str(f) for f in facts]
    candidates = [p for p in kb.packs.values() if all(f in p.facts for f in names)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        every = {f for p in kb.packs.values() for f in p.facts}
        for fact in sorted(names):
            if fact not in every:
                raise FactError(fact, "no pack knows this fact", suggestion=nearest(fact, every))
        raise FactError(
            ", ".join(sorted(names)),
            "these facts belong to different packs; say which pack with pack=...",
        )
    scored = sorted(
        ((_extractor_score(p, facts), p.id, p) for p in candidates),
        key=lambda item: (-item[0], item[1]),
    )
    if scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][2]
    return None


def _extractor_score(pack: Pack, facts: Mapping[str, Any]) -> int:
    """How many of the pack's error patterns recognise the supplied text."""
    score = 0
    for extractor, pattern in zip(pack.extractors, pack.extractor_patterns, strict=True):
        text = facts.get(extractor.from_)
        if isinstance(text, str) and pattern.search(text) is not None:
            score += 1
    return score


def _which_pack(kb: KnowledgeBase, facts: Mapping[str, Any], now: datetime) -> Diagnosis:
    names = sorted(kb.packs)
    candidates = [p for p in names if all(f in kb.packs[p].facts for f in facts)] or names
    return Diagnosis(
        pack=None,
        pack_title=None,
        causes=[],
        ruled_out=[],
        questions=[
            Question(
                fact="pack",
                ask="Which integration is concerned?",
                help="; ".join(f"{p}: {kb.packs[p].playbook.title}" for p in candidates),
                type="enum",
                values=candidates,
                step="pack",
                causes=[],
                why="The facts fit several playbooks; the answer picks one.",
            )
        ],
        inferred={},
        rules_fired=[],
        warnings=[],
        kb_version=kb.version,
        packs=[PackVersion(id=p, version=kb.packs[p].version) for p in names],
        now=jsonable(now),
    )


def diagnose(
    facts: Mapping[str, Any],
    *,
    pack: str | None = None,
    kb: KnowledgeBase | None = None,
    now: datetime | str | None = None,
) -> Diagnosis:
    """Diagnose one case.

    Args:
        facts: fact id -> value (records facts: a list of mappings). None means unknown.
        pack: the pack to use; None lets the engine pick it from the facts.
        kb: the knowledge base; None uses the bundled one.
        now: the clock for ages of datetimes (aware, or naive UTC); None uses the system clock.

    Raises:
        FactError: an unknown fact or a value of the wrong type.
        PackError: an unknown pack id.
    """
    if not isinstance(facts, Mapping):
        raise FactError("facts", "expected a mapping of fact id to value", expected="mapping")
    knowledge = kb if kb is not None else default_kb()
    clock = _now(now)
    chosen = knowledge.pack(pack) if pack is not None else choose_pack(knowledge, facts)
    if chosen is None:
        return _which_pack(knowledge, facts, clock)
    if not chosen.registered:
        raise EngineError(f"the knowledge base was closed; pack {chosen.id!r} cannot diagnose")
    typed = type_facts(chosen, facts)
    case = Case(pack=chosen, now=clock, facts=typed, supplied=frozenset(typed))
    _extract(case)
    firings = _run(case)
    return assemble(case, firings, knowledge)
