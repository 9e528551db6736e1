"""Pack choice: the one pack whose catalogue holds every supplied fact, or the candidates.

When several packs hold every fact, the facts are typed against each before any of its error
patterns reads them: a value no candidate accepts is a FactError, and patterns only ever see
typed, length-limited text.
"""

from __future__ import annotations

from collections.abc import Mapping

from syncdoctor.diagnosis.case import check_ids, type_facts
from syncdoctor.engine.knowledge import KnowledgeBase, Pack
from syncdoctor.errors import FactError
from syncdoctor.kb.problems import nearest
from syncdoctor.types import FactValue

__all__ = ["candidates", "choose_pack"]


def candidates(kb: KnowledgeBase, facts: Mapping[str, object]) -> list[str]:
    """The packs that could take these facts (every pack when none holds them all)."""
    names = sorted(kb.packs)
    holding = [p for p in names if all(f in kb.packs[p].facts for f in facts)]
    if not holding:
        return names
    return [pack.id for pack, _ in _typed(kb, holding, facts)] or holding


def choose_pack(kb: KnowledgeBase, facts: Mapping[str, object]) -> Pack | None:
    """The pack whose catalogue holds every supplied fact; None when it is ambiguous.

    Raises:
        FactError: an id that is not text, a fact that no pack knows, facts that no single pack
            holds together, or a value that no candidate pack accepts.
    """
    names = check_ids(facts)
    fitting = sorted(p.id for p in kb.packs.values() if all(f in p.facts for f in names))
    if len(fitting) == 1:
        return kb.packs[fitting[0]]  # run_case types the facts before any pattern runs
    if not fitting:
        every = {f for p in kb.packs.values() for f in p.facts}
        for fact in sorted(names):
            if fact not in every:
                raise FactError(fact, "no pack knows this fact", suggestion=nearest(fact, every))
        raise FactError(
            ", ".join(sorted(names)),
            "these facts belong to different packs; say which pack with pack=...",
        )
    typed = _typed(kb, fitting, facts)
    scored = sorted(
        ((_extractor_score(pack, values), pack.id, pack) for pack, values in typed),
        key=lambda item: (-item[0], item[1]),
    )
    if len(scored) == 1 or (scored[0][0] > 0 and scored[0][0] > scored[1][0]):
        return scored[0][2]
    return None


def _typed(
    kb: KnowledgeBase, pack_ids: list[str], facts: Mapping[str, object]
) -> list[tuple[Pack, dict[str, FactValue]]]:
    """The packs (of ``pack_ids``) whose catalogue accepts every value, with the typed facts.

    Raises:
        FactError: no pack accepts the values; the error of the first pack, by id.
    """
    accepted: list[tuple[Pack, dict[str, FactValue]]] = []
    first: FactError | None = None
    for pack_id in pack_ids:
        pack = kb.packs[pack_id]
        try:
            accepted.append((pack, type_facts(pack, facts)))
        except FactError as error:
            first = first or error
    if not accepted and first is not None:
        raise first
    return accepted


def _extractor_score(pack: Pack, facts: Mapping[str, FactValue]) -> int:
    """How many of the pack's error patterns recognise the supplied (typed) text."""
    score = 0
    for extractor, pattern in zip(pack.extractors, pack.source.patterns, strict=True):
        text = facts.get(extractor.from_)
        if isinstance(text, str) and pattern.search(text) is not None:
            score += 1
    return score
