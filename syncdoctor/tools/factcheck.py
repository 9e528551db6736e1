"""Every wrong fact of a call at once: the engine stops at the first, a door names them all.

A chatbot that sent three misspelt facts should not need three round trips to learn of them.
When the engine refuses a call's facts, the tools check the rest against the same catalogue
(the pack named or chosen; when none could be, only whether some pack knows each id) and put
them in the FactError's ``also``: its problem then lists every wrong fact in ``errors[]``, the
first one still where it always was. Only the error path pays for this check.
"""

from __future__ import annotations

from collections.abc import Mapping

from syncdoctor.diagnosis.case import MAX_ID_LENGTH
from syncdoctor.diagnosis.routing import choose_pack
from syncdoctor.engine.knowledge import KnowledgeBase, Pack
from syncdoctor.errors import FactError, FieldProblem, PackError, echo_id
from syncdoctor.kb.problems import nearest
from syncdoctor.kb.recordvalues import type_fact
from syncdoctor.kb.spec import FactSpec

__all__ = ["MAX_LISTED", "with_every_wrong_fact"]

MAX_LISTED = 100
"""At most this many other wrong facts are listed (a body of thousands stays one answer)."""


def with_every_wrong_fact(error: FactError, kb: KnowledgeBase,
                          facts: Mapping[str, object] | None, pack: str | None) -> FactError:
    """``error`` with the call's other wrong facts in its ``also`` (and returned).

    ``facts`` and ``pack``: the call's, as the engine was given them. With a pack (named, or
    the one the facts choose) each fact is checked against its catalogue, id and value. With
    none, only ids that no pack knows are listed: a value is right or wrong only in its pack.
    """
    if not isinstance(facts, Mapping) or len(facts) < 2:
        return error
    chosen = _pack(kb, facts, pack)
    others: list[FieldProblem] = []
    for fact in sorted(f for f in facts if isinstance(f, str)):
        shown = echo_id(fact)
        if error.fact == shown or error.fact.startswith(f"{shown}["):  # the one at fault already
            continue
        if chosen is not None:
            others.extend(_problems(fact, facts[fact], chosen.facts, chosen.id))
        else:
            unknown = _unknown_id(fact, kb)
            others.extend([unknown] if unknown is not None else [])
        if len(others) >= MAX_LISTED:
            del others[MAX_LISTED:]
            break
    error.also = (*error.also, *others)  # a records fact's other wrong records come first
    return error


def _pack(kb: KnowledgeBase, facts: Mapping[str, object], pack: str | None) -> Pack | None:
    """The pack the engine typed the facts against, if there was one."""
    try:
        return kb.pack(pack) if pack is not None else choose_pack(kb, facts)
    except (FactError, PackError):
        return None


def _unknown_id(fact: str, kb: KnowledgeBase) -> FieldProblem | None:
    if len(fact) > MAX_ID_LENGTH:
        return _id_problem(fact, f"no fact id is longer than {MAX_ID_LENGTH} characters")
    if any(fact in kb.packs[p].facts for p in sorted(kb.packs)):
        return None
    every = {f for p in sorted(kb.packs) for f in kb.packs[p].facts}
    return _id_problem(fact, "no pack knows this fact", nearest(fact, every))


def _id_problem(fact: str, message: str, suggestion: str | None = None) -> FieldProblem:
    error = FactError(fact, message, suggestion=suggestion)
    return FieldProblem(f"facts.{error.fact}", str(error), suggestion=suggestion)


def _problems(fact: str, value: object, catalogue: Mapping[str, FactSpec], owner: str
              ) -> list[FieldProblem]:
    """What is wrong with one fact in its pack: its id, or its value (every wrong record)."""
    if len(fact) > MAX_ID_LENGTH:
        return [_id_problem(fact, f"no fact id is longer than {MAX_ID_LENGTH} characters")]
    spec = catalogue.get(fact)
    if spec is None:
        return [_id_problem(fact, f"unknown fact for pack {owner!r}", nearest(fact, catalogue))]
    if value is None:
        return []  # "not known": never wrong
    try:
        type_fact(fact, spec, value)
    except FactError as wrong:  # typed by the engine's own code: a secret is never echoed
        return [FieldProblem(f"facts.{wrong.fact}", str(wrong), expected=wrong.expected,
                             suggestion=wrong.suggestion), *wrong.also]
    return []
