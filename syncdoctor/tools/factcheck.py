"""Every wrong fact of a call at once: the engine stops at the first, a door names them all.

A chatbot that sent three misspelt facts should not need three round trips to learn of them.
When the engine refuses a call's facts, the tools check the rest against the same catalogue
(the pack named or chosen; every pack's facts when none could be) and put them in the
FactError's ``also``: its problem then lists every wrong fact in ``errors[]``, the first one
still where it always was. Only the error path pays for this check.
"""

from __future__ import annotations

from collections.abc import Mapping

from syncdoctor.diagnosis.routing import choose_pack
from syncdoctor.engine.knowledge import KnowledgeBase
from syncdoctor.errors import FactError, FieldProblem, PackError, echo_id
from syncdoctor.kb.problems import nearest
from syncdoctor.kb.spec import FactSpec
from syncdoctor.kb.values import type_records, type_value

__all__ = ["MAX_LISTED", "with_every_wrong_fact"]

MAX_LISTED = 100
"""At most this many other wrong facts are listed (a body of thousands stays one answer)."""


def with_every_wrong_fact(error: FactError, kb: KnowledgeBase,
                          facts: Mapping[str, object] | None, pack: str | None) -> FactError:
    """``error`` with the call's other wrong facts in its ``also`` (and returned).

    ``facts`` and ``pack``: the call's, as the engine was given them.
    """
    if not isinstance(facts, Mapping) or len(facts) < 2:
        return error
    catalogue, owner = _catalogue(kb, facts, pack)
    others: list[FieldProblem] = []
    for fact in sorted(f for f in facts if isinstance(f, str)):
        if echo_id(fact) == error.fact:
            continue
        problem = _problem(fact, facts[fact], catalogue, owner)
        if problem is not None:
            others.append(problem)
            if len(others) == MAX_LISTED:
                break
    error.also = tuple(others)
    return error


def _catalogue(kb: KnowledgeBase, facts: Mapping[str, object], pack: str | None
               ) -> tuple[Mapping[str, FactSpec], str | None]:
    """The catalogue the engine typed the facts against, and its pack.

    Every pack's facts when the call chose no pack.
    """
    try:
        chosen = kb.pack(pack) if pack is not None else choose_pack(kb, facts)
    except (FactError, PackError):
        chosen = None
    if chosen is not None:
        return chosen.facts, chosen.id
    every: dict[str, FactSpec] = {}
    for pack_id in sorted(kb.packs):
        for fact, spec in kb.packs[pack_id].facts.items():
            every.setdefault(fact, spec)
    return every, None


def _problem(fact: str, value: object, catalogue: Mapping[str, FactSpec], owner: str | None
             ) -> FieldProblem | None:
    spec = catalogue.get(fact)
    if spec is None:
        unknown = FactError(
            fact, f"unknown fact for pack {owner!r}" if owner else "no pack knows this fact",
            suggestion=nearest(fact, catalogue))
        return FieldProblem(f"facts.{fact}", str(unknown), suggestion=unknown.suggestion)
    if value is None:
        return None  # "not known": never wrong
    try:
        if spec.type == "records":
            type_records(fact, spec, value)
        else:
            type_value(fact, spec, value)
    except FactError as wrong:
        return FieldProblem(f"facts.{fact}", str(wrong), expected=wrong.expected,
                            suggestion=wrong.suggestion)
    return None
