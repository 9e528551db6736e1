"""Question selection: the unknown facts that could still confirm or rule out a live cause.

Candidates come from the rules no blocker has refuted (see docs/design-notes.md), through the
rules that derive the facts they read, and from the raw texts extractors read; they are ranked by
playbook step, then by how many live causes they bear on, then by cost, then by id.
"""

from __future__ import annotations

from collections.abc import Mapping

from syncdoctor.diagnosis.case import Case
from syncdoctor.engine.session import Firings
from syncdoctor.types import JsonValue

__all__ = ["select_questions"]

MAX_DERIVATION_DEPTH = 8
"""How deep question selection follows derived facts to the rules deriving them."""


def select_questions(
    case: Case, firings: Firings, ruled_out: set[str], confirmed: Mapping[str, float]
) -> list[dict[str, JsonValue]]:
    """The questions still worth asking, best first, as plain data for the Diagnosis."""
    pack = case.pack
    index = pack.index
    known = case.facts
    unknown = case.unknown  # "the user cannot answer": never asked again
    settled = firings.blocked | firings.rules.keys()
    wanted: dict[str, tuple[int, set[str]]] = {}
    expanded: set[tuple[int, str]] = set()

    def expand(rule: int, cause: str, depth: int) -> None:
        if (rule, cause) in expanded:
            return
        expanded.add((rule, cause))
        step = index.rule_steps[rule]
        for fact in index.asked_facts[rule]:
            if fact in known or fact in unknown:
                continue
            entry = wanted.get(fact)
            if entry is None:
                wanted[fact] = (step, {cause})
            else:
                entry[1].add(cause)
                if step < entry[0]:
                    wanted[fact] = (step, entry[1])
        if depth < MAX_DERIVATION_DEPTH:  # derived facts: ask what their rules still need
            for fact in index.derived_read[rule]:
                # An observable derived fact is asked itself (one question); the facts its
                # rules compare are asked only once the user cannot answer it.
                if fact not in known and (
                    not pack.facts[fact].observable or fact in case.unknown
                ):
                    for deriver in index.derivers.get(fact, ()):
                        if deriver not in settled:
                            expand(deriver, cause, depth + 1)

    for rule, cause in index.cause_rules:
        if rule in settled or cause in ruled_out:
            continue
        if confirmed.get(cause, 0.0) >= 1.0 and pack.rules[rule].effect == "supports":
            continue  # nothing can make it surer; what could rule it out is still worth asking
        expand(rule, cause, 0)
    # A raw text (an error message) that extractors read can answer those facts at once.
    for source, targets in index.extracted_from.items():
        if source in known or source in unknown:
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
    questions: list[dict[str, JsonValue]] = []
    for fact, (step, cause_set) in ranked:
        spec = pack.facts[fact]
        causes = sorted(cause_set, key=index.cause_rank.__getitem__)
        fields = index.record_fields.get(fact)
        questions.append(
            {
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
                "step": steps[step].id,
                "causes": list(causes),
                "why": "Could confirm or rule out: "
                + "; ".join(causes_spec[c].title for c in causes)
                + ".",
            }
        )
    return questions
